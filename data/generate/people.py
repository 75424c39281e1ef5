"""Job seekers of both Jobcenters, and their protected attributes drawn after the profile.

The profile is drawn first and never from a protected attribute. Protected attributes are drawn
afterwards, conditioned only where reality forces it: a person with 20 years of experience is at
least 37, and a job seeker whose German is not native is more often a foreign citizen. Gender and
severe disability are independent of the profile.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from data.generate.catalog import Catalog, Occupation
from data.generate.config import WorldConfig
from data.generate.profiles import profile_text
from data.generate.vacancies import weighted_sample

GERMAN_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
GERMAN_NON_NATIVE_P = (0.07, 0.15, 0.30, 0.25, 0.15, 0.08)
NATIVE_SHARE = 0.58
MOTHER_TONGUES = ("ar", "tr", "ru", "uk", "pl", "ro", "bg", "fa", "ku", "sq", "ti", "it")
SCHOOLS = ("none", "hauptschule", "mittlere_reife", "fachhochschulreife", "abitur")
VOCATIONAL = ("none", "apprenticeship", "master_technician", "bachelor", "master")
# School and vocational qualification by requirement level reached (rows: level 1..4).
SCHOOL_P = (
    (0.30, 0.42, 0.20, 0.04, 0.04),
    (0.05, 0.35, 0.40, 0.10, 0.10),
    (0.0, 0.10, 0.35, 0.25, 0.30),
    (0.0, 0.0, 0.05, 0.15, 0.80),
)
VOCATIONAL_P = (
    (0.72, 0.26, 0.0, 0.02, 0.0),
    (0.08, 0.88, 0.02, 0.02, 0.0),
    (0.0, 0.35, 0.45, 0.20, 0.0),
    (0.0, 0.0, 0.05, 0.45, 0.50),
)
CHILDCARE_SHARE = 0.22
LATER_AVAILABILITY_SHARE = 0.15


def _alternatives(rng: np.random.Generator, catalog: Catalog, main: int) -> list[int]:
    """0-2 further target occupations: a neighbour in the hierarchy or a job at the same level."""
    occupations = catalog.occupations
    count = int(rng.choice(3, p=(0.4, 0.4, 0.2)))
    chosen: list[int] = []
    for _ in range(count):
        if rng.random() < 0.5:
            pool = [i for i, o in enumerate(occupations) if o.code[:2] == occupations[main].code[:2]]
        else:
            pool = [i for i, o in enumerate(occupations) if o.level == occupations[main].level]
        pool = [i for i in pool if i != main and i not in chosen]
        if pool:
            chosen.append(pool[int(rng.integers(len(pool)))])
    return chosen


def _skills(rng: np.random.Generator, occupation: Occupation, k: int) -> list[str]:
    return [occupation.skills[i] for i in weighted_sample(rng, occupation.skill_weights, k)]


def _licences(rng: np.random.Generator, code: str) -> list[str]:
    if code == "52122":
        return ["CE"] if rng.random() < 0.85 else ["C"]
    if code == "52132":
        return ["D"]
    if code == "52182":
        return ["B", "C1"] if rng.random() < 0.3 else ["B"]
    if rng.random() < 0.52:
        return ["B", "BE"] if rng.random() < 0.1 else ["B"]
    return []


_PERMIT_P: dict[str, dict[str, float]] = {
    "forklift": {"logistik": 0.5, "produktion": 0.2, "verkehr": 0.2, "*": 0.03},
    "ifsg43": {"gastro": 0.5, "*": 0.02},
    "gewo34a": {"sicherheit": 0.85, "*": 0.0},
    "adr": {"verkehr": 0.15, "*": 0.0},
    "welding": {"produktion": 0.12, "*": 0.0},
    "crane": {"bau": 0.05, "produktion": 0.03, "*": 0.0},
}


def _permits(rng: np.random.Generator, occupation: Occupation) -> list[str]:
    sector = occupation.spec.sector
    held = [p for p, by in _PERMIT_P.items() if rng.random() < by.get(sector, by["*"])]
    if occupation.code == "52531" and "forklift" not in held:
        held.insert(0, "forklift")
    if occupation.code in ("62312", "62302") and rng.random() < 0.5 and "ifsg43" not in held:
        held.append("ifsg43")
    return held


def _working_time(rng: np.random.Generator, childcare: bool) -> dict[str, object]:
    if childcare:
        return {
            "working_time": "part_time",
            "hours": float(rng.choice([15, 20, 25, 30])),
            "shifts": bool(rng.random() < 0.08),
            "weekends": bool(rng.random() < 0.15),
        }
    kind = str(rng.choice(["full_time", "either", "part_time"], p=[0.72, 0.18, 0.10]))
    hours = {"full_time": [38, 39, 40], "either": [30, 35, 39], "part_time": [20, 25, 30]}[kind]
    return {
        "working_time": kind,
        "hours": float(rng.choice(hours)),
        "shifts": bool(rng.random() < 0.5),
        "weekends": bool(rng.random() < 0.45),
    }


def _mobility(rng: np.random.Generator, licences: list[str]) -> dict[str, object]:
    has_car = bool(licences) and rng.random() < 0.6
    minutes = (
        rng.choice([30, 45, 60, 75], p=[0.2, 0.35, 0.35, 0.1])
        if has_car
        else rng.choice([20, 30, 45, 60], p=[0.15, 0.35, 0.35, 0.15])
    )
    # The Landkreis records distance: what the minutes reach by car or by bus, in 5 km steps.
    km = max(5, int(round(minutes * (0.8 if has_car else 0.35) / 5) * 5))
    return {"has_car": has_car, "max_minutes": int(minutes), "max_km": km}


def _dates(rng: np.random.Generator, today: date) -> dict[str, date]:
    days = int(np.clip(rng.lognormal(6.2, 0.8), 7, 3000))
    registered = today - timedelta(days=days)
    roll = rng.random()
    if roll < LATER_AVAILABILITY_SHARE:
        available = today + timedelta(days=int(rng.integers(14, 150)))
    elif roll < LATER_AVAILABILITY_SHARE + 0.07:
        available = registered + timedelta(days=int(rng.integers(0, days + 1)))
    else:
        available = registered
    return {"registered_at": registered, "available_from": available}


def _languages(rng: np.random.Generator) -> tuple[str, dict[str, str]]:
    languages: dict[str, str] = {}
    if rng.random() < NATIVE_SHARE:
        german = "native"
    else:
        german = str(rng.choice(GERMAN_LEVELS, p=GERMAN_NON_NATIVE_P))
        languages[str(rng.choice(MOTHER_TONGUES))] = "C2"
    if rng.random() < 0.33:
        languages.setdefault("en", str(rng.choice(["A1", "A2", "B1", "B2"])))
    return german, languages


def _candidate(rng: np.random.Generator, catalog: Catalog, main: int, today: date) -> dict:
    occupation = catalog.occupations[main]
    alternatives = _alternatives(rng, catalog, main)
    level = occupation.level
    months = 0 if rng.random() < 0.15 else int(rng.gamma(2.0, 30 + 20 * level))
    k = 3 + min(7, months // 18) + int(rng.poisson(1.5))
    skills = set(_skills(rng, occupation, k))
    for alt in alternatives:
        skills.update(_skills(rng, catalog.occupations[alt], int(rng.integers(1, 3))))
    german, languages = _languages(rng)
    licences = _licences(rng, occupation.code)
    childcare = bool(rng.random() < CHILDCARE_SHARE)
    return {
        "occupations": [occupation.code] + [catalog.occupations[a].code for a in alternatives],
        "level": level,
        "skills": sorted(skills),
        "experience_months": min(months, 480),
        "school": str(rng.choice(SCHOOLS, p=SCHOOL_P[level - 1])),
        "vocational": str(rng.choice(VOCATIONAL, p=VOCATIONAL_P[level - 1])),
        "german": german,
        "languages": languages,
        "licences": licences,
        "permits": _permits(rng, occupation),
        "childcare": childcare,
        **_working_time(rng, childcare),
        **_mobility(rng, licences),
        **_dates(rng, today),
        "motivation": float(rng.normal(0.0, 0.5)),
    }


def _ids(rng: np.random.Generator, prefix: str, width: int, n: int, high: int) -> list[str]:
    numbers = np.sort(rng.choice(np.arange(1000, high), size=n, replace=False))
    return [f"{prefix}{int(x):0{width}d}" for x in numbers]


def generate_candidates(
    rng: np.random.Generator, catalog: Catalog, config: WorldConfig, n_stadt: int, n_landkreis: int
) -> pd.DataFrame:
    """Job seekers, Stadt first, each source in id order; hidden columns included."""
    places = catalog.places
    n = n_stadt + n_landkreis
    weights = np.array([o.spec.seekers for o in catalog.occupations])
    mains = rng.choice(len(weights), size=n, p=weights / weights.sum())
    landkreis = np.array([i for i in range(len(places.ags)) if i != places.stadt_index])
    pop = places.population[landkreis]
    homes = np.concatenate(
        [
            np.full(n_stadt, places.stadt_index),
            rng.choice(landkreis, size=n - n_stadt, p=pop / pop.sum()),
        ]
    )
    rows = [_candidate(rng, catalog, int(m), config.reference_date) for m in mains]
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", _ids(rng, "S-", 7, n_stadt, 2_000_000) + _ids(rng, "LK-", 6, n - n_stadt, 999_999))
    frame.insert(1, "source", ["stadt"] * n_stadt + ["landkreis"] * (n - n_stadt))
    frame.insert(2, "place", homes)
    frame.insert(3, "postcode", [str(rng.choice(places.postcodes[int(h)])) for h in homes])
    frame["profile"] = [profile_text(rng, catalog, row, config.reference_date) for row in frame.itertuples(index=False)]
    return frame


def generate_protected(rng: np.random.Generator, candidates: pd.DataFrame, today: date) -> pd.DataFrame:
    """Gender, birth year, citizenship group and severe disability, after the profile."""
    n = len(candidates)
    min_age = 18 + candidates["experience_months"].to_numpy() / 12.0
    age = np.maximum(rng.normal(42.0, 12.0, size=n), min_age)
    age = np.clip(np.round(age), 18, 64).astype(int)
    native = (candidates["german"] == "native").to_numpy()
    citizenship = np.where(
        native,
        rng.choice(["german", "eu", "third_country"], size=n, p=[0.92, 0.05, 0.03]),
        rng.choice(["german", "eu", "third_country"], size=n, p=[0.2, 0.3, 0.5]),
    )
    return pd.DataFrame(
        {
            "id": candidates["id"],
            "gender": rng.choice(["f", "m", "d"], size=n, p=[0.47, 0.52, 0.01]),
            "birth_year": today.year - age,
            "citizenship": citizenship,
            "disability": rng.random(n) < 0.07,
        }
    )
