"""Checks and normalisation against the reference data: KldB codes, ESCO skills, places."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cached_property
from typing import Any

from data.cells import text
from data.ingest.common import MISSING, Row
from data.ingest.report import PROPOSAL_PREFIX
from matcher.errors import UnknownPlaceError
from matcher.records.geo import UNKNOWN_MUNICIPALITY, Gazetteer, check_place
from matcher.records.models import KLDB5_PATTERN
from matcher.records.reference import ReferenceData, esco_id
from matcher.services.occupations import OccupationSuggester

# Places follow the one rule of ``matcher.records.geo.check_place``, which the API applies too; its reject
# reasons (UNKNOWN_MUNICIPALITY, UNKNOWN_POSTCODE, PLACE_MISMATCH) live in ``matcher.records.geo``.

UNKNOWN_KLDB = "unknown KldB code"
UNKNOWN_SKILL = "unknown ESCO skill id, dropped (row kept)"
AMBIGUOUS_POSTCODE = "postcode shared by several municipalities, municipality missing"


def _name_keys(name: str) -> set[str]:
    """Spellings a municipality may come under: full name, and the part before ',' or '/'."""
    base = name.replace(", Stadt", "").casefold()
    parts = {base, base.split(",")[0], base.split("/")[0]}
    return {re.sub(r"[^a-zäöüß]", "", p) for p in parts}


class Normaliser:
    """Validates codes and places of export rows against :class:`ReferenceData`."""

    def __init__(self, reference: ReferenceData, suggester: OccupationSuggester | None = None) -> None:
        self.reference = reference
        self.suggester = suggester

    @cached_property
    def _kldb5(self) -> frozenset[str]:
        return self.reference.kldb5_codes

    @cached_property
    def _skills(self) -> frozenset[str]:
        return frozenset(self.reference.skill_labels)

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return Gazetteer(self.reference)

    @cached_property
    def _names(self) -> dict[str, str]:
        """Name key -> AGS, only for keys that name exactly one municipality."""
        seen: dict[str, set[str]] = {}
        for ags, name in zip(self.reference.municipalities["ags"], self.reference.municipalities["name"], strict=True):
            for key in _name_keys(name):
                seen.setdefault(key, set()).add(ags)
        return {key: next(iter(a)) for key, a in seen.items() if len(a) == 1}

    # --- codes -------------------------------------------------------------------------------
    def kldb(self, value: Any) -> str:
        """A 5-digit KldB 2010 code that exists in the reference."""
        code = text(value)
        if not KLDB5_PATTERN.match(code):
            raise ValueError(f"{UNKNOWN_KLDB}: not 5 digits")
        if code not in self._kldb5:
            raise ValueError(f"{UNKNOWN_KLDB}: not in KldB 2010 (Fassung 2020)")
        return code

    def propose_kldb(self, row: Row, field: str, title: object) -> None:
        """Add a proposed code to the row's problem with its KldB field, from the title.

        The row's values stay as they are (rejected or kept as before): the proposal only goes
        into the reject report, for a person to confirm.
        """
        if self.suggester is None or not isinstance(title, str) or not title.strip():
            return
        for position, problem in enumerate(row.problems):
            if problem.field == field and not problem.proposed_kldb:
                best = self.suggester.suggest(title[:200], 1)[0]
                note = (
                    f"{PROPOSAL_PREFIX}{best.kldb} {best.title_de} (from title {title[:80]!r}, score {best.score:.2f})"
                )
                row.problems[position] = replace(problem, proposed_kldb=best.kldb, proposal=note)
                return

    def level_of(self, kldb: str | None) -> int | None:
        """The requirement level a KldB code implies (its 5th digit), if it is 1 to 4."""
        if kldb is None or kldb[4] not in "1234":
            return None
        return int(kldb[4])

    def skills(self, row: Row, name: str, values: list[Any] | None) -> list[str]:
        """ESCO skill ids (UUID or full URI); unknown ones are dropped with a warning row."""
        kept: list[str] = []
        for value in values or []:
            skill = esco_id(value.strip()).lower() if isinstance(value, str) else ""
            if skill in self._skills:
                if skill not in kept:
                    kept.append(skill)
            else:
                row.warn(name, value, UNKNOWN_SKILL)
        return kept

    # --- places ------------------------------------------------------------------------------
    def _check_place(self, row: Row, name: str, kind: str, value: Any = None) -> str | None:
        """The field's AGS (``kind="ags"``) or postcode, None (and a reject) when it names no place;
        the reject quotes ``value`` (the raw cell) for an AGS, the cleaned text for a postcode."""
        found = row.get(name, text)
        try:
            check_place(self.gazetteer, *((found, None) if kind == "ags" else (None, found)))
        except UnknownPlaceError as exc:
            row.reject(name, value if kind == "ags" else found, exc.rule)
            return None
        return found

    def _ags_by_name(self, row: Row, name: str) -> str | None:
        value = row.get(name, text)
        if value is None:
            return None
        # Full official name first, then the short forms ("Landstuhl", "Hirschhorn").
        keys = sorted(_name_keys(value), key=len, reverse=True)
        ags = next((self._names[k] for k in keys if k in self._names), None)
        if ags is None:
            row.reject(name, value, UNKNOWN_MUNICIPALITY)
        return ags

    def place(
        self, row: Row, *, postcode_field: str, ags_field: str | None = None, name_field: str | None = None
    ) -> tuple[str | None, str | None]:
        """(AGS, postcode) of a row, each derived from the other where one is missing.

        The AGS comes from ``ags_field`` or else from the municipality name in ``name_field``;
        a postcode shared by several municipalities cannot give an AGS alone. A row whose place
        cannot be resolved gets a reject and ``(None, None)``.
        """
        failed = len(row.problems)
        postcode = self._check_place(row, postcode_field, "postcode")
        ags = self._check_place(row, ags_field, "ags", row.raw(ags_field)) if ags_field else None
        if ags is None and name_field and len(row.problems) == failed:
            ags = self._ags_by_name(row, name_field)
        if len(row.problems) > failed:
            return None, None
        where = ags_field or name_field or postcode_field
        return self._complete_place(row, where, postcode_field, ags, postcode)

    def _complete_place(
        self, row: Row, where: str, postcode_field: str, ags: str | None, postcode: str | None
    ) -> tuple[str | None, str | None]:
        if ags is None and postcode is None:
            row.reject(where, None, f"{MISSING}: neither municipality nor postcode")
            return None, None
        if ags is None:
            municipalities = self.gazetteer.municipalities_of(str(postcode))
            if len(municipalities) > 1:
                row.reject(postcode_field, postcode, AMBIGUOUS_POSTCODE)
                return None, None
            return municipalities[0], postcode
        if postcode is None:
            return ags, self.gazetteer.postcodes_of(ags)[0]
        try:
            check_place(self.gazetteer, ags, postcode)
        except UnknownPlaceError as exc:
            row.reject(postcode_field, postcode, f"{exc.rule} {ags}")
            return None, None
        return ags, postcode
