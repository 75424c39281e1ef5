"""Who signs in to the web app: personal tokens (the embedded default) or the institution's OpenID
provider (authorization code flow with PKCE, RP-initiated logout).

Nothing after this point knows how the person was found: :mod:`api.web.sessions` starts a
server-side session for the :class:`api.security.Principal`, and roles and permissions are the
API's (``ROLE_PERMISSIONS``).

The provider's flow (:class:`OidcSignIn`):

- ``GET /app/login/oidc`` makes ``state``, ``nonce`` and a PKCE ``code_verifier``, keeps them in a
  short-lived signed cookie (``kl_oidc``, ``SameSite=Lax``: it must come back with the provider's
  redirect, which is a cross-site navigation), and redirects to the authorization endpoint with
  the S256 ``code_challenge``;
- ``GET /app/login/callback`` checks ``state``, exchanges the code (with the verifier) at the token
  endpoint, and checks the ID token (issuer, audience = this client, signature by the provider's
  JWKS, expiry, nonce; :class:`api.identity.OidcVerifier`). Roles and teams come from the access
  token's claims where it is a JWT for this service's audience (Keycloak puts them in both), else
  from the ID token's;
- sign-out ends the local session and sends the browser to the provider's end-session endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from api.identity import AuthenticationError, OidcVerifier, ProviderUnavailableError, looks_like_jwt
from api.security import Principal
from api.service import Service

OIDC_COOKIE = "kl_oidc"
_FLOW_SECONDS = 10 * 60


class TokenSignIn:
    """The embedded default: a personal token (``matcher users add``; the demo's in
    ``$MATCHER_HOME/demo_tokens.json``)."""

    label_de = "Persönlicher Zugangsschlüssel (Token)"

    def __init__(self, service: Service) -> None:
        self.service = service

    def principal(self, credential: str) -> Principal | None:
        credential = credential.strip()
        if not credential or len(credential) > 512:
            return None
        try:
            return self.service.authenticate(credential)
        except AuthenticationError:
            return None


@dataclass(frozen=True)
class Flow:
    """One sign-in under way: what the callback must find again."""

    state: str
    nonce: str
    verifier: str
    next: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcSignIn:
    """The web app as a client of the provider (see the module docstring)."""

    def __init__(self, verifier: OidcVerifier, key: bytes) -> None:
        self.verifier = verifier
        self.config = verifier.config
        self._signer = TimestampSigner(key, salt="kl-matcher-oidc-flow")

    def start(self, redirect_uri: str, target: str) -> tuple[str, str]:
        """(the provider's authorization URL, the ``kl_oidc`` cookie value) for a new sign-in.

        Raises:
            ProviderUnavailableError: the provider's metadata cannot be fetched.
        """
        flow = Flow(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), target)
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scopes,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": _challenge(flow.verifier),
            "code_challenge_method": "S256",
        }
        if self.config.resource:
            params["resource"] = self.config.resource
        self.verifier.metadata.get(fresh=True)  # a provider that is down: a page that says so, not a dead link
        url = self.verifier.metadata.endpoint("authorization_endpoint") + "?" + urlencode(params)
        return url, self._signer.sign(json.dumps(flow.__dict__)).decode()

    def flow(self, cookie: str | None, state: str | None) -> Flow | None:
        """The sign-in the callback belongs to (None: no cookie, too old, forged, or another state)."""
        if not cookie or not state:
            return None
        try:
            flow = Flow(**json.loads(self._signer.unsign(cookie, max_age=_FLOW_SECONDS)))
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            return None
        return flow if secrets.compare_digest(flow.state, state) else None

    def finish(self, flow: Flow, code: str, redirect_uri: str) -> Principal:
        """Exchange the code and return the person.

        Raises:
            AuthenticationError: the provider refused, or a token did not verify.
            ProviderUnavailableError: the provider cannot be reached.
        """
        tokens = self._exchange(flow, code, redirect_uri)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise AuthenticationError("the provider sent no ID token")
        claims = self.verifier.claims(id_token, audience=self.config.client_id, nonce=flow.nonce)
        access = tokens.get("access_token")
        if isinstance(access, str) and looks_like_jwt(access):
            try:
                access_claims = self.verifier.claims(access)
            except AuthenticationError:  # not a token for this service's audience: the ID token's claims
                access_claims = {}
            if access_claims.get("sub") == claims.get("sub"):
                claims = {**claims, **{k: v for k, v in access_claims.items() if k not in claims}}
        return self.verifier.principal(claims)

    def _exchange(self, flow: Flow, code: str, redirect_uri: str) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": self.config.client_id,
        }
        auth = (self.config.client_id, self.config.client_secret) if self.config.client_secret else None
        try:
            response = httpx.post(
                self.verifier.metadata.endpoint("token_endpoint"),
                data=data,
                auth=auth,
                timeout=self.config.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(f"the token endpoint cannot be reached ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise AuthenticationError(f"the provider refused the sign-in ({response.status_code})")
        body: dict[str, Any] = response.json()
        return body

    def logout_url(self, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL for this client (None: the provider has none, or is down)."""
        try:
            endpoint = self.verifier.metadata.endpoint("end_session_endpoint")
        except ProviderUnavailableError:
            return None
        params = {"client_id": self.config.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        return endpoint + "?" + urlencode(params)
