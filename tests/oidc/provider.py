"""A real OpenID provider for the tests: the certified ``oidc-provider`` package on Debian's node.

``tests/oidc/provider.mjs`` is the provider; ``tests/ensure_oidc.sh`` (run by ``make test``)
installs its pinned npm packages. The keys are made here, so that tests can also sign tokens the
provider would not issue (expired, for another audience, ...) with the provider's own key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

HERE = Path(__file__).parent
AUDIENCE = "kl-matcher-api"
RESOURCE = "urn:kl-matcher:api"
WEB_CLIENT, WEB_SECRET = "kl-matcher-web", "web-secret-for-tests"
NIGHTLY_CLIENT, NIGHTLY_SECRET = "kl-matcher-nightly", "nightly-secret-for-tests"
CLI_CLIENT = "kl-matcher-cli"  # a public client whose code the tests exchange themselves
CLI_REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: the tests read the code off the redirect


def rsa_jwk(kid: str) -> dict[str, Any]:
    """A private RSA signing key as a JWK (what the provider is configured with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


ACCOUNTS = {
    "anna": {
        "name": "Anna Fallmanagerin",
        "realm_access": {"roles": ["kl-matcher-caseworker"]},
        "groups": ["/teams/stadt"],
    },
    "bernd": {
        "name": "Bernd Arbeitgeberservice",
        "realm_access": {"roles": ["kl-matcher-employer-service"]},
        "groups": [],
    },
    "carla": {"name": "Carla Ohne Rolle", "realm_access": {"roles": ["offline_access"]}, "groups": []},
}


@dataclass
class OidcProvider:
    """One provider process; ``restart`` with other keys rotates them (the first key signs)."""

    port: int
    app_url: str
    workdir: Path
    keys: list[dict[str, Any]]
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / "provider.log"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "jwks": {"keys": self.keys},
            "audience": AUDIENCE,
            "resource": RESOURCE,
            "accessTokenTTL": 300,
            "accounts": ACCOUNTS,
            "clients": [
                {
                    "client_id": WEB_CLIENT,
                    "client_secret": WEB_SECRET,
                    "redirect_uris": [f"{self.app_url}/app/login/callback"],
                    "post_logout_redirect_uris": [f"{self.app_url}/app/login"],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                },
                {
                    "client_id": CLI_CLIENT,
                    "token_endpoint_auth_method": "none",
                    "redirect_uris": [CLI_REDIRECT],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                },
                {
                    "client_id": NIGHTLY_CLIENT,
                    "client_secret": NIGHTLY_SECRET,
                    "grant_types": ["client_credentials"],
                    "response_types": [],
                    "redirect_uris": [],
                    "claims": {"realm_access": {"roles": ["kl-matcher-data-team"]}},
                },
            ],
        }

    def start(self) -> None:
        path = self.workdir / "provider.json"
        path.write_text(json.dumps(self.config()))
        node = shutil.which("node")
        assert node is not None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [node, str(HERE / "provider.mjs"), str(path)], stdout=log, stderr=subprocess.STDOUT, cwd=HERE
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the provider exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.1)
        raise RuntimeError(f"the provider did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self, keys: list[dict[str, Any]]) -> None:
        self.stop()
        self.keys = keys
        self.start()

    # --- tokens as the provider issues them -------------------------------------------------
    def client_token(self) -> str:
        response = httpx.post(
            f"{self.issuer}/token",
            data={"grant_type": "client_credentials", "scope": "api", "resource": RESOURCE},
            auth=(NIGHTLY_CLIENT, NIGHTLY_SECRET),
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def person_token(self, login: str) -> str:
        """A person's access token through the provider's own login page (authorization code + PKCE)."""
        import base64
        import hashlib
        import re
        import secrets
        from urllib.parse import parse_qs, urlsplit

        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "client_id": CLI_CLIENT,
            "response_type": "code",
            "redirect_uri": CLI_REDIRECT,
            "scope": "openid profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": RESOURCE,
        }
        with httpx.Client(base_url=self.issuer, follow_redirects=False, timeout=10) as client:
            response = client.get("/auth", params=params)
            for _ in range(10):
                location = response.headers.get("location", "")
                if location.startswith(CLI_REDIRECT):
                    code = parse_qs(urlsplit(location).query)["code"][0]
                    break
                if response.status_code in (302, 303):
                    response = client.get(location)
                    continue
                form = re.search(r'action="([^"]+)"', response.text)
                assert form, response.text[:500]
                response = client.post(form.group(1), data={"login": login, "password": "test", "prompt": "login"})
            else:
                raise AssertionError("no code came back")
            token = client.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": CLI_REDIRECT,
                    "client_id": CLI_CLIENT,
                    "code_verifier": verifier,
                    "resource": RESOURCE,
                },
            )
            token.raise_for_status()
            return str(token.json()["access_token"])


def node_modules_or_skip() -> None:
    if not (HERE / "node_modules" / "oidc-provider").is_dir() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("the test OpenID provider is missing: `make test` installs it (tests/ensure_oidc.sh)")
        pytest.skip("the test OpenID provider is not installed (sh tests/ensure_oidc.sh)")
