"""Short German reasons for one match, ordered by the model's own feature contributions.

Features are grouped into families (occupation, skills, distance, working time, licences,
language, ...); a family's effect is the sum of its features' contributions (LightGBM
``pred_contrib``), and each family renders one sentence from the pair's facts. The structured facts
(matched and missing skills, distance and commute, ...) travel with the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.columns import known
from matcher.ranking.features import DEFAULT_MAX_COMMUTE_MIN, FEATURE_INDEX
from matcher.records.labels_de import COMMUTE_MODE_DE, WORKING_TIME_DE
from matcher.records.models import LEVEL_LABELS_DE, PERMITS, Candidate, GermanLevel, Vacancy, effective_licences
from matcher.records.reference import ReferenceData

FAMILIES: dict[str, tuple[str, ...]] = {
    "occupation": ("occupation_depth_main", "occupation_depth_alt", "level_gap"),
    "skills": ("essential_skill_coverage", "optional_skill_coverage", "essential_skills_missing"),
    "distance": ("distance_km", "commute_minutes", "commute_ratio", "commute_feasible", "has_car"),
    "working_time": ("working_time_fit", "hours_gap", "shift_conflict", "weekend_conflict"),
    "licences": ("licences_missing", "permits_missing"),
    "language": ("german_gap",),
    "experience": ("experience_years",),
    "availability": ("start_gap_days",),
    "vacancy": ("vacancy_age_days", "temporary_agency", "positions"),
    "similarity": ("similarity",),
}
_GERMAN_DE = {"native": "Muttersprache"}


@dataclass(frozen=True)
class Point:
    """One thing that fits (``fits``) or is missing or does not fit, in words for staff."""

    text: str
    fits: bool


@dataclass(frozen=True)
class Reason:
    family: str
    text: str
    effect: float  # contribution to the score; positive helps
    points: tuple[Point, ...] = ()  # the sentence's parts with their polarity (none: not a reason to staff)


@dataclass(frozen=True)
class PairFacts:
    """The structured facts behind one pair's reasons: skill labels, the commute, what is missing.

    Attributes:
        matched_skills, missing_skills: labels of the vacancy's required skills the person has, lacks.
        matched_optional_skills: labels of its optional skills the person has.
        commute_mode: by car where the person has one, else by bus and train.
        distance_km, commute_minutes, commute_feasible: None where a place is unknown.
        missing_licences: driving licence classes asked for and not held.
        missing_permits: German names of the permits asked for and not held.
    """

    matched_skills: list[str]
    missing_skills: list[str]
    matched_optional_skills: list[str]
    commute_mode: Literal["car", "public_transport"]
    distance_km: float | None
    commute_minutes: int | None
    commute_feasible: bool | None
    missing_licences: list[str]
    missing_permits: list[str]
    occupation_depth: int = 0  # KldB digits shared with the person's closest occupation (0-5)


@dataclass(frozen=True)
class Explanation:
    """The reasons (cut to ``max_reasons``), the facts, and every family's points in the reasons'
    order (not cut: what fits and what is missing, whatever its effect)."""

    reasons: list[Reason]
    facts: PairFacts
    points: list[tuple[str, Point]] = field(default_factory=list)  # (family, point)


def pair_facts(c: Candidate, v: Vacancy, x: NDArray[np.float32], ref: ReferenceData) -> PairFacts:
    """The facts of one pair from its records and its feature row ``x``."""
    have, held = set(c.skills), effective_licences(c.licences)
    km, minutes = float(x[FEATURE_INDEX["distance_km"]]), float(x[FEATURE_INDEX["commute_minutes"]])
    located = not np.isnan(km)  # a place the gazetteer does not know: the filters let the pair pass
    return PairFacts(
        matched_skills=[ref.skill_label(s) for s in v.required_skills if s in have],
        missing_skills=[ref.skill_label(s) for s in v.required_skills if s not in have],
        matched_optional_skills=[ref.skill_label(s) for s in v.optional_skills if s in have],
        commute_mode="car" if c.has_car else "public_transport",
        distance_km=round(km, 1) if located else None,
        commute_minutes=round(minutes) if located else None,
        commute_feasible=bool(x[FEATURE_INDEX["commute_feasible"]]) if located else None,
        missing_licences=[lic for lic in v.required_licences if lic not in held],
        missing_permits=[PERMITS[p] for p in v.required_permits if p not in c.permits],
        occupation_depth=_depth(x),
    )


def _depth(x: NDArray[np.float32]) -> int:
    return int(max(x[FEATURE_INDEX["occupation_depth_main"]], x[FEATURE_INDEX["occupation_depth_alt"]]))


def _fmt_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _occupation_points(c: Candidate, v: Vacancy, x: NDArray[np.float32], ref: ReferenceData) -> list[Point]:
    depth = _depth(x)
    title = ref.kldb_title(v.kldb)
    if depth == 5:
        points = [Point(f"Zielberuf passt genau ({title})", True)]
    elif depth >= 3:
        points = [Point(f"verwandter Beruf ({depth} Ziffern der KldB gleich: {title})", True)]
    else:
        points = [Point(f"anderes Berufsfeld ({title})", False)]
    gap = v.level - c.level
    if gap > 0:
        points.append(Point(f"Stelle verlangt {LEVEL_LABELS_DE[v.level]}, erreicht: {LEVEL_LABELS_DE[c.level]}", False))
    elif gap < 0:
        points.append(Point(f"Stelle auf Niveau {LEVEL_LABELS_DE[v.level]} (unter dem erreichten)", False))
    return points


def _skills(v: Vacancy, facts: PairFacts) -> str:
    if not v.required_skills:
        return f"{len(facts.matched_optional_skills)} von {len(v.optional_skills)} wünschenswerten Kenntnissen"
    text = f"{len(facts.matched_skills)} von {len(v.required_skills)} geforderten Kenntnissen"
    missing = facts.missing_skills
    if missing:
        text += " (fehlt: " + ", ".join(missing[:2]) + ("…" if len(missing) > 2 else "") + ")"
    return text


def _distance(c: Candidate, x: NDArray[np.float32]) -> str:
    km, minutes = float(x[FEATURE_INDEX["distance_km"]]), float(x[FEATURE_INDEX["commute_minutes"]])
    return distance_sentence(c, km, minutes, c.has_car, bool(x[FEATURE_INDEX["commute_feasible"]]))


def distance_sentence(c: Candidate | None, km: float, minutes: float, by_car: bool, feasible: bool) -> str:
    """The distance reason with exact figures (roles that may read the full record); ``c`` gives the
    person's own limit for a commute beyond it (None: the limit is not named)."""
    if np.isnan(km):
        return "Entfernung unbekannt (Ort außerhalb der Region)"
    mode = COMMUTE_MODE_DE["car" if by_car else "public_transport"]
    text = f"{km:.0f} km, {mode} etwa {minutes:.0f} Minuten"
    if not feasible and c is None:
        text += " (mehr als zumutbar)"
    elif not feasible and c is not None:
        km_limit = known(c.max_commute_km)  # the columns' rule: 0 means "keine Angabe"
        minutes_limit = np.nan_to_num(known(c.max_commute_minutes), nan=DEFAULT_MAX_COMMUTE_MIN)
        limit = f"{km_limit:.0f} km" if not np.isnan(km_limit) else f"{minutes_limit:.0f} Minuten"
        text += f" (mehr als die zumutbaren {limit})"
    return text


# Families whose sentence holds what a card shows only in bands (or not at all): the nightly run
# stores their values, and the presentation decides what a role reads (api.views).
VALUED_FAMILIES = ("distance", "experience", "availability", "language")


def reason_data(family: str, text: str, c: Candidate, v: Vacancy, facts: PairFacts) -> dict[str, object]:
    """One reason as data: its family and the values its sentence is made of (for the families
    of :data:`VALUED_FAMILIES`), or the sentence itself (the other families name no place,
    date or personal figure)."""
    values: dict[str, object]
    if family == "distance":
        values = {
            "distance_km": facts.distance_km,
            "commute_minutes": facts.commute_minutes,
            "commute_mode": facts.commute_mode,
            "commute_feasible": facts.commute_feasible,
        }
    elif family == "experience":
        values = {"years": c.experience_years}
    elif family == "availability":
        values = {"available_from": c.available_from.isoformat(), "start": (v.start_date or v.posted_at).isoformat()}
    elif family == "language":
        values = {"german": c.german_level.value, "required": v.german_level_min.value if v.german_level_min else None}
    else:
        values = {"text": text}
    return {"family": family, "values": values}


def render_reason(data: Mapping[str, object], c: Candidate | None) -> str:
    """The exact sentence of a stored reason (:func:`reason_data`), for roles that read full records."""
    family, values = str(data.get("family")), data.get("values")
    v = values if isinstance(values, dict) else {}
    if family == "distance":
        km = v.get("distance_km")
        minutes = v.get("commute_minutes")
        return distance_sentence(
            c,
            float("nan") if km is None else float(km),
            float("nan") if minutes is None else float(minutes),
            v.get("commute_mode") == "car",
            v.get("commute_feasible") is not False,
        )
    if family == "experience":
        return f"{float(v.get('years') or 0):.0f} Jahre Berufserfahrung"
    if family == "availability":
        available, start = date.fromisoformat(str(v["available_from"])), date.fromisoformat(str(v["start"]))
        return f"verfügbar erst ab {_fmt_date(available)}" if available > start else "verfügbar zum Stellenbeginn"
    if family == "language":
        have = _GERMAN_DE.get(str(v.get("german")), str(v.get("german")))
        if v.get("required") is None:
            return f"keine Deutschanforderung (Deutsch {have})"
        need = GermanLevel(str(v["required"]))
        verdict = "erfüllt" if GermanLevel(str(v["german"])).rank >= need.rank else "nicht erfüllt"
        return f"Deutsch {have}, gefordert {_GERMAN_DE.get(need.value, need.value)}: {verdict}"
    return str(v.get("text", ""))


def _working_time_points(c: Candidate, v: Vacancy, x: NDArray[np.float32]) -> list[Point]:
    points = []
    if x[FEATURE_INDEX["working_time_fit"]]:
        points.append(Point(f"Arbeitszeit passt ({WORKING_TIME_DE[v.working_time.value]})", True))
    else:
        asked, wanted = WORKING_TIME_DE[v.working_time.value], WORKING_TIME_DE[c.working_time.value]
        points.append(Point(f"{asked}stelle, gewünscht {wanted}", False))
    if x[FEATURE_INDEX["shift_conflict"]]:
        points.append(Point("Schichtarbeit gefordert – Person nicht bereit", False))
    if x[FEATURE_INDEX["weekend_conflict"]]:
        points.append(Point("Wochenendarbeit gefordert – Person nicht bereit", False))
    return points


def _licences(v: Vacancy, facts: PairFacts) -> str:
    missing, missing_permits = facts.missing_licences, facts.missing_permits
    if not v.required_licences and not v.required_permits:
        return "keine Führerscheine oder Scheine gefordert"
    if not missing and not missing_permits:
        asked = ", ".join([f"Führerschein {x}" for x in v.required_licences] + [PERMITS[p] for p in v.required_permits])
        return f"{asked} vorhanden"
    return ", ".join([f"Führerschein {x} fehlt" for x in missing] + [f"{p} fehlt" for p in missing_permits])


def _language(c: Candidate, v: Vacancy) -> str:
    have = _GERMAN_DE.get(c.german_level.value, c.german_level.value)
    if v.german_level_min is None:
        return f"keine Deutschanforderung (Deutsch {have})"
    need = _GERMAN_DE.get(v.german_level_min.value, v.german_level_min.value)
    verdict = "erfüllt" if c.german_level.rank >= v.german_level_min.rank else "nicht erfüllt"
    return f"Deutsch {have}, gefordert {need}: {verdict}"


def _sentence(
    family: str, c: Candidate, v: Vacancy, x: NDArray[np.float32], facts: PairFacts, points: tuple[Point, ...]
) -> str:
    """The family's sentence; occupation and working time say their points (built once)."""
    if family in ("occupation", "working_time"):
        return "; ".join(p.text for p in points)
    if family == "skills":
        return _skills(v, facts)
    if family == "distance":
        return _distance(c, x)
    if family == "licences":
        return _licences(v, facts)
    return _simple_sentence(family, c, v, x)


def _simple_sentence(family: str, c: Candidate, v: Vacancy, x: NDArray[np.float32]) -> str:
    if family == "language":
        return _language(c, v)
    if family == "experience":
        return f"{c.experience_years:.0f} Jahre Berufserfahrung"
    if family == "availability":
        if c.available_from > (v.start_date or v.posted_at):
            return f"verfügbar erst ab {_fmt_date(c.available_from)}"
        return "verfügbar zum Stellenbeginn"
    if family == "vacancy":
        age = int(x[FEATURE_INDEX["vacancy_age_days"]])
        kind = ", Zeitarbeit" if v.contract_type.value == "temporary_agency" else ""
        return f"Stelle seit {age} Tagen ausgeschrieben{kind}"
    return f"Profil und Stellenbeschreibung ähnlich (Ähnlichkeit {float(x[FEATURE_INDEX['similarity']]):.2f})"


def _skill_points(v: Vacancy, facts: PairFacts) -> list[Point]:
    """Matched and missing skills, each named once (the card shows no separate skills row)."""
    if not v.required_skills:
        have = facts.matched_optional_skills
        if not v.optional_skills:
            return []
        if not have:
            return [Point(f"keine der {len(v.optional_skills)} wünschenswerten Kenntnisse", False)]
        return [Point(f"wünschenswerte Kenntnisse vorhanden: {_listed(have)}", True)]
    n, points = len(v.required_skills), []
    if facts.matched_skills:
        points.append(
            Point(f"Kenntnisse vorhanden ({len(facts.matched_skills)} von {n}): {_listed(facts.matched_skills)}", True)
        )
    if facts.missing_skills:
        points.append(
            Point(f"Kenntnisse fehlen ({len(facts.missing_skills)} von {n}): {_listed(facts.missing_skills)}", False)
        )
    return points


def _listed(labels: list[str], most: int = 4) -> str:
    return ", ".join(labels[:most]) + (" …" if len(labels) > most else "")


def _distance_points(c: Candidate, facts: PairFacts) -> list[Point]:
    """Whether the way to work is within the person's limit (the card's facts hold the figures)."""
    if facts.distance_km is None:
        return [Point("Entfernung unbekannt (Ort außerhalb der Region)", False)]
    if facts.commute_feasible:
        return [Point("Arbeitsweg zumutbar", True)]
    km_limit = known(c.max_commute_km)
    minutes_limit = np.nan_to_num(known(c.max_commute_minutes), nan=DEFAULT_MAX_COMMUTE_MIN)
    limit = f"{km_limit:.0f} km" if not np.isnan(km_limit) else f"{minutes_limit:.0f} Minuten"
    return [Point(f"Arbeitsweg länger als zumutbar (Grenze der Person: {limit})", False)]


def _licence_points(v: Vacancy, facts: PairFacts) -> list[Point]:
    held = [f"Führerschein {x}" for x in v.required_licences if x not in facts.missing_licences]
    held += [PERMITS[p] for p in v.required_permits if PERMITS[p] not in facts.missing_permits]
    points = [Point(f"{h} vorhanden", True) for h in held]
    points += [Point(f"Führerschein {x} fehlt", False) for x in facts.missing_licences]
    return points + [Point(f"{p} fehlt", False) for p in facts.missing_permits]


def _other_points(family: str, c: Candidate, v: Vacancy) -> list[Point]:
    if family == "language":
        need = v.german_level_min
        if need is None:
            return []
        have = _GERMAN_DE.get(c.german_level.value, c.german_level.value)
        text = f"Deutsch: gefordert {_GERMAN_DE.get(need.value, need.value)}, vorhanden {have}"
        return [Point(text, c.german_level.rank >= need.rank)]
    if family == "experience":
        years = round(c.experience_years)
        if years < 1:
            return [Point("keine Berufserfahrung", False)]
        return [Point(f"{years} {'Jahr' if years == 1 else 'Jahre'} Berufserfahrung", True)]
    if family == "availability":
        late = c.available_from > (v.start_date or v.posted_at)
        text = f"verfügbar erst ab {_fmt_date(c.available_from)}" if late else "verfügbar zum Stellenbeginn"
        return [Point(text, not late)]
    return []  # the vacancy's age and the text similarity are no reasons to staff


def points_of(
    family: str, c: Candidate, v: Vacancy, x: NDArray[np.float32], ref: ReferenceData, facts: PairFacts
) -> list[Point]:
    """What fits and what does not in one family, for staff (polarity as data)."""
    if family == "occupation":
        return _occupation_points(c, v, x, ref)
    if family == "skills":
        return _skill_points(v, facts)
    if family == "distance":
        return _distance_points(c, facts)
    if family == "working_time":
        return _working_time_points(c, v, x)
    if family == "licences":
        return _licence_points(v, facts)
    return _other_points(family, c, v)


def explain(
    candidate: Candidate,
    vacancy: Vacancy,
    features: NDArray[np.float32],
    contributions: NDArray[np.float32] | None,
    reference: ReferenceData,
    max_reasons: int = 6,
) -> Explanation:
    """Reasons for one pair, the strongest effect first.

    Args:
        features: the pair's feature row (``FEATURE_NAMES`` order).
        contributions: per-feature contributions to the score (same order; a trailing bias
            term is ignored); ``None`` orders families by a fixed priority.
    """
    facts = pair_facts(candidate, vacancy, features, reference)
    effects: Mapping[str, float]
    if contributions is None:
        effects = {f: float(len(FAMILIES) - i) for i, f in enumerate(FAMILIES)}
    else:
        effects = {f: float(sum(contributions[FEATURE_INDEX[n]] for n in names)) for f, names in FAMILIES.items()}
    # Every family's points (what fits and what is missing, whatever its effect), in one pass; the
    # sentences only for the families the cut keeps (stable: ties keep the order of FAMILIES).
    order = sorted(FAMILIES, key=lambda f: -abs(effects[f]))
    points = {f: tuple(points_of(f, candidate, vacancy, features, reference, facts)) for f in order}
    reasons = [
        Reason(f, _sentence(f, candidate, vacancy, features, facts, points[f]), effects[f], points[f])
        for f in order[:max_reasons]
    ]
    return Explanation(reasons=reasons, facts=facts, points=[(f, p) for f in order for p in points[f]])
