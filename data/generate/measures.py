"""The demo world's catalogue of qualification and activation measures (``massnahmen.jsonl``).

Real instruments of the Jobcenters, with made-up providers at real places of the region:
- FbW with Bildungsgutschein (§ 81 SGB III): courses that teach the essential ESCO skills of one
  occupation, and permits (Sachkunde § 34a GewO, ADR, Schweißen, Kran);
- AVGS (§ 45 SGB III): short activation modules with skills many occupations ask for, and the
  hygiene instruction (§ 43 IfSG);
- Berufssprachkurse (DeuFöV): A2 -> B1, B1 -> B2, B2 -> C1, full or part time;
- Teilqualifizierung: the Fachkraft level of an occupation in modules, part time too;
- Umschulung: a full vocational qualification (Fachkraft) in two years, full time;
- Führerschein (B, C, CE, D) and Staplerschein.

The catalogue draws from its own random stream (seeded from the world's seed), so adding it left
every other file of a world byte for byte as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from data.formats import MEASURES
from data.generate.catalog import Catalog, Occupation, build_catalog
from data.generate.config import WorldConfig
from data.generate.writers import JsonLine, write
from matcher.records.reference import ReferenceData

_STREAM = 1011  # the catalogue's own random stream, next to the world's seed

PROVIDERS: tuple[tuple[str, str], ...] = (
    ("TR-001", "Bildungswerk Westpfalz gGmbH"),
    ("TR-002", "Berufsbildungszentrum Lautertal"),
    ("TR-003", "Sprachinstitut Barbarossa"),
    ("TR-004", "Logistik-Akademie Westpfalz"),
    ("TR-005", "Fahrschule am Betzenberg"),
    ("TR-006", "Technikum Pfalz GmbH"),
    ("TR-007", "Pflegeschule Kaiserslautern-Land"),
    ("TR-008", "Sicherheitsakademie Südwest"),
    ("TR-009", "Kolleg für Arbeit und Beruf Landstuhl"),
)
# How many providers offer one kind (low, high + 1): language, licence and forklift courses are everywhere.
COPIES = {"berufssprachkurs": (3, 6), "fuehrerschein": (2, 5), "staplerschein": (3, 6)}
LANGUAGE_COURSES = (("A2", "B1"), ("B1", "B2"), ("B2", "C1"))
LICENCE_COURSES = (("B", 8), ("C", 12), ("CE", 16), ("D", 16))
PERMIT_COURSES = (
    ("gewo34a", "Sachkundeprüfung nach § 34a GewO", 6, "fbw"),
    ("adr", "ADR-Schulung Gefahrgutfahrer", 1, "fbw"),
    ("welding", "Schweißerkurs mit Prüfung nach DIN EN ISO 9606", 10, "fbw"),
    ("crane", "Kranführerschein", 2, "fbw"),
    ("ifsg43", "Hygieneschulung mit Belehrung nach § 43 IfSG", 1, "avgs"),
    ("forklift", "Staplerschein (Flurförderzeugführer nach DGUV Grundsatz 308-001)", 1, "staplerschein"),
)


@dataclass(frozen=True)
class _Offer:
    """What one measure teaches, before provider, place and dates are drawn."""

    type: str
    title: str
    weeks: int
    schedules: tuple[str, ...] = ("vollzeit",)
    skills: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    permits: tuple[str, ...] = ()
    german: tuple[str, str] | None = None
    level: int | None = None
    kldb: str | None = None


def _title(o: Occupation) -> str:
    return o.titles[0] if o.titles else o.code


def _skill_offers(catalog: Catalog) -> list[_Offer]:
    """One FbW course per occupation with at least four essential skills: its most weighted ones."""
    offers = []
    for o in catalog.occupations:
        core = [s for s in np.array(o.skills)[np.argsort(-o.skill_weights)] if s in o.essential][:6]
        if len(core) >= 4:
            title = f"Weiterbildung {_title(o)}: Fachkenntnisse"
            offers.append(_Offer("fbw", title, 12, ("vollzeit",), tuple(core), kldb=o.code))
    return offers


def _qualification_offers(catalog: Catalog) -> list[_Offer]:
    """Teilqualifizierung (modules, also part time) and Umschulung towards each Fachkraft code."""
    offers = []
    for o in catalog.occupations:
        if o.level != 2:
            continue
        core = tuple(s for s in o.skills if s in o.essential)[:8]
        both = ("vollzeit", "teilzeit")
        offers += [
            _Offer("teilqualifizierung", f"Teilqualifizierung {_title(o)}", 24, both, core, level=2, kldb=o.code),
            _Offer("umschulung", f"Umschulung {_title(o)}", 104, ("vollzeit",), core, level=2, kldb=o.code),
        ]
    return offers


def _transversal_offers(catalog: Catalog) -> list[_Offer]:
    """AVGS modules: the essential skills that the most occupations share, two per module."""
    counts: dict[str, int] = {}
    for o in catalog.occupations:
        for s in o.essential:
            counts[s] = counts.get(s, 0) + 1
    shared = [s for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2][:8]
    pairs = list(zip(shared[::2], shared[1::2]))
    return [
        _Offer(
            "avgs",
            f"Aktivierungsmodul: {catalog.skill_labels.get(a, 'Grundlagen')}",
            4,
            ("vollzeit", "teilzeit"),
            (a, b),
        )
        for a, b in pairs
    ]


def _fixed_offers() -> list[_Offer]:
    offers = [
        _Offer("berufssprachkurs", f"Berufssprachkurs Deutsch {a} → {b}", 16, ("vollzeit", "teilzeit"), german=(a, b))
        for a, b in LANGUAGE_COURSES
    ]
    offers += [_Offer("fuehrerschein", f"Führerschein Klasse {c}", w, licences=(c,)) for c, w in LICENCE_COURSES]
    offers += [
        _Offer(kind, title, weeks, ("vollzeit", "teilzeit") if weeks <= 2 else ("vollzeit",), permits=(p,))
        for p, title, weeks, kind in PERMIT_COURSES
    ]
    return offers


def catalogue_offers(catalog: Catalog) -> list[_Offer]:
    """Every kind of measure the region offers (each is then offered by one or more providers)."""
    return [*_fixed_offers(), *_skill_offers(catalog), *_qualification_offers(catalog), *_transversal_offers(catalog)]


def _starts(rng: np.random.Generator, today: date, weeks: int) -> list[str]:
    """Start dates in the year after ``today``: monthly for short courses, quarterly for long ones."""
    step = 28 if weeks <= 16 else 91
    first = int(rng.integers(0, step))
    return [(today + timedelta(days=d)).isoformat() for d in range(first, 365, step)]


def _record(rng: np.random.Generator, offer: _Offer, number: int, catalog: Catalog, today: date) -> dict[str, Any]:
    places = catalog.places
    weights = places.population / places.population.sum()
    place = int(rng.choice(len(places.ags), p=weights))
    provider = PROVIDERS[int(rng.integers(len(PROVIDERS)))]
    schedule = str(rng.choice(offer.schedules)) if len(offer.schedules) > 1 else offer.schedules[0]
    if len(offer.schedules) > 1 and rng.random() < 0.3:
        schedule = "vollzeit_teilzeit"
    return MEASURES.record(
        {
            "id": f"MN-{number:05d}",
            "type": MEASURES.encode("type", offer.type),
            "title": offer.title,
            "provider_id": provider[0],
            "provider_name": provider[1],
            "ags": places.ags[place],
            "postcode": str(rng.choice(places.postcodes[place])),
            "starts": _starts(rng, today, offer.weeks),
            "duration_weeks": offer.weeks if schedule != "teilzeit" else math.ceil(offer.weeks * 1.5),
            "schedule": schedule,
            "skills": list(offer.skills),
            "licences": list(offer.licences),
            "permits": list(offer.permits),
            "german_level": offer.german[1] if offer.german else None,
            "german_level_min": offer.german[0] if offer.german else None,
            "level": offer.level,
            "kldb": offer.kldb,
        }
    )


# Deliberately broken lines for the reject report: an unknown type, an impossible start date.
def _broken(good: dict[str, Any], number: int) -> list[JsonLine]:
    return [
        {**good, "massnahme_id": f"MN-{number:05d}", "art": "bildungsurlaub"},
        {**good, "massnahme_id": f"MN-{number + 1:05d}", "beginn": ["2027-02-30"]},
    ]


def measure_lines(config: WorldConfig, catalog: Catalog) -> tuple[list[JsonLine], int]:
    """The catalogue's lines (each offer by one to three providers) and how many are broken."""
    rng = np.random.default_rng([config.seed, _STREAM])
    lines: list[JsonLine] = []
    for offer in catalogue_offers(catalog):
        copies = 1 if offer.type == "umschulung" else int(rng.integers(*COPIES.get(offer.type, (1, 4))))
        for _ in range(copies):
            lines.append(_record(rng, offer, len(lines) + 1, catalog, config.reference_date))
    if not config.broken_rows or not lines:
        return lines, 0
    broken = _broken(lines[0], len(lines) + 1)  # type: ignore[arg-type]
    return [*lines, *broken], len(broken)


def write_measures(out: Path, config: WorldConfig, reference: ReferenceData | None = None) -> int:
    """Write only ``massnahmen.jsonl`` into an existing world folder (one generated before the
    catalogue existed); the lines are those :func:`data.generate.generate_world` writes. Returns
    how many lines."""
    lines, _ = measure_lines(config, build_catalog(reference or ReferenceData()))
    write(MEASURES, Path(out), lines)
    return len(lines)
