"""The load balancer's side of a UI app's sign-in, for tests: the local stand-in's key, signer and key server
(local_platform/alb.py), with the tests' load balancer and app client as the signer's defaults."""
from __future__ import annotations

from local_platform import alb
from local_platform.alb import AlbKey, AlbKeyServer
from modules.tests.support import ISSUER

__all__ = ["ALB_ARN", "ALB_CLIENT_ID", "AlbKey", "AlbKeyServer", "AlbSigner"]

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/app-dw-test/0123456789abcdef"
ALB_CLIENT_ID = "alb-test-client-id"  # the project's confidential app client the ALB signs users in with


class AlbSigner(alb.AlbSigner):
    def __init__(self, key: AlbKey, *, alb_arn: str = ALB_ARN, client_id: str = ALB_CLIENT_ID,
                 issuer: str = ISSUER) -> None:
        super().__init__(key, alb_arn=alb_arn, client_id=client_id, issuer=issuer)
