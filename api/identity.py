"""Who is calling: personal tokens of the embedded default, or the identity provider's access tokens.

:class:`Authenticator` turns a bearer token into a :class:`api.security.Principal`:

- a token of three base64url parts is a JWT and, where an OpenID provider is configured
  (``MATCHER_OIDC_ISSUER``), it is checked against the provider (:class:`OidcVerifier`): issuer,
  audience, expiry, not-before and an RS/ES/PS signature by a key of the provider's JWKS. Roles and
  teams come from the claims through :class:`ClaimMapping` (Keycloak's ``realm_access.roles`` and
  ``groups`` by default). People get the staff id ``u-`` + 12 hex digits of a hash of issuer and
  subject: stable, pseudonymous, never a name or an e-mail;
- anything else is a personal token of :mod:`matcher.services.staff`.

Caching: a verified JWT's principal is kept until the token expires; a personal token's for
:data:`LOCAL_CACHE_SECONDS` only, so that a revoked or expired one is refused by every worker
within a second (the store is the truth; each worker reads it at most once per token and period).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from api.security import Principal, Role
from matcher.services.staff import StaffDirectory, check_teams, hash_token

LOCAL_CACHE_SECONDS = 0.5
_CACHE_LIMIT = 10_000
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class AuthenticationError(Exception):
    """A token that is refused; the message says why (401)."""


class ProviderUnavailableError(AuthenticationError):
    """The identity provider cannot be reached and nothing cached answers the question."""


@dataclass(frozen=True)
class OidcConfig:
    """How to reach and read the institution's OpenID provider (see README, "Identity")."""

    issuer: str
    audience: str
    client_id: str = ""
    client_secret: str = ""
    scopes: str = "openid profile"
    resource: str = ""  # a resource indicator (RFC 8707), where the provider wants one for JWT access tokens
    roles_claim: str = "realm_access.roles"
    groups_claim: str = "groups"
    team_prefix: str = "/teams/"
    role_map: dict[str, str] = field(default_factory=dict)
    leeway_seconds: int = 10
    refetch_seconds: float = 10.0  # an unknown key fetches the JWKS again, at most this often
    max_key_age_seconds: float = 3600.0  # keys are fetched again after this long (failures keep the old)
    timeout_seconds: float = 5.0


class ProviderMetadata:
    """The provider's discovery document, fetched once and kept (failures are retried next time)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._document: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self, fresh: bool = False) -> dict[str, Any]:
        """The document (``fresh``: fetched now, so that a provider that is down is noticed)."""
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        if fresh:
            self._document = _fetch_json(url, self.config.timeout_seconds)
        if self._document is None:
            with self._lock:
                if self._document is None:
                    self._document = _fetch_json(url, self.config.timeout_seconds)
        return self._document

    def endpoint(self, name: str) -> str:
        value = self.get().get(name)
        if not isinstance(value, str):
            raise ProviderUnavailableError(f"the identity provider names no {name}")
        return value


def _fetch_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailableError(f"the identity provider cannot be reached ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailableError("the identity provider answered something other than a JSON object")
    return document


class JwksCache:
    """The provider's signing keys by ``kid``: fetched on first use, again for an unknown ``kid``
    (key rotation needs no restart; at most every ``refetch_seconds``) and after
    ``max_key_age_seconds``. When the provider is unreachable, the keys fetched last keep serving."""

    def __init__(self, metadata: ProviderMetadata, clock: Callable[[], float] = time.monotonic) -> None:
        self.metadata = metadata
        self.clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK:
        config = self.metadata.config
        now = self.clock()
        stale = self._fetched_at is None or now - self._fetched_at > config.max_key_age_seconds
        may_refetch = self._fetched_at is None or now - self._fetched_at > config.refetch_seconds
        if stale or (kid not in self._keys and may_refetch):
            self._refresh(now)
        if kid not in self._keys:
            raise AuthenticationError("token signed with an unknown key")
        return self._keys[kid]

    def _refresh(self, now: float) -> None:
        with self._lock:
            try:
                document = _fetch_json(self.metadata.endpoint("jwks_uri"), self.metadata.config.timeout_seconds)
                keys = jwt.PyJWKSet.from_dict(document).keys
            except (ProviderUnavailableError, jwt.PyJWTError):
                if not self._keys:
                    raise
                self._fetched_at = now  # keep the cached keys; try again after refetch_seconds
                return
            self._keys = {k.key_id: k for k in keys if k.key_id}
            self._fetched_at = now


class ClaimMapping:
    """Claims -> (role, teams), as configured (:class:`OidcConfig`)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.role_map = config.role_map or {f"kl-matcher-{role.value.replace('_', '-')}": role.value for role in Role}

    def role(self, claims: dict[str, Any]) -> Role:
        names = _claim(claims, self.config.roles_claim)
        roles = {Role(self.role_map[n]) for n in names if isinstance(n, str) and n in self.role_map}
        if len(roles) != 1:
            found = "no role" if not roles else "several roles (" + ", ".join(sorted(roles)) + ")"
            raise AuthenticationError(f"the token's claim {self.config.roles_claim} maps to {found} of this service")
        return roles.pop()

    def teams(self, claims: dict[str, Any]) -> frozenset[str]:
        prefix = self.config.team_prefix
        groups = [g for g in _claim(claims, self.config.groups_claim) if isinstance(g, str) and g.startswith(prefix)]
        try:
            return frozenset(check_teams([g.removeprefix(prefix).strip("/").lower() for g in groups]))
        except ValueError as exc:
            raise AuthenticationError(f"the token names a team this service cannot use: {exc}") from exc


def _claim(claims: dict[str, Any], path: str) -> list[Any]:
    """A claim by dotted path (``realm_access.roles``), as a list (a single value becomes one)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def staff_id_of(issuer: str, subject: str) -> str:
    """The pseudonymous staff id of a provider's subject: the same person, the same id."""
    return "u-" + hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()[:12]


class OidcVerifier:
    """Checks the provider's JWTs (access tokens, and ID tokens for the web app's sign-in)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.metadata = ProviderMetadata(config)
        self.keys = JwksCache(self.metadata)
        self.mapping = ClaimMapping(config)

    def claims(self, token: str, audience: str | None = None, nonce: str | None = None) -> dict[str, Any]:
        """The verified claims of a JWT (raises :class:`AuthenticationError` with the reason)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError("not a well-formed token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise AuthenticationError(f"token algorithm {header.get('alg')!r} is not accepted")
        key = self.keys.key(str(header.get("kid") or ""))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[header["alg"]],
                audience=audience or self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("token not yet valid") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError("token from another issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError("token for another audience") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("token signature invalid") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"token refused: {exc}") from exc
        if nonce is not None and claims.get("nonce") != nonce:
            raise AuthenticationError("ID token for another sign-in (nonce)")
        return claims

    def principal(self, claims: dict[str, Any]) -> Principal:
        """The caller behind verified claims: a person, or a machine client (client credentials)."""
        subject = str(claims["sub"])
        return Principal(
            user_id=staff_id_of(self.config.issuer, subject),
            role=self.mapping.role(claims),
            teams=self.mapping.teams(claims),
            expires_at=float(claims["exp"]),
        )


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


class Authenticator:
    """Bearer token -> principal (see the module docstring), with a small cache per worker."""

    def __init__(self, directory: StaffDirectory, oidc: OidcVerifier | None = None) -> None:
        self.directory = directory
        self.oidc = oidc
        self._cache: dict[str, tuple[Principal, float]] = {}

    def may_fetch_keys(self, token: str) -> bool:
        """Whether :meth:`principal` may go to the provider for this token (a JWT not in the cache)."""
        if self.oidc is None or not looks_like_jwt(token):
            return False
        cached = self._cache.get(hash_token(token))
        return cached is None or cached[1] <= time.time()

    def principal(self, token: str) -> Principal:
        """The caller (raises :class:`AuthenticationError` with the reason)."""
        key = hash_token(token)
        now = time.time()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        if looks_like_jwt(token) and self.oidc is not None:
            principal = self.oidc.principal(self.oidc.claims(token))
            until = principal.expires_at or now
        else:
            principal = self._local(token)
            until = now + LOCAL_CACHE_SECONDS
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (principal, until)
        return principal

    def _local(self, token: str) -> Principal:
        if len(token) > 512:
            raise AuthenticationError("invalid or unknown token")
        member = self.directory.by_token(token)
        if member is None:
            raise AuthenticationError("invalid, expired or revoked token")
        return Principal(member.id, Role(member.role), frozenset(member.teams))
