"""What a browser does at the hosted UI and the load balancer, by HTTP (httpx), for the stand-ins' own tests."""
from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from local_platform.identity import s256


def sign_in_form(client: httpx.Client, authorize_url: str, username: str, password: str) -> httpx.Response:
    """Opens `authorize_url`, fills the hosted UI's form if it shows one, and returns the redirect to the callback."""
    page = client.get(authorize_url)
    if page.status_code == 302:  # the hosted UI session signed the browser in already
        return page
    assert page.status_code == 200 and "Sign in" in page.text, page.text
    origin = urlsplit(authorize_url)._replace(path="", query="").geturl()
    action = re.search(r'action="([^"]+)"', page.text)[1].replace("&amp;", "&")
    signed_in = client.post(origin + action, data={"username": username, "password": password})
    assert signed_in.status_code == 303, signed_in.text
    return client.get(origin + signed_in.headers["location"])


def spa_tokens(client: httpx.Client, identity: str, client_id: str, callback: str, username: str,
               password: str) -> dict:
    """An SPA's sign-in (code + PKCE S256) as `username`: the token endpoint's answer."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": callback, "state": state,
             "scope": "openid email profile", "code_challenge_method": "S256", "code_challenge": s256(verifier)}
    back = sign_in_form(client, f"{identity}/oauth2/authorize?{urlencode(query)}", username, password)
    assert back.status_code == 302, back.text
    answer = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
    assert answer["state"] == state
    tokens = client.post(f"{identity}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": client_id, "code": answer["code"],
        "redirect_uri": callback, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()
