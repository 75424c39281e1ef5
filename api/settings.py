"""Settings of the service: the engine's (:class:`matcher.settings.Settings`) and those only the API reads.

One object for the service, built in the app factory (``serving_app``) or by the CLI, read from
the same environment (``MATCHER_*``); the web app's own are :class:`api.web.config.WebSettings`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from api.identity import OidcConfig
from matcher.settings import Settings


class ServiceSettings(Settings):
    """The engine's settings plus the API's: the request body limit, metrics, the identity provider."""

    max_body_bytes: int = Field(default=1_000_000, ge=1_024, description="larger request bodies are refused (413)")
    metrics: bool = Field(default=True, description="Prometheus metrics at GET /metrics (admin); off: not served")
    # OpenID Connect (README, "Identity"): set the issuer to sign people in at the institution's
    # provider and to accept its access tokens; without it, personal tokens (`matcher users`) only.
    oidc_issuer: str | None = Field(default=None, description="the provider's issuer URL (Keycloak: .../realms/NAME)")
    oidc_audience: str = Field(default="kl-matcher-api", description="the audience the API's access tokens carry")
    oidc_client_id: str = Field(default="kl-matcher-web", description="the web app's client at the provider")
    oidc_client_secret: str = Field(default="", description="the web app's client secret (confidential client)")
    oidc_scopes: str = Field(default="openid profile", description="scopes the web app asks for")
    oidc_resource: str = Field(default="", description="resource indicator sent with the web sign-in, if needed")
    oidc_roles_claim: str = Field(default="realm_access.roles", description="dotted path of the roles claim")
    oidc_groups_claim: str = Field(default="groups", description="dotted path of the groups claim")
    oidc_team_prefix: str = Field(default="/teams/", description="groups with this prefix are teams")
    oidc_jwks_refetch_seconds: float = Field(
        default=10.0,
        ge=0,
        description="a token with an unknown key fetches the provider's keys again, at most this often",
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict, description="provider role -> role (JSON); default kl-matcher-<role> -> <role>"
    )
    # Swagger UI loads its script and stylesheet from a public CDN: that fails on an intranet and is a
    # third-party request from an administration's browser, so /docs is off unless asked for
    # (MATCHER_API_DOCS=true, on a developer's machine). /openapi.json is always served.
    api_docs: bool = Field(default=False, description="serve Swagger UI at /docs and ReDoc at /redoc")

    @property
    def oidc(self) -> OidcConfig | None:
        """The provider's configuration, if one is set."""
        if not self.oidc_issuer:
            return None
        return OidcConfig(
            issuer=self.oidc_issuer,
            audience=self.oidc_audience,
            client_id=self.oidc_client_id,
            client_secret=self.oidc_client_secret,
            scopes=self.oidc_scopes,
            resource=self.oidc_resource,
            roles_claim=self.oidc_roles_claim,
            groups_claim=self.oidc_groups_claim,
            team_prefix=self.oidc_team_prefix,
            role_map=self.oidc_role_map,
            refetch_seconds=self.oidc_jwks_refetch_seconds,
        )

    @property
    def demo_tokens_file(self) -> Path:
        """The plain demo tokens that ``matcher demo`` writes, one per role."""
        return self.home / "demo_tokens.json"

    @property
    def session_key(self) -> Path:
        """The key that signs the web app's session ids (:mod:`api.web.sessions`)."""
        return self.home / "session.key"

    def private_paths(self) -> list[Path]:
        """The engine's private paths, the demo tokens and the session key."""
        return [*super().private_paths(), self.demo_tokens_file, self.session_key]
