"""Settings of the service: the engine's (:class:`matcher.settings.Settings`) and those only the API reads.

One object for the service, built in the app factory (``serving_app``) or by the CLI, read from
the same environment (``MATCHER_*``); the web app's own are :class:`api.web.config.WebSettings`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from matcher.settings import Settings


class ServiceSettings(Settings):
    """The engine's settings plus the API's: the request body limit and the token files."""

    max_body_bytes: int = Field(default=1_000_000, ge=1_024, description="larger request bodies are refused (413)")
    # Swagger UI loads its script and stylesheet from a public CDN: that fails on an intranet and is a
    # third-party request from an administration's browser, so /docs is off unless asked for
    # (MATCHER_API_DOCS=true, on a developer's machine). /openapi.json is always served.
    api_docs: bool = Field(default=False, description="serve Swagger UI at /docs and ReDoc at /redoc")

    @property
    def tokens_file(self) -> Path:
        """The hashed bearer tokens (:mod:`api.security`)."""
        return self.home / "tokens.json"

    @property
    def demo_tokens_file(self) -> Path:
        """The plain demo tokens that ``matcher demo`` writes, one per role."""
        return self.home / "demo_tokens.json"

    @property
    def session_key(self) -> Path:
        """The key that signs the web app's session ids (:mod:`api.web.sessions`)."""
        return self.home / "session.key"

    def private_paths(self) -> list[Path]:
        """The engine's private paths, the token files and the session key."""
        return [*super().private_paths(), self.tokens_file, self.demo_tokens_file, self.session_key]
