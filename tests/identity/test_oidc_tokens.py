"""ID token and callback validation of :class:`sopflow.identity.oidc.OidcClient`, with our own test keys.

A real local HTTP server (a thread on 127.0.0.1) serves the discovery document and the JWKS
of an RSA key made here; tokens are signed with joserfc. Each refusal case differs from the
accepted token in one thing only.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from sopflow import Settings
from sopflow.identity.oidc import OidcClient, OidcError

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

CLIENT_ID = "sopflow"
NONCE = "nonce-uji-123"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "uji-1", "use": "sig", "alg": "RS256"}, private=True)


@pytest.fixture(scope="module")
def issuer(signing_key: RSAKey) -> Iterator[str]:
    """A local server answering discovery and JWKS for the test key."""
    documents: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_port}"
    documents["/.well-known/openid-configuration"] = {
        "issuer": url,
        "authorization_endpoint": f"{url}/auth",
        "token_endpoint": f"{url}/token",
        "jwks_uri": f"{url}/jwks",
    }
    documents["/jwks"] = {"keys": [signing_key.as_dict(private=False)]}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(settings: Settings, issuer: str) -> OidcClient:
    return OidcClient(replace(settings, oidc_issuer=issuer, oidc_client_id=CLIENT_ID))


def claims(issuer: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": "kadis",
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "preferred_username": "kadis",
        "groups": ["sopflow-kepala-dinas"],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def sign(payload: dict[str, Any], key: RSAKey, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key)


def test_a_valid_id_token_is_accepted_and_gives_the_identity(client, issuer, signing_key):
    accepted = client.validate_id_token(sign(claims(issuer), signing_key), NONCE)
    person = client.identity(accepted)
    assert (person.source, person.subject, person.username, person.groups) == (
        "oidc",
        "kadis",
        "kadis",
        ("sopflow-kepala-dinas",),
    )


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iss": "https://sso.lain.example"}, "wrong issuer"),
        ({"aud": "aplikasi-lain"}, "wrong audience"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"nonce": None}, "missing nonce"),
        ({"nonce": "nonce-lain"}, "wrong nonce"),
        ({"exp": None}, "no expiry"),
        ({"sub": None}, "no subject"),
    ],
)
def test_an_id_token_with_a_wrong_claim_is_refused(client, issuer, signing_key, changes, why):
    with pytest.raises(OidcError) as refused:
        client.validate_id_token(sign(claims(issuer, **changes), signing_key), NONCE)
    assert refused.value.reason == "invalid_token", why
    assert "tidak sah" in refused.value.message


def test_a_tampered_id_token_is_refused(client, issuer, signing_key):
    header, payload, signature = sign(claims(issuer), signing_key).split(".")
    forged = dict(json.loads(base64.urlsafe_b64decode(payload + "==")), preferred_username="admin")
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(OidcError, match="tidak sah"):
        client.validate_id_token(f"{header}.{forged_payload}.{signature}", NONCE)


def test_a_token_signed_by_another_key_or_unsigned_is_refused(client, issuer):
    other = RSAKey.generate_key(2048, parameters={"kid": "uji-1"}, private=True)  # same kid, other key
    with pytest.raises(OidcError, match="tidak sah"):
        client.validate_id_token(sign(claims(issuer), other), NONCE)
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims(issuer)).encode()).rstrip(b"=").decode()
    with pytest.raises(OidcError, match="tidak sah"):
        client.validate_id_token(f"{header}.{body}.", NONCE)


def test_a_replayed_or_foreign_state_is_refused_before_any_token_exchange(client):
    pending = {"state": "state-asli", "nonce": NONCE, "code_verifier": "v" * 64}
    for params, session_pending in (
        ({"state": "state-asli", "code": "abc"}, None),  # replay: the session's pending request was used up
        ({"state": "state-lain", "code": "abc"}, pending),  # a callback of another browser's sign-in
        ({"code": "abc"}, pending),  # no state at all
    ):
        with pytest.raises(OidcError) as refused:
            client.finish(params, session_pending, "http://127.0.0.1/masuk/sso/kembali")
        assert refused.value.reason == "state"


def test_the_authorization_request_uses_pkce_s256_and_fresh_values(client):
    first, second = client.begin("http://127.0.0.1:5000/masuk/sso/kembali"), client.begin("http://x/cb")
    assert "code_challenge_method=S256" in first.url and "code_challenge=" in first.url
    assert first.code_verifier not in first.url
    assert len({first.state, second.state, first.nonce, second.nonce}) == 4


def test_discovery_naming_another_issuer_is_refused(settings, issuer):
    mismatched = OidcClient(replace(settings, oidc_issuer=issuer + "/", oidc_client_id=CLIENT_ID))
    with pytest.raises(OidcError):
        mismatched.metadata()


def test_attribute_rules_of_the_mapping_match_id_token_claims(client, issuer, signing_key):
    from sopflow.identity.mapping import parse_mapping

    mapping = parse_mapping('[[peta]]\natribut = "department"\nnilai = "Inspektorat"\nroles = ["auditor"]\n')
    token = sign(claims(issuer, groups=None, department="INSPEKTORAT"), signing_key)
    person = client.identity(client.validate_id_token(token, NONCE))
    assert mapping.grant_for(person.groups, person.attributes).roles == ("auditor",)
    other = client.identity(client.validate_id_token(sign(claims(issuer, department="Statistik"), signing_key), NONCE))
    assert mapping.grant_for(other.groups, other.attributes).empty
