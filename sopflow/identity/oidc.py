"""Sign-in with OpenID Connect (Keycloak, an SSO in front of Active Directory, any certified provider).

The authorization code flow with PKCE (S256): :meth:`OidcClient.begin` returns the
provider's authorization URL and the ``state``, ``nonce`` and code verifier that the web
layer keeps in the user's session; :meth:`OidcClient.finish` checks the returned
``state``, exchanges the code (with the verifier and the client secret) and validates the
ID token (:meth:`OidcClient.validate_id_token`): signature against the provider's JWKS,
``iss``, ``aud``, ``exp`` and the ``nonce``. The provider's addresses come from its
discovery document (``<issuer>/.well-known/openid-configuration``). No Flask here.

PKCE (``create_s256_code_challenge``) comes from Authlib; the JOSE part uses joserfc, the
JOSE library Authlib's own ``authlib.jose`` is being replaced by.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, cast

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from sopflow.errors import DeploymentError, SopflowError
from sopflow.identity.provisioning import DirectoryIdentity
from sopflow.settings import Settings

SOURCE = "oidc"
TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60
#: asymmetric signatures only: "none" and HMAC with a guessable secret are never accepted
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class OidcError(SopflowError):
    """The OpenID provider's answer is refused; ``reason`` says why (a key of :data:`REFUSALS`)."""

    http_status = 401

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(REFUSALS.get(reason, REFUSALS["invalid_token"]), reason=reason, detail=detail or None)
        self.reason = reason
        self.detail = detail


#: what the login page shows for each refusal
REFUSALS = {
    "state": "Permintaan masuk SSO tidak sah atau sudah dipakai. Silakan ulangi masuk.",
    "provider_error": "Penyedia SSO menolak permintaan masuk.",
    "unavailable": "Penyedia SSO sedang tidak dapat dihubungi. Coba lagi nanti atau masuk dengan akun lokal.",
    "invalid_token": "Token identitas dari penyedia SSO tidak sah. Silakan ulangi masuk.",
    "no_username": "Penyedia SSO tidak mengirim nama pengguna. Hubungi admin sopflow.",
}


@dataclass(frozen=True)
class AuthRequest:
    """One started sign-in: where to send the browser and what to keep in its session."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OidcClient:
    """The configured OpenID provider (discovery cached for the life of the object)."""

    def __init__(self, settings: Settings) -> None:
        """Raise DeploymentError when OIDC is not configured or the issuer is not https (loopback aside)."""
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise DeploymentError("OpenID Connect belum dikonfigurasi (OIDC_ISSUER dan OIDC_CLIENT_ID).")
        parts = urllib.parse.urlsplit(settings.oidc_issuer)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise DeploymentError("Pengaturan tidak sah: OIDC_ISSUER harus alamat https://.")
        self.settings = settings
        self.issuer: str = settings.oidc_issuer  # checked above: both set
        self.client_id: str = settings.oidc_client_id
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    # -- discovery ------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Return the provider's discovery document (its ``issuer`` must be the configured one)."""
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = _get_json(url)
            if document.get("issuer") != self.issuer:
                raise OidcError("invalid_token", f"discovery issuer {document.get('issuer')!r} differs")
            self._metadata = document
        return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        """Return the provider's signing keys (JWKS from discovery)."""
        if self._keys is None or refresh:
            # the provider's JSON, checked by joserfc as it imports it
            jwks = cast(KeySetSerialization, _get_json(self.metadata()["jwks_uri"]))
            self._keys = KeySet.import_key_set(jwks)
        return self._keys

    # -- the flow -------------------------------------------------------------------------------
    def begin(self, redirect_uri: str) -> AuthRequest:
        """Start a sign-in: the authorization URL with a fresh state, nonce and PKCE S256 challenge."""
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),  # type: ignore[no-untyped-call]  # unannotated in types-Authlib
            "code_challenge_method": "S256",
        }
        endpoint = self.metadata()["authorization_endpoint"]
        separator = "&" if "?" in endpoint else "?"
        return AuthRequest(endpoint + separator + urllib.parse.urlencode(query), state, nonce, verifier)

    def finish(self, params: dict[str, str], pending: dict[str, str] | None, redirect_uri: str) -> dict[str, Any]:
        """Complete a sign-in from the callback's query ``params`` and the session's ``pending`` request.

        ``pending`` holds ``state``, ``nonce`` and ``code_verifier`` of :meth:`begin` (None
        when the session has none: a replayed or forged callback). Returns the validated ID
        token claims plus ``_id_token`` (the raw token, for RP-initiated logout). Raises OidcError.
        """
        if not pending or not params.get("state") or not hmac.compare_digest(params["state"], pending["state"]):
            raise OidcError("state", "state missing, unknown or already used")
        if params.get("iss") and params["iss"] != self.issuer:  # RFC 9207: mix-up defence
            raise OidcError("invalid_token", f"authorization response from issuer {params['iss']!r}")
        if params.get("error"):
            raise OidcError("provider_error", f"{params['error']}: {params.get('error_description', '')}")
        if not params.get("code"):
            raise OidcError("provider_error", "no code")
        tokens = self._exchange(params["code"], pending["code_verifier"], redirect_uri)
        raw = tokens.get("id_token")
        if not isinstance(raw, str):
            raise OidcError("invalid_token", "no id_token in the token response")
        claims = self.validate_id_token(raw, pending["nonce"])
        return {**claims, "_id_token": raw}

    def validate_id_token(self, token: str, nonce: str, now: float | None = None) -> dict[str, Any]:
        """Check an ID token's signature (provider JWKS), ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``.

        Returns its claims; raises OidcError("invalid_token") with the reason in ``detail``.
        """
        try:
            decoded = self._decode(token)
        except (JoseError, ValueError) as exc:
            raise OidcError("invalid_token", f"signature: {exc}") from None
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=int(now if now is not None else time.time()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OidcError("invalid_token", f"claims: {exc}") from None
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("invalid_token", "azp differs from the client id")
        return dict(claims)

    def identity(self, claims: dict[str, Any]) -> DirectoryIdentity:
        """Turn validated claims into a DirectoryIdentity (username and groups from the configured claims)."""
        username = claims.get(self.settings.oidc_username_claim)
        if not isinstance(username, str) or not username.strip():
            raise OidcError("no_username", f"claim {self.settings.oidc_username_claim!r} missing")
        groups = claims.get(self.settings.oidc_groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        return DirectoryIdentity(
            source=SOURCE,
            subject=str(claims["sub"]),
            username=username.strip(),
            full_name=str(claims.get("name") or ""),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            groups=tuple(str(g).lstrip("/") for g in groups if isinstance(g, str)),  # Keycloak paths: /grup
            attributes=_claim_attributes(claims),  # "atribut" rules of the mapping match claims
        )

    def logout_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """The provider's RP-initiated logout address, or None when it has no ``end_session_endpoint``."""
        try:
            endpoint: str | None = self.metadata().get("end_session_endpoint")
        except OidcError:
            return None
        if not endpoint:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            query["id_token_hint"] = id_token
        return endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(query)

    # -- internals ------------------------------------------------------------------------------
    def _decode(self, token: str) -> jwt.Token:
        try:
            return jwt.decode(token, self.keys(), algorithms=ALGORITHMS)
        except JoseError:
            # the provider may have rotated its keys since they were fetched
            return jwt.decode(token, self.keys(refresh=True), algorithms=ALGORITHMS)

    def _exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if self.settings.oidc_client_secret:  # client_secret_basic (RFC 6749 §2.3.1: form-encoded parts)
            pair = f"{_form(self.client_id)}:{_form(self.settings.oidc_client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        request = urllib.request.Request(
            self.metadata()["token_endpoint"], urllib.parse.urlencode(form).encode(), headers, method="POST"
        )
        return _fetch_json(request, refused="provider_error")


def _claim_attributes(claims: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The text claims (and lists of text) as lower-cased attribute names → values."""
    found: dict[str, tuple[str, ...]] = {}
    for name, value in claims.items():
        values = value if isinstance(value, list) else [value]
        texts = tuple(str(v) for v in values if isinstance(v, str | int) and not isinstance(v, bool))
        if texts and not name.startswith("_"):
            found[name.lower()] = texts
    return found


def _form(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _get_json(url: str) -> dict[str, Any]:
    return _fetch_json(urllib.request.Request(url, headers={"Accept": "application/json"}), refused="unavailable")


def _fetch_json(request: urllib.request.Request, refused: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            document = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as exc:
        body = exc.read(2000).decode("utf-8", "replace")
        raise OidcError(refused, f"HTTP {exc.code} from {request.full_url}: {body}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise OidcError("unavailable", f"{request.full_url}: {exc}") from None
    except ValueError:
        raise OidcError("unavailable", f"{request.full_url}: not JSON") from None
    if not isinstance(document, dict):
        raise OidcError("unavailable", f"{request.full_url}: not a JSON object")
    return document
