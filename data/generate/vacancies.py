"""Employers and vacancies of the joint employer service: open ones and those of the past years."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from data.generate.catalog import Catalog, Occupation
from data.generate.config import WorldConfig
from data.generate.occupations import AGENCY_SECTORS
from data.generate.postings import PostingFacts, describe
from data.generate.texts import employer_name, gendered_title, pick

# Statutory minimum wage per year (EUR an hour); hourly pay of Helfer jobs starts there.
MINIMUM_WAGE = {2023: 12.00, 2024: 12.41, 2025: 12.82, 2026: 13.90, 2027: 14.60}
MONTHLY_PAY = {2: (2500, 3300), 3: (3300, 4300), 4: (4300, 6000)}
PART_TIME_P = {"pflege": 0.45, "soziales": 0.5, "reinigung": 0.55, "handel": 0.45, "gastro": 0.4, "buero": 0.3}
SHIFT_P = {"produktion": 0.65, "logistik": 0.55, "pflege": 0.75, "sicherheit": 0.8, "gastro": 0.35, "verkehr": 0.4}
WEEKEND_P = {
    "pflege": 0.8,
    "gastro": 0.8,
    "handel": 0.6,
    "sicherheit": 0.7,
    "soziales": 0.2,
    "reinigung": 0.3,
    "verkehr": 0.3,
    "logistik": 0.25,
}
LICENCE_B_P = {"pflege": 0.3, "handwerk": 0.4, "bau": 0.4, "garten": 0.5, "sicherheit": 0.2, "soziales": 0.2}


def generate_employers(rng: np.random.Generator, catalog: Catalog, n: int) -> pd.DataFrame:
    """Employers with sector, seat, unique invented name, size and hidden selectivity."""
    places = catalog.places
    sectors = sorted({o.spec.sector for o in catalog.occupations})
    shares = np.array([sum(o.spec.vacancies for o in catalog.occupations if o.spec.sector == s) for s in sectors])
    sector_of = list(rng.choice(sectors, size=n, p=shares / shares.sum()))
    agencies = max(3, n // 25)
    sector_of[:agencies] = ["personal"] * agencies
    seat_p = places.population**1.15 / (places.population**1.15).sum()
    seats = rng.choice(len(places.ags), size=n, p=seat_p)
    names: list[str] = []
    for sector, seat in zip(sector_of, seats):
        name = employer_name(rng, sector, places.short_name(int(seat)))
        while name in names:
            name = employer_name(rng, sector, places.short_name(int(seat)))
        names.append(name)
    agency = np.array([s == "personal" for s in sector_of])
    return pd.DataFrame(
        {
            "employer_id": [f"AG-{i + 1:05d}" for i in range(n)],
            "name": names,
            "sector": sector_of,
            "place": seats,
            "agency": agency,
            "size": rng.pareto(1.3, size=n) + 1.0 + agency * 4.0,
            "selectivity": np.where(agency, rng.normal(-0.3, 0.3, n), rng.normal(0.0, 0.45, n)),
        }
    )


def employer_pools(employers: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per sector (agencies under 'personal'): employer rows and their cumulative size shares."""
    pools = {}
    sectors = employers["sector"].to_numpy()
    size = employers["size"].to_numpy()
    for sector in sorted(set(sectors)) + ["*"]:
        rows = np.flatnonzero(sectors != "personal" if sector == "*" else sectors == sector)
        pools[sector] = (rows, np.cumsum(size[rows]) / size[rows].sum())
    return pools


def _employer(rng: np.random.Generator, pools: dict, sector: str, agency: bool) -> int:
    rows, cumulative = pools.get("personal" if agency else sector, pools["*"])
    return int(rows[min(int(np.searchsorted(cumulative, rng.random())), len(rows) - 1)])


def _dates(rng: np.random.Generator, today: date, open_: bool, years: int) -> tuple[date, date]:
    """Posting date and (hidden) closing date; open vacancies close 'today'."""
    if open_:
        posted = today - timedelta(days=int(min(364, rng.gamma(1.4, 40)) + 1))
        return posted, today
    posted = today - timedelta(days=int(rng.integers(25, 365 * years)))
    duration = 14 + int(rng.gamma(2.0, 30))
    return posted, min(posted + timedelta(days=duration), today - timedelta(days=1))


def _start(rng: np.random.Generator, posted: date) -> date:
    lead = int(rng.choice([0, 0, 14, 30, 60]))
    if lead == 0:
        return posted
    later = posted + timedelta(days=lead)
    return date(later.year + later.month // 12, later.month % 12 + 1, 1)


def _pay(rng: np.random.Generator, level: int, posted: date) -> tuple[float | None, float | None, str]:
    if rng.random() < 0.2:
        return None, None, "monat"
    if level == 1:
        low = round(MINIMUM_WAGE.get(posted.year, 13.90) + float(rng.uniform(0, 1.6)), 2)
        return low, round(low + float(rng.choice([0.0, 0.5, 1.0, 2.0])), 2), "stunde"
    lo, hi = MONTHLY_PAY[level]
    low = float(round(rng.uniform(lo, hi), -2))
    return low, low + float(rng.choice([0, 200, 300, 500, 700])), "monat"


def _requirements(rng: np.random.Generator, occupation: Occupation) -> dict[str, object]:
    code, sector, level = occupation.code, occupation.spec.sector, occupation.level
    if code == "52122":
        licences = ["CE"] if rng.random() < 0.7 else ["C"]
    elif code == "52132":
        licences = ["D"]
    elif code == "52182":
        licences = ["C1"] if rng.random() < 0.25 else ["B"]
    else:
        licences = ["B"] if rng.random() < LICENCE_B_P.get(sector, 0.05) else []
    permit_p = {
        "52531": {"forklift": 1.0},
        "51311": {"forklift": 0.35},
        "51312": {"forklift": 0.5},
        "52122": {"adr": 0.2},
        "24422": {"welding": 0.6},
        "24412": {"welding": 0.3},
        "62312": {"ifsg43": 0.6},
        "62302": {"ifsg43": 0.6},
    }.get(code, {})
    if sector == "gastro":
        permit_p = {"ifsg43": 0.6}
    if sector == "sicherheit":
        permit_p = {"gewo34a": 1.0}
    permits = [p for p, prob in permit_p.items() if rng.random() < prob]
    german = {1: [None, "A2", "B1"], 2: ["A2", "B1", "B2"], 3: ["B2", "C1"], 4: ["C1", "C1"]}[level]
    if sector in ("pflege", "buero", "soziales") and level >= 2:
        german = ["B2", "C1"]
    return {"licences": licences, "permits": permits, "german_min": pick(rng, german)}


def _working_time(rng: np.random.Generator, sector: str) -> dict[str, object]:
    part = PART_TIME_P.get(sector, 0.1)
    kind = str(rng.choice(["vollzeit", "teilzeit", "vollzeit_teilzeit"], p=[0.85 - part, part, 0.15]))
    hours = {"vollzeit": [38, 39, 40, 40, 37.5], "teilzeit": [15, 20, 20, 25, 30], "vollzeit_teilzeit": [30, 35, 39]}[
        kind
    ]
    return {
        "working_time": kind,
        "hours": float(pick(rng, hours)),
        "shifts": bool(rng.random() < SHIFT_P.get(sector, 0.1)),
        "weekends": bool(rng.random() < WEEKEND_P.get(sector, 0.08)),
    }


def weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct indices drawn with probability proportional to ``weights`` (Gumbel top-k)."""
    keys = np.log(weights) + rng.gumbel(size=len(weights))
    k = min(k, len(weights))
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k else np.array([], dtype=np.int64)


def _skills(rng: np.random.Generator, occupation: Occupation) -> tuple[list[str], list[str]]:
    """Required skills favour the occupation's core; optional ones come from the rest."""
    weights = occupation.skill_weights
    required = weighted_sample(rng, weights**1.5, int(rng.integers(3, 7)))
    rest = np.setdiff1d(np.arange(len(weights)), required)
    optional = rest[weighted_sample(rng, weights[rest], int(rng.integers(2, 5)))]
    return [occupation.skills[i] for i in required], [occupation.skills[i] for i in optional]


def _pay_text(low: float | None, high: float | None, unit: str) -> str:
    if low is None:
        return ""
    if unit == "stunde":
        return f"Stundenlohn ab {low:.2f} Euro brutto".replace(".", ",")
    return f"Monatsgehalt ab {low:,.0f} Euro brutto".replace(",", ".")


def _vacancy(
    rng: np.random.Generator, catalog: Catalog, employers: dict, occ_index: int, open_: bool, config: WorldConfig
) -> dict[str, object]:
    occupation = catalog.occupations[occ_index]
    places = catalog.places
    sector, level = occupation.spec.sector, occupation.level
    agency = rng.random() < (0.45 if sector in AGENCY_SECTORS and level <= 2 else 0.06)
    e = _employer(rng, employers["pools"], sector, agency)
    place = int(employers["place"][e])
    if agency:  # the client's site, not the agency's office
        place = int(np.searchsorted(employers["seat_cumulative"], rng.random()))
    posted, closed = _dates(rng, config.reference_date, open_, config.history_years)
    pay_min, pay_max, unit = _pay(rng, level, posted)
    contract = "arbeitnehmerueberlassung" if agency else pick(rng, ["unbefristet"] * 3 + ["befristet"] * 2)
    row: dict[str, object] = {
        "occ": occ_index,
        "kldb": occupation.code,
        "level": level,
        "employer": e,
        "agency": agency,
        "place": place,
        "postcode": pick(rng, places.postcodes[place]),
        "posted_at": posted,
        "closed_at": closed,
        "start_date": _start(rng, posted),
        "pay_min": pay_min,
        "pay_max": pay_max,
        "pay_unit": unit,
        "contract": contract,
        "positions": int(min(10, 1 + rng.poisson(1.2))) if agency else int(pick(rng, [1] * 6 + [2, 3])),
        "open": open_,
        **_working_time(rng, sector),
        **_requirements(rng, occupation),
    }
    row["base_title"] = gendered_title(pick(rng, occupation.titles))
    suffix = " in Teilzeit" if row["working_time"] == "teilzeit" and rng.random() < 0.4 else ""
    row["title"] = row["base_title"] + suffix
    row["required"], row["optional"] = _skills(rng, occupation)
    return row


def _describe(rng: np.random.Generator, catalog: Catalog, employers: dict, row: dict) -> str:
    occupation = catalog.occupations[int(row["occ"])]
    facts = PostingFacts(
        employer=str(employers["name"][row["employer"]]),
        sector=occupation.spec.sector,
        agency=bool(row["agency"]),
        place=catalog.places.short_name(int(row["place"])),
        title=str(row["base_title"]),
        working_time=str(row["working_time"]),
        hours=float(row["hours"]),
        shifts=bool(row["shifts"]),
        weekends=bool(row["weekends"]),
        licences=tuple(row["licences"]),
        permits=tuple(row["permits"]),
        german_min=row["german_min"],
        start=row["start_date"],
        posted=row["posted_at"],
        pay=_pay_text(row["pay_min"], row["pay_max"], str(row["pay_unit"])),
        contract=str(row["contract"]),
    )
    labels = [catalog.skill_labels[s] for s in row["required"]][:4]
    return describe(rng, facts, occupation, labels)


def _separate(rows: list[dict]) -> None:
    """Move start dates so that no two postings look like one posting delivered twice.

    Ingestion merges vacancies that agree in employer, KldB code, title, place, start date, hours
    and working time; only the deliberate duplicates may do so.
    """
    keys: set[tuple] = set()
    for row in rows:
        while True:
            key = (
                row["employer"],
                row["kldb"],
                str(row["base_title"]).casefold(),
                row["place"],
                row["start_date"],
                row["hours"],
                row["working_time"],
            )
            if key not in keys:
                break
            row["start_date"] = row["start_date"] + timedelta(days=1)
        keys.add(key)


def generate_vacancies(
    rng: np.random.Generator, catalog: Catalog, employers: pd.DataFrame, n_open: int, n_closed: int, config: WorldConfig
) -> pd.DataFrame:
    """Open and closed vacancies in posting order with ids, sources and unique descriptions."""
    weights = np.array([o.spec.vacancies for o in catalog.occupations])
    occs = rng.choice(len(weights), size=n_open + n_closed, p=weights / weights.sum())
    seat = catalog.places.population**1.15
    lookup = {
        "pools": employer_pools(employers),
        "place": employers["place"].to_numpy(),
        "name": employers["name"].to_numpy(),
        "seat_cumulative": np.cumsum(seat) / seat.sum(),
    }
    rows = [_vacancy(rng, catalog, lookup, int(o), i < n_open, config) for i, o in enumerate(occs)]
    _separate(rows)
    seen: set[str] = set()
    for row in rows:
        text = _describe(rng, catalog, lookup, row)
        while text in seen:  # no two postings identical by accident
            text = _describe(rng, catalog, lookup, row)
        seen.add(text)
        row["description"] = text
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["posted_at", "employer", "kldb"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"AGS-{d.year}-{i + 1:06d}" for i, d in enumerate(frame["posted_at"])])
    stadt = frame["place"].to_numpy() == catalog.places.stadt_index
    channel = np.where(stadt, "ags_stadt", "ags_landkreis")
    frame.insert(1, "source", np.where(rng.random(len(frame)) < 0.1, "jobboerse", channel))
    frame["employer_id"] = employers["employer_id"].to_numpy()[frame["employer"].to_numpy()]
    frame["employer_name"] = employers["name"].to_numpy()[frame["employer"].to_numpy()]
    frame["selectivity"] = employers["selectivity"].to_numpy()[frame["employer"].to_numpy()]
    frame["status"] = np.where(frame["open"], "open", "closed")
    return frame
