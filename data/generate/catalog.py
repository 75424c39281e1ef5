"""What the generator takes from the real reference data, prepared once per world.

Occupations are the curated KldB codes of :mod:`data.generate.occupations`; their skills come from
the ESCO occupations that the BA maps to the code (essential relations weigh more than optional
ones, exact matches more than broader ones), restricted to skills with a German label. Places are
the 51 municipalities with their centroids and postcodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.generate.occupations import OCCUPATIONS, OccupationSpec
from matcher.records.reference import STADT_KL_AGS, ReferenceData, ReferenceDataError

# Mapping relations of the BA's ESCO<->KldB table, weighted by how well they fit the code.
_RELATION_WEIGHT = {"exactMatch": 3.0, "closeMatch": 2.0, "narrowMatch": 1.0, "broadMatch": 1.0}
_ESSENTIAL_WEIGHT = 2.0
_OPTIONAL_WEIGHT = 0.6
# GeoNames lists no population for two municipalities; their census size keeps them on the map.
_POPULATION_FALLBACK = {"07335040": 3300, "07335046": 1000}
MIN_OCCUPATIONS = 20


@dataclass(frozen=True)
class Occupation:
    """A curated code with everything the texts and the oracle need."""

    spec: OccupationSpec
    level: int
    titles: tuple[str, ...]
    tasks: tuple[str, ...]
    descriptions: tuple[str, ...]
    skills: tuple[str, ...]
    skill_weights: NDArray[np.float64]
    essential: frozenset[str]

    @property
    def code(self) -> str:
        return self.spec.code


@dataclass(frozen=True)
class Places:
    """The 51 municipalities, in AGS order, and the distances between their centroids."""

    ags: tuple[str, ...]
    names: tuple[str, ...]
    population: NDArray[np.float64]
    postcodes: tuple[tuple[str, ...], ...]
    distance_km: NDArray[np.float64]

    @property
    def stadt_index(self) -> int:
        return self.ags.index(STADT_KL_AGS)

    def short_name(self, index: int) -> str:
        """Name without ', Sickingenstadt' or '/ Pfalz', as people say it."""
        return self.names[index].split(",")[0].split("/")[0].strip()


@dataclass(frozen=True)
class Catalog:
    """Occupations, skill labels and places of the demo world."""

    occupations: tuple[Occupation, ...]
    skill_labels: dict[str, str]
    places: Places

    @property
    def codes(self) -> list[str]:
        return [o.code for o in self.occupations]

    @cached_property
    def index(self) -> dict[str, int]:
        """Code -> position in ``occupations``."""
        return {o.code: i for i, o in enumerate(self.occupations)}

    def by_code(self) -> dict[str, Occupation]:
        return {o.code: o for o in self.occupations}


def haversine_matrix(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distances in km between all pairs of points."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def build_places(reference: ReferenceData) -> Places:
    """The municipalities of the reference data, in AGS order, with their distances."""
    frame = reference.municipalities.reset_index(drop=True).sort_values("ags")
    population = np.array(
        [float(_POPULATION_FALLBACK.get(a, p) or 500) for a, p in zip(frame["ags"], frame["population"])]
    )
    return Places(
        ags=tuple(frame["ags"]),
        names=tuple(frame["name"]),
        population=population,
        postcodes=tuple(tuple(sorted(p)) for p in frame["postcodes"]),
        distance_km=haversine_matrix(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float)),
    )


def _mapping(reference: ReferenceData, codes: set[str]) -> pd.DataFrame:
    """kldb, esco_id, weight: the ESCO occupations the BA maps to each code, best relation."""
    mapping = reference.esco_kldb[reference.esco_kldb["kldb"].isin(sorted(codes))]
    mapping = mapping.assign(weight=mapping["relation"].map(_RELATION_WEIGHT).fillna(1.0))
    return mapping.groupby(["kldb", "esco_id"], as_index=False)["weight"].max()


def _skill_weights(reference: ReferenceData, mapping: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per code: skill id -> weight, from the mapped ESCO occupations (one join for all codes)."""
    skills = reference.esco_skills
    german = pd.Index(skills.loc[skills["label_de"] != "", "id"])
    relations = reference.occupation_skills
    relations = relations[relations["occupation_id"].isin(pd.Index(mapping["esco_id"]))]
    relations = relations[relations["skill_id"].isin(german)]
    joined = mapping.merge(relations, left_on="esco_id", right_on="occupation_id")
    factor = np.where(joined["relation"] == "essential", _ESSENTIAL_WEIGHT, _OPTIONAL_WEIGHT)
    joined = joined.assign(weight=factor * joined["weight"].to_numpy())
    summed = joined.groupby(["kldb", "skill_id"])["weight"].sum()
    result: dict[str, dict[str, float]] = {}
    for (code, skill), weight in summed.items():
        result.setdefault(str(code), {})[str(skill)] = float(weight)
    return result


def _skill_pool(weights: dict[str, float]) -> tuple[tuple[str, ...], NDArray[np.float64], frozenset[str]]:
    """Skills sorted by weight (ties by id); the most frequent quarter counts as 'essential'."""
    ordered = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    skills = tuple(k for k, _ in ordered)
    top = max(8, math.ceil(len(skills) * 0.25))
    return skills, np.array([v for _, v in ordered]), frozenset(skills[:top])


def _descriptions(mapping: pd.DataFrame, texts: dict[str, str]) -> tuple[str, ...]:
    """ESCO descriptions of the mapped occupations, best-fitting mapping first."""
    best = mapping.sort_values(["weight", "esco_id"], ascending=[False, True])
    found = [texts[i] for i in best["esco_id"] if texts.get(i)]
    return tuple(dict.fromkeys(found))[:8]


def _occupation(
    reference: ReferenceData,
    spec: OccupationSpec,
    titles: set[str],
    weights: dict[str, float] | None,
    descriptions: tuple[str, ...],
) -> Occupation | None:
    usable = tuple(t for t in spec.titles if t in titles)
    if spec.code not in reference.kldb5_codes or not usable or not weights or len(weights) < 6:
        return None
    skills, skill_weights, essential = _skill_pool(weights)
    return Occupation(
        spec=spec,
        level=int(spec.code[4]),
        titles=usable,
        tasks=tuple(reference.kldb_tasks(spec.code)),
        descriptions=descriptions,
        skills=skills,
        skill_weights=skill_weights,
        essential=essential,
    )


def build_catalog(reference: ReferenceData) -> Catalog:
    """Check the curated codes against the reference data and attach skills, texts and places.

    Raises:
        ReferenceDataError: when too few curated codes are usable (wrong or truncated data).
    """
    mapping = _mapping(reference, {spec.code for spec in OCCUPATIONS})
    weights = _skill_weights(reference, mapping)
    esco = reference.esco_occupations
    texts = dict(zip(esco["id"], esco["description"]))
    titles = reference.job_titles.groupby("kldb")["title"].agg(set).to_dict()
    occupations = []
    for spec in OCCUPATIONS:
        descriptions = _descriptions(mapping[mapping["kldb"] == spec.code], texts)
        occupation = _occupation(reference, spec, titles.get(spec.code, set()), weights.get(spec.code), descriptions)
        if occupation is not None:
            occupations.append(occupation)
    if len(occupations) < MIN_OCCUPATIONS:
        raise ReferenceDataError(f"only {len(occupations)} curated occupations found in the reference data")
    labels = {s: reference.skill_label(s) for o in occupations for s in o.skills}
    return Catalog(tuple(occupations), dict(sorted(labels.items())), build_places(reference))
