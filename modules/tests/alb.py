"""The load balancer's side of a UI app's sign-in, for tests (and, grown, for a local stand-in of the ALB): an ES256
key with a UUID kid, a signer that writes `x-amzn-oidc-data` as the ALB does (header `alg`, `kid`, `signer`,
`iss`, `client`, `exp`; the userinfo claims with `exp` and `iss`; every part base64url *with* padding), the
headers the ALB forwards, and a key server on 127.0.0.1 answering a PEM per kid, as
`https://public-keys.auth.elb.<region>.amazonaws.com/<kid>` does."""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from modules.tests.support import ISSUER, LocalServer

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/app-dw-test/0123456789abcdef"
ALB_CLIENT_ID = "alb-test-client-id"  # the project's confidential app client the ALB signs users in with
CLAIMS_SECONDS = 120  # how long an x-amzn-oidc-data stays valid in these tests


def _part(data: bytes, padded: bool) -> str:
    encoded = base64.urlsafe_b64encode(data).decode()
    return encoded if padded else encoded.rstrip("=")


class AlbKey:
    """A P-256 key as the ALB signs with: a UUID kid and the public key as the endpoint serves it (PEM)."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or str(uuid.uuid4())
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, header: dict, claims: dict, *, padded: bool = True) -> str:
        """A JWS over `header` and `claims` with this key (ES256: the raw r || s, 32 bytes each)."""
        signing_input = f"{_part(json.dumps(header).encode(), padded)}.{_part(json.dumps(claims).encode(), padded)}"
        r, s = decode_dss_signature(self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_part(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), padded)}"


class AlbSigner:
    """Writes what a load balancer `alb_arn` forwards after signing a user in through `client_id` of the pool
    `issuer`."""

    def __init__(self, key: AlbKey, *, alb_arn: str = ALB_ARN, client_id: str = ALB_CLIENT_ID,
                 issuer: str = ISSUER) -> None:
        self.key = key
        self.alb_arn = alb_arn
        self.client_id = client_id
        self.issuer = issuer

    def user_claims(self, sub: str, email: str | None = None, *, expires_in: int = CLAIMS_SECONDS,
                    header: dict | None = None, claims: dict | None = None, padded: bool = True) -> str:
        """x-amzn-oidc-data for the user; `header` and `claims` replace or add fields (None removes one)."""
        expires = int(time.time()) + expires_in
        fields = {"alg": "ES256", "kid": self.key.kid, "signer": self.alb_arn, "iss": self.issuer,
                  "client": self.client_id, "exp": expires, **(header or {})}
        payload = {"sub": sub, "email_verified": "true", "email": email or f"{sub}@example.com",
                   "username": sub, "exp": expires, "iss": self.issuer, **(claims or {})}
        return self.key.sign({k: v for k, v in fields.items() if v is not None},
                             {k: v for k, v in payload.items() if v is not None}, padded=padded)

    def forwarded_headers(self, sub: str, access_token: str, email: str | None = None) -> dict[str, str]:
        """The headers the ALB adds to a signed-in user's request."""
        return {"x-amzn-oidc-data": self.user_claims(sub, email), "x-amzn-oidc-accesstoken": access_token,
                "x-amzn-oidc-identity": sub}


class AlbKeyServer(LocalServer):
    """Answers `GET /<kid>` with that key's PEM, 404 for any other kid; counts the requests per path."""

    def __init__(self, keys: list[AlbKey]) -> None:
        self.keys = {key.kid: key for key in keys}
        self.fetches: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.fetches[self.path] = server.fetches.get(self.path, 0) + 1
                key = server.keys.get(self.path.lstrip("/"))
                body = key.pem if key else b"<Error><Code>NoSuchKey</Code></Error>"
                self.send_response(200 if key else 404)
                self.send_header("Content-Type", "application/octet-stream" if key else "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def total_fetches(self) -> int:
        return sum(self.fetches.values())
