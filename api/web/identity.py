"""Who signs in to the web app: the one seam for a real identity provider.

The embedded default signs in with a role token (the API's bearer tokens, ``tokens.json``): the
form takes the token, :class:`TokenSignIn` turns it into a :class:`api.security.Principal`, and
:mod:`api.web.sessions` starts a server-side session for that principal. Nothing after this point
knows how the principal was found: roles and permissions are the API's (``ROLE_PERMISSIONS``).

A real identity provider replaces this module, nothing else. Public administrations run OpenID
Connect, often with Keycloak:

- ``GET /app/login`` redirects to the provider's authorization endpoint (authorization code flow
  with PKCE, ``state`` bound to the ``kl_signin`` cookie of :mod:`api.web.sessions`);
- a callback route exchanges the code for tokens at the token endpoint, checks the ID token
  (issuer, audience, signature against the provider's JWKS, expiry, nonce);
- :meth:`IdentityProvider.principal` maps the verified claims to a principal: the subject (or a
  pseudonymous staff id) as ``token_id``, and one realm or client role (for example
  ``realm_access.roles`` containing ``kl-matcher-caseworker``) to a :class:`Role`;
- sign-out ends the local session and calls the provider's end-session endpoint.

The session, CSRF, headers, pages and permissions stay as they are.
"""

from __future__ import annotations

from typing import Protocol

from api.security import Principal
from api.service import Service


class IdentityProvider(Protocol):
    """Turns what the sign-in form (or a provider's callback) brought into a principal."""

    #: what the sign-in page asks for (the token form of the embedded default)
    label_de: str

    def principal(self, credential: str) -> Principal | None:
        """The principal behind a credential, or None: refused (the page says so, nothing more)."""
        ...


class TokenSignIn:
    """The embedded default: a role token from ``$MATCHER_HOME/demo_tokens.json`` (or tokens.json)."""

    label_de = "Zugangsschlüssel (Token)"

    def __init__(self, service: Service) -> None:
        self.service = service

    def principal(self, credential: str) -> Principal | None:
        credential = credential.strip()
        if not credential or len(credential) > 512:
            return None
        return self.service.authenticate(credential)
