"""Single sign-on against a real OpenID provider (``oidc-provider`` on node, tests/oidc/).

Nothing is mocked at the protocol level: people sign in on the provider's own login page in
Chromium (authorization code flow with PKCE), the API takes the provider's access tokens (a
person's, and a machine client's from the client-credentials flow), keys rotate at the provider,
and signing out ends the session at the provider too (RP-initiated logout). Tokens the provider
would never issue (expired, for another audience, ...) are signed here with the provider's key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from api.demo import team_rule
from api.identity import staff_id_of
from matcher.records.store import Store
from tests.api.conftest import World, copy_world
from tests.api.servers import Server, free_port, start_server
from tests.oidc.provider import AUDIENCE, RESOURCE, WEB_SECRET, OidcProvider, node_modules_or_skip, rsa_jwk

KEY_1, KEY_2 = rsa_jwk("k1"), rsa_jwk("k2")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    node_modules_or_skip()
    app_port = free_port()
    found = OidcProvider(free_port(), f"http://127.0.0.1:{app_port}", tmp_path_factory.mktemp("oidc"), [KEY_1])
    found.start()
    yield found
    found.stop()


@pytest.fixture(scope="module")
def sso_world(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(api_world, tmp_path_factory.mktemp("sso") / "home")


@pytest.fixture(scope="module")
def sso_server(sso_world: World, provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "MATCHER_OIDC_ISSUER": provider.issuer,
        "MATCHER_OIDC_CLIENT_SECRET": WEB_SECRET,
        "MATCHER_OIDC_RESOURCE": RESOURCE,
        "MATCHER_OIDC_JWKS_REFETCH_SECONDS": "1",
    }
    port = int(provider.app_url.rsplit(":", 1)[1])
    log = tmp_path_factory.mktemp("sso-log") / "server.log"
    server = start_server(sso_world.settings, log, workers=2, port=port, env=env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def people(sso_world: World) -> dict[str, str]:
    """A job seeker of team stadt (Anna's) and one of another team."""
    rule = team_rule(sso_world.settings)
    store = Store(sso_world.settings.store_url)
    found: dict[str, str] = {}
    for c in store.candidates():
        found.setdefault("own" if rule.of(c) == "stadt" else "other", c.id)
    store.close()
    return found


def _get(server: Server, path: str, token: str, **headers: str) -> httpx.Response:
    return server.request("GET", path, token, headers=headers) if headers else server.request("GET", path, token)


def _claims(provider: OidcProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": provider.issuer,
        "sub": "anna",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["kl-matcher-caseworker"]},
        "groups": ["/teams/stadt"],
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def _signed(claims: dict[str, Any], key: dict[str, Any], kid: str | None = None, alg: str = "RS256") -> str:
    private = jwt.PyJWK(key).key
    return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid or key["kid"]})


def test_people_and_machine_clients_use_the_providers_tokens(
    sso_server: Server, provider: OidcProvider, people: dict[str, str], sso_world: World
) -> None:
    anna = provider.person_token("anna")
    own = _get(sso_server, f"/v1/candidates/{people['own']}", anna)
    assert own.status_code == 200 and own.json()["team"] == "stadt"
    assert _get(sso_server, f"/v1/candidates/{people['other']}", anna).status_code == 403
    record = sso_world.settings.audit_log.read_text().splitlines()[-1]
    assert f'"user_id":"{staff_id_of(provider.issuer, "anna")}"' in record.replace(" ", "")
    assert '"anna"' not in record and "Anna" not in record  # a pseudonymous staff id, never the login or name
    page = _get(sso_server, "/v1/candidates?limit=100", anna).json()
    assert {item["team"] for item in page["items"]} == {"stadt"}

    bernd = provider.person_token("bernd")
    vacancies = _get(sso_server, "/v1/vacancies?status=open&limit=1", bernd).json()["items"]
    cards = sso_server.request("POST", f"/v1/vacancies/{vacancies[0]['id']}/candidates", bernd, json={"k": 3})
    assert cards.status_code == 200 and all(len(c["id"]) <= 16 for c in cards.json()["items"])
    assert _get(sso_server, f"/v1/candidates/{people['own']}", bernd).status_code == 403  # a role without it

    nightly = provider.client_token()  # client credentials: a named machine client of the data team
    assert _get(sso_server, "/v1/model", nightly).status_code == 200
    assert _get(sso_server, f"/v1/candidates/{people['own']}", nightly).status_code == 403

    carla = provider.person_token("carla")  # signed in at the provider, but no role of this service
    refused = _get(sso_server, "/v1/model", carla)
    assert refused.status_code == 401 and "no role" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", "expired"),
        ("not_yet_valid", "not yet valid"),
        ("other_issuer", "another issuer"),
        ("other_audience", "another audience"),
        ("forged", "signature"),
        ("unknown_key", "unknown key"),
        ("alg_none", "algorithm"),
        ("hs256_with_public_key", "algorithm"),
        ("garbage", "well-formed"),
    ],
)
def test_bad_tokens_get_401_with_the_reason(
    sso_server: Server, provider: OidcProvider, people: dict[str, str], case: str, expected: str
) -> None:
    now = int(time.time())
    stranger = rsa_jwk("k1")  # the provider's kid, another key
    token = {
        "expired": lambda: _signed(_claims(provider, iat=now - 900, exp=now - 600), KEY_1),
        "not_yet_valid": lambda: _signed(_claims(provider, nbf=now + 600), KEY_1),
        "other_issuer": lambda: _signed(_claims(provider, iss="http://127.0.0.1:1"), KEY_1),
        "other_audience": lambda: _signed(_claims(provider, aud="another-service"), KEY_1),
        "forged": lambda: _signed(_claims(provider), stranger),
        "unknown_key": lambda: _signed(_claims(provider), rsa_jwk("k9")),
        "alg_none": lambda: jwt.encode(_claims(provider), None, algorithm="none", headers={"kid": "k1"}),
        "hs256_with_public_key": lambda: _hs256_with_public_key(provider),
        "garbage": lambda: "eyJhbGciOg.e30.c2ln",  # a header that is not JSON
    }[case]()
    answer = _get(sso_server, f"/v1/candidates/{people['own']}", token)
    assert answer.status_code == 401, answer.text
    assert expected in answer.json()["detail"] and answer.headers["www-authenticate"].startswith("Bearer")


def _hs256_with_public_key(provider: OidcProvider) -> str:
    """The classic confusion: HMAC "signed" with the provider's public key as the secret."""
    header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    import base64
    import hashlib
    import hmac
    import json

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    public = json.dumps({k: KEY_1[k] for k in ("kty", "n", "e")}).encode()
    body = part(json.dumps(header).encode()) + "." + part(json.dumps(_claims(provider)).encode())
    return body + "." + part(hmac.new(public, body.encode(), hashlib.sha256).digest())


def test_key_rotation_at_the_provider_needs_no_restart(
    sso_server: Server, provider: OidcProvider, people: dict[str, str]
) -> None:
    before = provider.client_token()
    assert _get(sso_server, "/v1/model", before).status_code == 200
    provider.restart([KEY_2, KEY_1])  # the new key signs; the old one still verifies
    time.sleep(1.1)  # the API fetches the keys again at most once a second here (10 s by default)
    after = provider.client_token()
    assert jwt.get_unverified_header(after)["kid"] == "k2"
    answers = [_get(sso_server, "/v1/model", after).status_code for _ in range(6)]  # both workers
    assert answers == [200] * 6


def test_sign_in_in_chromium_at_the_provider_then_out_again(
    sso_server: Server, provider: OidcProvider, people: dict[str, str], browser: Any
) -> None:
    context = browser.new_context(base_url=sso_server.url, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"/app/candidates/{people['own']}")
        page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
        page.wait_for_url(f"{provider.issuer}/**")
        page.fill("input[name=login]", "anna")
        page.fill("input[name=password]", "any")
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"**/app/candidates/{people['own']}")
        assert people["own"] in page.get_by_role("heading", level=1).inner_text()
        assert page.locator("ol.results li, .result, .card").count() > 0  # the shortlist is there

        page.goto(f"/app/candidates/{people['other']}")  # another team's: asked why, audited
        assert page.get_by_role("heading", level=1).inner_text() == "Begründung erforderlich"
        page.get_by_label("Vertretung").check()
        page.get_by_role("button", name="Mit diesem Grund öffnen").click()
        page.wait_for_url(f"**/app/candidates/{people['other']}")
        assert people["other"] in page.get_by_role("heading", level=1).inner_text()

        page.get_by_role("button", name="Abmelden").click()  # RP-initiated logout at the provider
        page.wait_for_url(f"{provider.issuer}/**")
        page.locator("button[name=logout][value=yes]").click()
        page.wait_for_url("**/app/login")
        page.goto("/app/")
        assert "/app/login" in page.url  # the session is over here ...
        page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
        page.wait_for_url(f"{provider.issuer}/**")
        assert page.locator("input[name=login]").count() == 1  # ... and at the provider
    finally:
        context.close()


def test_when_the_provider_is_down_tokens_still_verify_and_the_page_says_so(
    sso_server: Server, provider: OidcProvider, people: dict[str, str]
) -> None:
    signing = provider.keys[0]
    provider.stop()
    try:
        token = _signed(_claims(provider, sub="anna-2"), signing)  # a fresh token: no cached principal
        assert _get(sso_server, f"/v1/candidates/{people['own']}", token).status_code == 200
        page = httpx.get(f"{sso_server.url}/app/login/oidc?next=/app/", timeout=30)
        assert page.status_code == 503 and "Anmeldedienst nicht erreichbar" in page.text
    finally:
        provider.start()
