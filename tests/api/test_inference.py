"""Inferring a postcode from what the employer service sees (issue: data protection that holds up to an auditor).

The attack: the employer service scores pseudonymised job seekers against a dozen vacancies of
known postcode (it reads vacancies) and keeps, for each job seeker, the places of the region
consistent with every distance and commute value it was shown. The attacker knows the method
(``matcher.records.geo``'s distances and commute model, ``api.views``' bands) and the person's car (on the
card), and is graded against the true postcode.

Measured here (the session's world: 300 job seekers, 200 of them in Kaiserslautern city, 100 in
the Landkreis; 12 vacancies of distinct postcodes spread over the region; 37 postcodes):
- exact distances (what caseworkers see): 100 % of postcodes pinned (200 of 200 in the city);
- bands of the exact distances: still 80 % pinned (144 of 200 in the city): the rings around 12
  vacancies cut the region finely, which is why the employer service's bands are not these;
- the employer service's bands (from the card's municipality): 32 % pinned, median set 6, none
  of the 200 city job seekers pinned (all 6 city postcodes stay open), and together with the
  card's place name exactly what the place name tells alone. The pinned ones live in a
  municipality with one postcode (50 of the 51): their place name gives the postcode away by
  itself, a matter of the card, not of distances.
- the hard distance filter of the employer service's requests measures from the municipality's
  centre (``FilterOptions.coarse_places``): who passes band-edge limits is the same for everybody
  in one municipality (before: it pinned 74 of the 200 city job seekers).
Thresholds: exact >= 90 % pinned; bands of exact distances >= 50 %; employer service: no more
than the card (equal sets with the place name, no city job seeker pinned, median >= 3).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.ranking.geography import COMMUTE_STEP_MINUTES, DISTANCE_EDGES_KM, commute_band, distance_band
from matcher.records.cards import area_centre, area_centres, areas
from matcher.records.geo import Gazetteer, commute_minutes, haversine_km
from matcher.records.reference import ReferenceData
from tests.api.conftest import Ids, World

VACANCIES = 12
CANDIDATES = 300  # the whole world: both source systems (ids S-... in the city, LK-... outside)
BATCH = 200  # SCORE_PAIRS_MAX
CITY = "07312000"  # Kaiserslautern: the one municipality with several postcodes (6)

Seen = tuple[Any, Any, Any, Any, Any]  # distance_km, commute_minutes, distance_band, commute_band, commute_mode


@dataclass(frozen=True)
class Places:
    """Hypotheses of the attacker: points of the region and the postcodes each one stands for."""

    distances: np.ndarray  # point x chosen vacancy, km
    postcodes: list[frozenset[str]]


@dataclass(frozen=True)
class Setup:
    vacancies: list[dict[str, Any]]  # as the admin reads them, distinct postcodes
    candidates: list[dict[str, Any]]  # full records (the truth the attack is graded against)
    by_postcode: Places  # postcode centroids
    by_municipality: Places  # municipality centroids
    by_area: Places  # centres of the areas the cards name (matcher.records.cards)
    gazetteer: Gazetteer
    area_postcodes: dict[str, frozenset[str]]  # AGS -> every postcode of its card area


def _spread(vacancies: list[dict[str, Any]], gazetteer: Gazetteer, n: int) -> list[dict[str, Any]]:
    """n vacancies with distinct postcodes, spread over the region (greedy farthest point): what an
    attacker picks to triangulate."""
    by_postcode: dict[str, dict[str, Any]] = {}
    for v in sorted(vacancies, key=lambda v: v["id"]):
        by_postcode.setdefault(v["postcode"], v)
    pool = list(by_postcode.values())
    assert len(pool) >= n, f"only {len(pool)} distinct vacancy postcodes"
    where = np.array([gazetteer.locate(v["ags"], v["postcode"]) for v in pool])
    chosen = [0]
    gap = haversine_km(where[:, 0], where[:, 1], where[0, 0], where[0, 1])
    while len(chosen) < n:
        nxt = int(np.argmax(gap))
        chosen.append(nxt)
        gap = np.minimum(gap, haversine_km(where[:, 0], where[:, 1], where[nxt, 0], where[nxt, 1]))
    return [pool[i] for i in chosen]


def _places(points: Sequence[tuple[float, float]], postcodes: list[frozenset[str]], there: np.ndarray) -> Places:
    here = np.array(points)
    return Places(haversine_km(here[:, None, 0], here[:, None, 1], there[None, :, 0], there[None, :, 1]), postcodes)


@pytest.fixture(scope="module")
def setup(client: TestClient, api_world: World) -> Setup:
    admin = api_world.auth(Role.ADMIN)
    reference = ReferenceData()
    gazetteer = Gazetteer(reference)
    vacancies = client.get("/v1/vacancies?limit=500&status=open", headers=admin).json()["items"]
    chosen = _spread(vacancies, gazetteer, VACANCIES)
    candidates = client.get(f"/v1/candidates?limit={CANDIDATES}", headers=admin).json()["items"]
    assert len(candidates) == CANDIDATES
    there = np.array([gazetteer.locate(v["ags"], v["postcode"]) for v in chosen])
    codes = list(reference.postcodes["postcode"])
    by_postcode = _places(
        [gazetteer.locate(gazetteer.municipalities_of(p)[0], p) for p in codes], [frozenset([p]) for p in codes], there
    )
    municipalities = list(reference.municipalities["ags"])
    by_municipality = _places(
        [gazetteer.locate(a) for a in municipalities],
        [frozenset(gazetteer.postcodes_of(a)) for a in municipalities],
        there,
    )
    names, centres = areas(reference), area_centres(reference)
    of_area = {
        area: frozenset(p for a in municipalities if names[a] == area for p in gazetteer.postcodes_of(a))
        for area in centres
    }
    by_area = _places(list(centres.values()), list(of_area.values()), there)
    area_postcodes = {a: of_area[names[a]] for a in municipalities}
    return Setup(chosen, candidates, by_postcode, by_municipality, by_area, gazetteer, area_postcodes)


@dataclass(frozen=True)
class Observed:
    """What one role was shown: per candidate, one ``Seen`` per chosen vacancy; and the bodies."""

    values: dict[str, list[Seen]]
    bodies: list[dict[str, Any]]


def _observe(client: TestClient, world: World, setup: Setup, role: Role) -> Observed:
    """Score every (candidate, chosen vacancy) pair as ``role`` (the employer service names people
    by their card pseudonyms; the attacker here links them across vacancies all the same)."""
    masked = role == Role.EMPLOYER_SERVICE
    person: dict[str, str] = {}  # the name the role uses -> customer number
    pairs = []
    for c in setup.candidates:
        for v in setup.vacancies:
            name = world.pseudonym(v["id"], c["id"]) if masked else c["id"]
            person[name] = c["id"]
            pairs.append({"candidate_id": name, "vacancy_id": v["id"]})
    values: dict[str, list[Seen]] = {c["id"]: [] for c in setup.candidates}
    bodies = []
    for start in range(0, len(pairs), BATCH):
        response = client.post("/v1/score", json={"pairs": pairs[start : start + BATCH]}, headers=world.auth(role))
        assert response.status_code == 200, response.text
        bodies.append(response.json())
        for item in response.json()["items"]:
            d = item["details"]
            values[person[item["candidate_id"]]].append(
                (d["distance_km"], d["commute_minutes"], d["distance_band"], d["commute_band"], d["commute_mode"])
            )
    return Observed(values, bodies)


Consistent = Callable[[np.ndarray, list[Seen]], np.ndarray]


def _exact(distances: np.ndarray, seen: list[Seen]) -> np.ndarray:
    """Points whose distances round to the distances shown (0.1 km)."""
    shown = np.array([s[0] for s in seen], dtype=float)
    return np.all(np.abs(np.round(distances, 1) - shown) <= 0.051, axis=1)


def _bands(distances: np.ndarray, seen: list[Seen]) -> np.ndarray:
    """Points whose distance and commute bands (by the car or bus shown) are those shown."""
    ok = np.ones(len(distances), dtype=bool)
    for j, (_, _, dband, cband, mode) in enumerate(seen):
        for i in np.flatnonzero(ok):
            minutes = float(np.round(commute_minutes(distances[i, j], mode == "car")))
            ok[i] = distance_band(float(round(distances[i, j], 1))) == dband and commute_band(minutes) == cband
    return ok


@dataclass(frozen=True)
class Inference:
    sizes: list[int]  # consistent postcodes per candidate
    city_sizes: list[int]  # the same for the job seekers of Kaiserslautern (city)
    truth_kept: float  # share of candidates whose own postcode is consistent (checks the attack model)

    @property
    def pinned(self) -> float:
        return sum(s == 1 for s in self.sizes) / len(self.sizes)

    @property
    def median(self) -> float:
        return statistics.median(self.sizes)

    def __str__(self) -> str:
        city_pinned = sum(s == 1 for s in self.city_sizes)
        return (
            f"pinned {self.pinned:.0%}, median set {self.median}, truth kept {self.truth_kept:.0%}, city: "
            f"{city_pinned} of {len(self.city_sizes)} pinned, sizes {sorted(self.sizes)}"
        )


def _infer(
    setup: Setup, observed: Observed, consistent: Consistent, places: Places, by_place: bool = False
) -> Inference:
    """``by_place``: also keep only the postcodes of the area named on the card."""
    sizes, city, kept = [], [], 0
    for c in setup.candidates:
        ok = consistent(places.distances, observed.values[c["id"]])
        found: set[str] = set().union(*(places.postcodes[i] for i in np.flatnonzero(ok)))
        if by_place:
            found &= setup.area_postcodes[c["ags"]]
        sizes.append(len(found))
        if c["ags"] == CITY:
            city.append(len(found))
        kept += c["postcode"] in found
    return Inference(sizes, city, kept / len(setup.candidates))


def _place_alone(setup: Setup) -> Inference:
    """What the card's place name (Stadt or Landkreis, :mod:`matcher.records.cards`) tells by itself."""
    sizes = [len(setup.area_postcodes[c["ags"]]) for c in setup.candidates]
    return Inference(sizes, [s for s, c in zip(sizes, setup.candidates) if c["ags"] == CITY], 1.0)


@pytest.fixture(scope="module")
def precise(client: TestClient, api_world: World, setup: Setup) -> Observed:
    return _observe(client, api_world, setup, Role.CASEWORKER)


@pytest.fixture(scope="module")
def banded(client: TestClient, api_world: World, setup: Setup) -> Observed:
    return _observe(client, api_world, setup, Role.EMPLOYER_SERVICE)


def test_exact_distances_pin_the_postcode(setup: Setup, precise: Observed) -> None:
    """The attack of the issue, on what caseworkers see: exact distances give the postcode away."""
    found = _infer(setup, precise, _exact, setup.by_postcode)
    print(f"\nexact ({len(setup.vacancies)} vacancies, {len(setup.candidates)} candidates): {found}")
    assert found.truth_kept == 1.0
    assert found.pinned >= 0.9


def test_bands_of_exact_distances_would_still_pin_most(setup: Setup, precise: Observed) -> None:
    """Why the employer service's bands are not bands of the exact distance: the caseworker's bands
    (of exact distances) pin most postcodes all the same."""
    found = _infer(setup, precise, _bands, setup.by_postcode)
    print(f"\nbands of exact distances: {found}")
    assert found.truth_kept == 1.0
    assert found.pinned >= 0.5


def test_employer_service_sees_no_exact_geography(banded: Observed) -> None:
    for seen in banded.values.values():
        assert all(km is None and minutes is None and dband and cband for km, minutes, dband, cband, _ in seen)


def test_employer_bands_tell_no_more_than_the_card(setup: Setup, banded: Observed) -> None:
    """The attack on what the employer service sees, by an attacker who knows the method: every
    postcode of the area the card names stays open, whatever the vacancies."""
    found = _infer(setup, banded, _bands, setup.by_area)
    with_place = _infer(setup, banded, _bands, setup.by_area, by_place=True)
    naive = _infer(setup, banded, _bands, setup.by_postcode)
    place = _place_alone(setup)
    print(
        f"\nemployer bands: {found}\n  + place name: {with_place}\n  place name alone: {place}"
        f"\n  attacker assuming postcode centroids: {naive}"
    )
    assert found.truth_kept == 1.0
    assert with_place.sizes == place.sizes  # the distances add nothing to the card
    assert found.pinned <= place.pinned and not any(s == 1 for s in found.city_sizes)
    assert found.median >= 3


def test_same_card_same_bands(setup: Setup, banded: Observed) -> None:
    """The employer service's bands are a function of the card (municipality, car) and the vacancy."""
    groups: dict[tuple[str, bool], list[list[Seen]]] = {}
    for c in setup.candidates:
        groups.setdefault((c["ags"], c["has_car"]), []).append(banded.values[c["id"]])
    assert any(len(g) > 1 for g in groups.values())
    for seen in groups.values():
        assert len({tuple((s[2], s[3]) for s in one) for one in seen}) == 1


LEAK = re.compile(r"(\d+(?:[.,]\d+)?)\s*(km|Min)")


def _leaks(text: str) -> list[str]:
    """Numbers of km or minutes in ``text`` that are not band edges (10, 25, 50 km; 15-minute steps)."""
    out = []
    for number, unit in LEAK.findall(text):
        value = float(number.replace(",", "."))
        edge = value in DISTANCE_EDGES_KM if unit == "km" else value > 0 and value % COMMUTE_STEP_MINUTES == 0
        if not edge:
            out.append(f"{number} {unit}")
    return out


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [str(k), *_strings(v)]]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_leak_pattern_sees_the_precise_sentences(
    client: TestClient, api_world: World, setup: Setup, precise: Observed
) -> None:
    """The check below would catch the engine's own sentences ("12 km, mit dem Auto etwa 20 Minuten")."""
    reasons = [r for body in precise.bodies for item in body["items"] for r in item["reasons"]]
    assert any(_leaks(r) for r in reasons)


def test_no_km_or_minutes_but_band_edges_for_the_employer_service(
    client: TestClient, api_world: World, setup: Setup, banded: Observed
) -> None:
    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    bodies = list(banded.bodies)
    for vacancy in setup.vacancies[:4]:
        for request in (
            {"k": 50},
            {"k": 20, "filters": {"enabled": False}},
            {"k": 5, "include_reasons": False},
            {"k": 10, "filters": {"max_distance_km": 17.3, "max_commute_minutes": 37}},
        ):
            response = client.post(f"/v1/vacancies/{vacancy['id']}/candidates", json=request, headers=headers)
            assert response.status_code == 200, response.text
            bodies.append(response.json())
    texts = [s for body in bodies for s in _strings(body)]
    assert any("Min." in t for t in texts) and any(" km" in t for t in texts)  # bands are there
    leaks = sorted({leak for t in texts for leak in _leaks(t)})
    assert not leaks, leaks
    for body in bodies:
        for item in body["items"]:
            for facts in (item.get("facts"), item.get("details")):
                if facts is not None:
                    assert facts["distance_km"] is None and facts["commute_minutes"] is None
                    assert "postcode" not in facts and "ags" not in facts


def test_employer_distance_reason_is_banded(client: TestClient, api_world: World, ids: Ids) -> None:
    """Same pair, two roles: the caseworker's sentence has numbers, the employer service's bands,
    measured from the centre of the card's area (matcher.records.cards); the reasons that name nothing of
    the person beyond the card are the same, and the employer service gets no effects."""
    masked = api_world.pseudonym(ids.vacancy, ids.candidate)
    pairs = {
        Role.CASEWORKER: {"pairs": [{"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}]},
        Role.EMPLOYER_SERVICE: {"pairs": [{"candidate_id": masked, "vacancy_id": ids.vacancy}]},
    }
    seen = {
        role: client.post("/v1/score", json=pair, headers=api_world.auth(role)).json()["items"][0]
        for role, pair in pairs.items()
    }
    assert seen[Role.EMPLOYER_SERVICE]["candidate_id"] == masked
    precise, banded = seen[Role.CASEWORKER], seen[Role.EMPLOYER_SERVICE]
    assert precise["score"] == banded["score"]
    families = list(precise["details"]["effects"])
    assert banded["details"]["effects"] == {} and "distance" in families
    details = banded["details"]
    mode = "mit dem Auto" if ids.candidate_record["has_car"] else "mit Bus und Bahn"
    for family, mine in zip(families, precise["reasons"]):
        if family == "distance":
            assert re.match(r"^\d+ km, mit ", mine), mine
            sentence = f"{details['distance_band']} entfernt, {details['commute_band']} {mode}"
            assert any(r.startswith(sentence) for r in banded["reasons"]), banded["reasons"]
        elif family in ("occupation", "skills", "licences", "vacancy", "similarity"):
            assert mine in banded["reasons"]
        else:
            assert mine not in banded["reasons"] or family == "working_time", (family, mine)
    assert not any("Jahre Berufserfahrung" in r for r in banded["reasons"])
    reference = ReferenceData()
    gazetteer = Gazetteer(reference)
    c, v = ids.candidate_record, ids.vacancy_record
    centre = area_centre(c["ags"], reference)
    assert centre is not None
    (la1, lo1), (la2, lo2) = centre, gazetteer.locate(v["ags"], v["postcode"])
    km = float(haversine_km(la1, lo1, la2, lo2))
    assert banded["details"]["distance_band"] == distance_band(round(km, 1))
    assert banded["details"]["commute_band"] == commute_band(round(float(commute_minutes(km, c["has_car"]))))
    assert precise["details"]["distance_km"] is not None and banded["details"]["distance_km"] is None
    assert precise["details"]["distance_band"] == distance_band(precise["details"]["distance_km"])


def test_employer_limits_are_widened_to_band_edges(client: TestClient, api_world: World, ids: Ids) -> None:
    """A limit swept in small steps would measure each distance: the employer service's limits snap
    to band edges (and the answer says so), the admin's stay as asked."""
    asked = {
        "k": 100,
        "include_reasons": False,
        "filters": {"max_distance_km": 11.0, "max_commute_minutes": 500, "use_candidate_limits": False},
    }
    edge = {
        "k": 100,
        "include_reasons": False,
        "filters": {"max_distance_km": 25.0, "max_commute_minutes": 510, "use_candidate_limits": False},
    }
    url = f"/v1/vacancies/{ids.vacancy}/candidates"
    employer = client.post(url, json=asked, headers=api_world.auth(Role.EMPLOYER_SERVICE)).json()
    at_edge = client.post(url, json=edge, headers=api_world.auth(Role.EMPLOYER_SERVICE)).json()
    admin = client.post(url, json=asked, headers=api_world.auth(Role.ADMIN)).json()
    assert [i["id"] for i in employer["items"]] == [i["id"] for i in at_edge["items"]]
    assert employer["excluded"] == at_edge["excluded"]
    assert any("25 km" in w for w in employer["warnings"]) and any("510 Min." in w for w in employer["warnings"])
    assert not any("widened" in w for w in admin["warnings"] + at_edge["warnings"])
    assert all(i["facts"]["distance_km"] <= 11.0 for i in admin["items"])


def test_employer_answers_match_their_response_schemas(client: TestClient, api_world: World, ids: Ids) -> None:
    from api.schemas import ScoreResponse, ShortlistResponse

    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    body = client.post(f"/v1/vacancies/{ids.vacancy}/candidates", json={"k": 5}, headers=headers).json()
    assert body["items"] and ShortlistResponse.model_validate(body).model_dump(mode="json") == body
    pair = {"candidate_id": body["items"][0]["id"], "vacancy_id": ids.vacancy}
    scored = client.post("/v1/score", json={"pairs": [pair]}, headers=headers).json()
    assert ScoreResponse.model_validate(scored).model_dump(mode="json") == scored


def test_candidate_cards_hold_no_postcode_or_municipality_key(client: TestClient, api_world: World, ids: Ids) -> None:
    full = client.get("/v1/candidates?limit=100", headers=api_world.auth(Role.ADMIN)).json()["items"]
    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    for record in full:
        masked = api_world.pseudonym(ids.vacancy, record["id"])
        response = client.get(f"/v1/vacancies/{ids.vacancy}/candidates/{masked}", headers=headers)
        assert response.status_code == 200, response.text
        card = response.json()
        assert card["id"] == masked and record["id"] not in set(map(str, _strings(card)))
        assert not {"postcode", "ags", "lat", "lon", "max_commute_km", "max_commute_minutes"} & set(card)
        values = set(map(str, _strings(card)))
        assert record["postcode"] not in values and record["ags"] not in values


def _membership(
    client: TestClient, world: World, setup: Setup, role: Role = Role.EMPLOYER_SERVICE
) -> dict[str, list[tuple[int, int, bool]]]:
    """Per candidate, (vacancy, limit, within) for each chosen vacancy and distance limit the employer service
    can learn from who passes a distance-only filter."""
    out: dict[str, list[tuple[int, int, bool]]] = {c["id"]: [] for c in setup.candidates}
    off = {name: False for name in ("commute", "working_time", "licences", "availability")}
    for j, vacancy in enumerate(setup.vacancies):
        for edge in DISTANCE_EDGES_KM[:2]:
            request = {
                "k": 100,
                "include_reasons": False,
                "filters": {**off, "max_distance_km": edge, "use_candidate_limits": False},
            }
            body = client.post(
                f"/v1/vacancies/{vacancy['id']}/candidates", json=request, headers=world.auth(role)
            ).json()
            passed = {i["id"] for i in body["items"]}  # pseudonyms for the employer service
            complete = body["eligible"] <= len(body["items"])
            for c in setup.candidates:
                name = world.pseudonym(vacancy["id"], c["id"]) if role == Role.EMPLOYER_SERVICE else c["id"]
                if name in passed or complete:
                    out[c["id"]].append((j, edge, name in passed))
    return out


def _contradictions(membership: dict[str, list[tuple[int, int, bool]]], setup: Setup, ags: str) -> int:
    """(vacancy, limit) pairs where two job seekers of one municipality got different answers."""
    seen: dict[tuple[int, int], set[bool]] = {}
    for c in setup.candidates:
        if c["ags"] == ags:
            for j, edge, within in membership[c["id"]]:
                seen.setdefault((j, edge), set()).add(within)
    return sum(len(answers) > 1 for answers in seen.values())


def test_filter_membership_tells_no_more_than_the_card(client: TestClient, api_world: World, setup: Setup) -> None:
    """For the employer service the distance filter measures from the municipality's centre, as the
    card shows it: whoever of one municipality is seen passes or fails a limit alike, so sweeping
    band edges at many vacancies narrows nobody down below the card's place."""
    membership = _membership(client, api_world, setup)
    assert sum(len(v) for c, v in membership.items()) > 100  # the attack observed something
    for ags in {c["ags"] for c in setup.candidates}:
        assert _contradictions(membership, setup, ags) == 0, ags
    # An admin's exact filter does tell the city's postcodes apart (the check above could fail).
    assert _contradictions(_membership(client, api_world, setup, Role.ADMIN), setup, CITY) > 0
