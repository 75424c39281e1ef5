"""The export formats of ``data/README.md``, each defined once.

One :class:`ExportFile` per file: its name, how it is encoded, and its field table. A field names
the canonical field (of ``matcher.records.models``), its source column (dotted for nested JSON objects),
the parser ingestion reads it with, and the code table between canonical values and the file's
labels. The columns of a file are its fields in order. The generator writes through
:meth:`ExportFile.row` / :meth:`ExportFile.record`, ingestion reads through :meth:`ExportFile.read`,
and the cell codecs (dates, decimal commas, ``ja``/``nein``, code lists) are in :mod:`data.cells`,
in both directions. Nothing here depends on ``data.ingest`` or ``data.generate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from data.cells import (
    UNKNOWN_CODE,
    WRONG_TYPE,
    coded,
    german_date,
    german_decimal,
    german_int,
    ident,
    iso_date,
    json_bool,
    json_int,
    json_list,
    json_number,
    labels,
    list_of,
    pipe_list,
    text,
)
from matcher.records.models import LICENCES, GermanLevel

T = TypeVar("T")

CEFR = labels(*(level.value for level in GermanLevel if level is not GermanLevel.NATIVE))
LICENCE_CODES = labels(*LICENCES)
YES_NO = {True: "ja", False: "nein"}
SOURCE_CODES = labels("ags_stadt", "ags_landkreis", "jobboerse")

LEVEL_STADT = {1: "1", 2: "2", 3: "3", 4: "4"}
SCHOOL_STADT = {
    "none": "ohne",
    "hauptschule": "Hauptschulabschluss",
    "mittlere_reife": "Mittlere Reife",
    "fachhochschulreife": "Fachhochschulreife",
    "abitur": "Abitur",
}
VOCATIONAL_STADT = {
    "none": "ohne",
    "apprenticeship": "Berufsausbildung",
    "master_technician": "Meister/Techniker",
    "bachelor": "Bachelor",
    "master": "Master",
}
GERMAN_STADT = {**CEFR, "native": "Muttersprache"}
PERMIT_STADT = {
    "forklift": "Staplerschein",
    "adr": "ADR",
    "ifsg43": "IfSG43",
    "gewo34a": "GewO34a",
    "crane": "Kranschein",
    "welding": "Schweisserpruefung",
}
WORKING_TIME_STADT = {"full_time": "Vollzeit", "part_time": "Teilzeit", "either": "Vollzeit oder Teilzeit"}

LEVEL_LANDKREIS = {1: "HE", 2: "FK", 3: "SP", 4: "EX"}
SCHOOL_LANDKREIS = {
    "none": "KA",
    "hauptschule": "HS",
    "mittlere_reife": "RS",
    "fachhochschulreife": "FH",
    "abitur": "AB",
}
VOCATIONAL_LANDKREIS = {
    "none": "KA",
    "apprenticeship": "BA",
    "master_technician": "MT",
    "bachelor": "BSC",
    "master": "MSC",
}
GERMAN_LANDKREIS = {**CEFR, "native": "MS"}
PERMIT_LANDKREIS = {
    "forklift": "STAPLER",
    "adr": "ADR",
    "ifsg43": "IFSG43",
    "gewo34a": "GEWO34A",
    "crane": "KRAN",
    "welding": "SCHWEISS",
}
WORKING_TIME_LANDKREIS = {"full_time": "VZ", "part_time": "TZ", "either": "VT"}

WORKING_TIME_VACANCY = {"full_time": "vollzeit", "part_time": "teilzeit", "either": "vollzeit_teilzeit"}
PERMIT_VACANCY = labels(*PERMIT_STADT)
GERMAN_VACANCY = {**CEFR, "native": "native"}
PAY_UNIT_VACANCY = {"hour": "stunde", "month": "monat"}
CONTRACT_VACANCY = {
    "permanent": "unbefristet",
    "fixed_term": "befristet",
    "temporary_agency": "arbeitnehmerueberlassung",
}
STATUS_VACANCY = {"open": "offen", "filled": "besetzt", "withdrawn": "zurueckgezogen"}

OUTCOME_CODES = {
    "no_reaction": "keine_reaktion",
    "applied": "beworben",
    "interview": "vorstellungsgespraech",
    "hired": "eingestellt",
    "rejected_by_employer": "abgelehnt_arbeitgeber",
    "declined_by_candidate": "abgelehnt_bewerber",
}
GENDER_CODES = {"f": "w", "m": "m", "d": "d"}
CITIZENSHIP_CODES = {"german": "deutsch", "eu": "eu", "third_country": "drittstaat"}


ja_nein = coded(YES_NO)


# --- parsers of a whole cell's structure ------------------------------------------------------
def _language_code(code: str) -> str:
    if len(code) != 2 or not code.isalpha() or not code.islower():
        raise ValueError(f"not an ISO 639-1 language code: {code!r}")
    return code


def language_pairs(value: Any) -> dict[str, str]:
    """``tr:C2|en:A2`` -> ``{"tr": "C2", "en": "A2"}`` (ISO 639-1 code, CEFR level)."""
    result: dict[str, str] = {}
    for pair in pipe_list(value):
        code, _, level = (part.strip() for part in pair.partition(":"))
        result[_language_code(code)] = coded(GERMAN_STADT)(level)
    return result


def language_objects(value: Any) -> dict[str, str]:
    """``[{"sprache": "ru", "niveau": "C2"}]`` -> ``{"ru": "C2"}``."""
    result: dict[str, str] = {}
    for item in json_list(value):
        if not isinstance(item, dict):
            raise ValueError(f"{WRONG_TYPE}: expected objects with sprache and niveau")
        code = _language_code(text(item.get("sprache")))
        result[code] = coded(GERMAN_LANDKREIS)(item.get("niveau"))
    return result


def skill_objects(value: Any) -> list[Any]:
    """The ``esco`` ids of ``kompetenzen`` (the ``text`` labels come from the reference)."""
    items = json_list(value)
    if not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{WRONG_TYPE}: expected objects with esco and text")
    return [item.get("esco") for item in items]


def vacancy_level(value: Any) -> int:
    """``niveau`` of a vacancy: 1 to 4, as a JSON number or text."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{UNKNOWN_CODE}: expected 1 to 4")
    return coded(LEVEL_STADT)(str(value))


def birth_year(value: Any) -> int:
    cleaned = text(value)
    if not (len(cleaned) == 4 and cleaned.isdigit()):
        raise ValueError("not a year JJJJ")
    return int(cleaned)


# --- files ------------------------------------------------------------------------------------
class Readable(Protocol):
    """What :meth:`ExportFile.read` needs of a row (``data.ingest.common.Row``)."""

    def get(self, name: str, parse: Callable[[Any], T], *, required: bool = False) -> T | None: ...


@dataclass(frozen=True)
class Field:
    """One column of an export file.

    ``parse`` is None where ingestion needs the reference data (KldB codes, places) to read the
    value, or where the file is never ingested. ``also`` names further canonical fields that come
    from this column (their validation errors are reported under it).
    """

    name: str
    column: str
    parse: Callable[[Any], Any] | None = None
    required: bool = False
    codes: Mapping[Any, str] | None = None
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportFile:
    name: str
    kind: Literal["csv", "jsonl"]
    fields: tuple[Field, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    newline: str = "\n"
    ingested: bool = True
    optional: bool = False  # ingestion reads it where the folder has it
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})
        if len(self._by_name) != len(self.fields) or len(set(self.columns)) != len(self.fields):
            raise ValueError(f"{self.name}: a canonical field or column appears twice")

    @property
    def columns(self) -> tuple[str, ...]:
        """The source columns in file order (dotted paths for nested JSON objects)."""
        return tuple(f.column for f in self.fields)

    @property
    def source_names(self) -> dict[str, str]:
        """Canonical field -> source column, for reporting validation errors."""
        names = {f.name: f.column for f in self.fields}
        names |= {alias: f.column for f in self.fields for alias in f.also}
        return names

    def column(self, name: str) -> str:
        """The source column of a canonical field."""
        return self._by_name[name].column

    def index(self, name: str) -> int:
        """The position of a canonical field's column in a CSV row."""
        return self.fields.index(self._by_name[name])

    def encode(self, name: str, value: Any) -> str:
        """A canonical value as the file's label (through the field's code table)."""
        codes = self._by_name[name].codes
        assert codes is not None, f"{self.name}: {name} has no code table"
        return codes[value]

    def read(self, row: Readable, name: str, parse: Callable[[Any], Any] | None = None) -> Any:
        """Read a canonical field from a row with its parser (or ``parse``, for the reference)."""
        f = self._by_name[name]
        parser = parse or f.parse
        assert parser is not None, f"{self.name}: {name} needs a parser"
        return row.get(f.column, parser, required=f.required)

    def read_rest(self, row: Readable, done: Mapping[str, Any]) -> dict[str, Any]:
        """Read, in file order, every field with a parser that is not a key of ``done`` yet."""
        return {f.name: self.read(row, f.name) for f in self.fields if f.parse and f.name not in done}

    def _check(self, values: Mapping[str, Any]) -> None:
        if values.keys() != self._by_name.keys():
            wrong = sorted(set(values) ^ set(self._by_name))
            raise ValueError(f"{self.name}: fields do not match the format: {', '.join(wrong)}")

    def row(self, values: Mapping[str, str]) -> list[str]:
        """A CSV row from canonical field -> cell text."""
        self._check(values)
        return [values[f.name] for f in self.fields]

    def record(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON object from canonical field -> value; dotted columns become nested objects."""
        self._check(values)
        record: dict[str, Any] = {}
        for f in self.fields:
            *parents, key = f.column.split(".")
            target = record
            for parent in parents:
                target = target.setdefault(parent, {})
            target[key] = values[f.name]
        return record


STADT = ExportFile(
    "jobcenter_stadt_kunden.csv",
    "csv",
    (
        Field("id", "Kundennummer", ident, required=True, also=("source_id",)),
        Field("registered_at", "Anlagedatum", german_date, required=True),
        Field("postcode", "PLZ"),
        Field("ags", "Wohnort"),
        Field("occupations", "Zielberuf_KldB", required=True),
        Field("other_occupations", "Alternativberufe_KldB"),
        Field("level", "Anforderungsniveau", coded(LEVEL_STADT), codes=LEVEL_STADT),
        Field("skills", "Kenntnisse_ESCO", pipe_list),
        Field("school", "Schulabschluss", coded(SCHOOL_STADT), codes=SCHOOL_STADT),
        Field("vocational", "Berufsabschluss", coded(VOCATIONAL_STADT), codes=VOCATIONAL_STADT),
        Field("experience_years", "Berufserfahrung_Jahre", german_decimal),
        Field("german_level", "Deutschkenntnisse", coded(GERMAN_STADT), codes=GERMAN_STADT),
        Field("languages", "Weitere_Sprachen", language_pairs),
        Field("licences", "Fuehrerscheine", list_of(pipe_list, coded(LICENCE_CODES)), codes=LICENCE_CODES),
        Field("permits", "Weitere_Berechtigungen", list_of(pipe_list, coded(PERMIT_STADT)), codes=PERMIT_STADT),
        Field("has_car", "PKW_verfuegbar", ja_nein, codes=YES_NO),
        Field("max_commute_minutes", "Max_Pendelzeit_Min", german_int),
        Field("working_time", "Arbeitszeitwunsch", coded(WORKING_TIME_STADT), codes=WORKING_TIME_STADT),
        Field("hours_per_week", "Wochenstunden", german_decimal),
        Field("shifts", "Schichtbereitschaft", ja_nein, codes=YES_NO),
        Field("weekends", "Wochenendbereitschaft", ja_nein, codes=YES_NO),
        Field("available_from", "Verfuegbar_ab", german_date),
        Field("profile_text", "Profiltext", text),
    ),
    encoding="cp1252",
    delimiter=";",
    newline="\r\n",
)

LANDKREIS = ExportFile(
    "jobcenter_landkreis_kunden.jsonl",
    "jsonl",
    (
        Field("id", "kd_id", ident, required=True, also=("source_id",)),
        Field("registered_at", "erfasst", iso_date, required=True),
        Field("postcode", "adresse.plz"),
        Field("ags", "adresse.gemeindeschluessel"),
        Field("occupations", "beruf.haupt", required=True),
        Field("other_occupations", "beruf.weitere"),
        Field("level", "niveau", coded(LEVEL_LANDKREIS), codes=LEVEL_LANDKREIS),
        Field("skills", "kompetenzen", skill_objects),
        Field("school", "schule", coded(SCHOOL_LANDKREIS), codes=SCHOOL_LANDKREIS),
        Field("vocational", "ausbildung", coded(VOCATIONAL_LANDKREIS), codes=VOCATIONAL_LANDKREIS),
        Field("experience_years", "erfahrung_monate", json_int),
        Field("german_level", "sprache_de", coded(GERMAN_LANDKREIS), codes=GERMAN_LANDKREIS),
        Field("languages", "sprachen", language_objects),
        Field("licences", "fs_klassen", list_of(json_list, coded(LICENCE_CODES)), codes=LICENCE_CODES),
        Field("permits", "scheine", list_of(json_list, coded(PERMIT_LANDKREIS)), codes=PERMIT_LANDKREIS),
        Field("has_car", "kfz", json_bool),
        Field("max_commute_km", "mobilitaet_km", json_number),
        Field("working_time", "az", coded(WORKING_TIME_LANDKREIS), codes=WORKING_TIME_LANDKREIS),
        Field("hours_per_week", "std_woche", json_number),
        Field("shifts", "schicht", json_bool),
        Field("weekends", "wochenende", json_bool),
        Field("available_from", "verfuegbar", iso_date),
        Field("profile_text", "profil", text),
    ),
)

VACANCIES = ExportFile(
    "arbeitgeberservice_stellen.jsonl",
    "jsonl",
    (
        Field("id", "stellen_id", ident, required=True),
        Field("source", "quelle", coded(SOURCE_CODES), required=True, codes=SOURCE_CODES),
        Field("employer_id", "arbeitgeber_id", ident, required=True),
        Field("employer_name", "arbeitgeber_name", text, required=True),
        Field("title", "titel", text, required=True),
        Field("description", "beschreibung", text),
        Field("kldb", "kldb", required=True),
        Field("level", "niveau", vacancy_level),
        Field("required_skills", "kenntnisse_pflicht", json_list),
        Field("optional_skills", "kenntnisse_optional", json_list),
        Field("ags", "gemeindeschluessel"),
        Field("postcode", "plz"),
        Field("working_time", "arbeitszeit", coded(WORKING_TIME_VACANCY), codes=WORKING_TIME_VACANCY),
        Field("hours_per_week", "wochenstunden", json_number),
        Field("shifts", "schicht", json_bool),
        Field("weekends", "wochenende", json_bool),
        Field("required_licences", "fuehrerscheine", list_of(json_list, coded(LICENCE_CODES)), codes=LICENCE_CODES),
        Field("required_permits", "berechtigungen", list_of(json_list, coded(PERMIT_VACANCY)), codes=PERMIT_VACANCY),
        Field("german_level_min", "deutsch_min", coded(GERMAN_VACANCY), codes=GERMAN_VACANCY),
        Field("pay_min", "entgelt_min", json_number),
        Field("pay_max", "entgelt_max", json_number),
        Field("pay_unit", "entgelt_einheit", coded(PAY_UNIT_VACANCY), codes=PAY_UNIT_VACANCY),
        Field("contract_type", "vertragsart", coded(CONTRACT_VACANCY), codes=CONTRACT_VACANCY),
        Field("start_date", "beginn", iso_date),
        Field("posted_at", "veroeffentlicht", iso_date, required=True),
        Field("status", "status", coded(STATUS_VACANCY), codes=STATUS_VACANCY),
        Field("positions", "anzahl", json_int),
        Field("contact_name", "ansprechpartner", text),
        Field("contact_phone", "telefon", text),
        Field("contact_email", "email", text),
        Field("apply_how", "bewerbungsweg", text),
    ),
)

PROPOSALS = ExportFile(
    "vermittlungsvorschlaege.csv",
    "csv",
    (
        Field("id", "vorschlag_id", ident, required=True),
        Field("candidate_id", "kunden_id", ident, required=True),
        Field("vacancy_id", "stellen_id", ident, required=True),
        Field("proposed_at", "vorgeschlagen_am", iso_date, required=True),
        Field("outcome", "ergebnis", coded(OUTCOME_CODES), required=True, codes=OUTCOME_CODES),
        Field("outcome_at", "ergebnis_am", iso_date),
    ),
)

PROTECTED = ExportFile(
    "geschuetzte_merkmale.csv",
    "csv",
    (
        Field("candidate_id", "kunden_id", ident, required=True),
        Field("gender", "geschlecht", coded(GENDER_CODES), codes=GENDER_CODES),
        Field("birth_year", "geburtsjahr", birth_year),
        Field("citizenship_group", "staatsangehoerigkeit", coded(CITIZENSHIP_CODES), codes=CITIZENSHIP_CODES),
        Field("severe_disability", "schwerbehinderung", ja_nein, codes=YES_NO),
    ),
)

MEASURE_TYPES = {
    "fbw": "fbw_bildungsgutschein",
    "avgs": "avgs",
    "berufssprachkurs": "berufssprachkurs_deufoev",
    "teilqualifizierung": "teilqualifizierung",
    "umschulung": "umschulung",
    "fuehrerschein": "fuehrerschein",
    "staplerschein": "staplerschein",
}

MEASURES = ExportFile(
    "massnahmen.jsonl",
    "jsonl",
    (
        Field("id", "massnahme_id", ident, required=True),
        Field("type", "art", coded(MEASURE_TYPES), required=True, codes=MEASURE_TYPES),
        Field("title", "titel", text, required=True),
        Field("provider_id", "traeger_id", ident, required=True),
        Field("provider_name", "traeger_name", text, required=True),
        Field("ags", "gemeindeschluessel"),
        Field("postcode", "plz"),
        Field("starts", "beginn", list_of(json_list, iso_date), required=True),
        Field("duration_weeks", "dauer_wochen", json_int, required=True),
        Field("schedule", "unterrichtsform", coded(WORKING_TIME_VACANCY), codes=WORKING_TIME_VACANCY),
        Field("skills", "kenntnisse", json_list),
        Field("licences", "fuehrerscheine", list_of(json_list, coded(LICENCE_CODES)), codes=LICENCE_CODES),
        Field("permits", "berechtigungen", list_of(json_list, coded(PERMIT_VACANCY)), codes=PERMIT_VACANCY),
        Field("german_level", "deutsch_ziel", coded(CEFR), codes=CEFR),
        Field("german_level_min", "deutsch_min", coded(CEFR), codes=CEFR),
        Field("level", "niveau_ziel", vacancy_level),
        Field("kldb", "kldb"),
    ),
    optional=True,
)

ORACLE = ExportFile(
    "oracle_utilities.csv",
    "csv",
    (
        Field("proposal_id", "vorschlag_id"),
        Field("candidate_id", "kunden_id"),
        Field("vacancy_id", "stellen_id"),
        Field("utility", "utility"),
    ),
    ingested=False,
)

# The generator's own view of every job seeker and vacancy, with the hidden preferences
# (motivation, selectivity): what :mod:`data.generate.oracle` needs to compute the utility of any
# pair, proposed or not. Values are the generator's canonical ones (AGS, ESCO ids, CEFR levels,
# working-time words), not the sources' labels. Never ingested: nothing here may become a feature.
ORACLE_JOB_SEEKERS = ExportFile(
    "oracle_kunden.jsonl",
    "jsonl",
    (
        Field("id", "kunden_id"),
        Field("motivation", "motivation"),
        Field("occupations", "kldb"),
        Field("level", "niveau"),
        Field("ags", "gemeindeschluessel"),
        Field("has_car", "pkw"),
        Field("max_minutes", "max_pendelzeit_min"),
        Field("working_time", "arbeitszeit"),
        Field("hours", "wochenstunden"),
        Field("shifts", "schicht"),
        Field("weekends", "wochenende"),
        Field("licences", "fuehrerscheine"),
        Field("permits", "berechtigungen"),
        Field("german", "deutsch"),
        Field("experience_months", "erfahrung_monate"),
        Field("skills", "kenntnisse"),
    ),
    ingested=False,
)

ORACLE_VACANCIES = ExportFile(
    "oracle_stellen.jsonl",
    "jsonl",
    (
        Field("id", "stellen_id"),
        Field("selectivity", "selektivitaet"),
        Field("kldb", "kldb"),
        Field("level", "niveau"),
        Field("ags", "gemeindeschluessel"),
        Field("working_time", "arbeitszeit"),
        Field("hours", "wochenstunden"),
        Field("shifts", "schicht"),
        Field("weekends", "wochenende"),
        Field("licences", "fuehrerscheine"),
        Field("permits", "berechtigungen"),
        Field("german_min", "deutsch_min"),
        Field("required", "kenntnisse_pflicht"),
        Field("optional", "kenntnisse_optional"),
    ),
    ingested=False,
)

FILES: tuple[ExportFile, ...] = (
    STADT,
    LANDKREIS,
    VACANCIES,
    PROPOSALS,
    PROTECTED,
    MEASURES,
    ORACLE,
    ORACLE_JOB_SEEKERS,
    ORACLE_VACANCIES,
)
"""Every file the generator writes, in this order; ingestion requires those ``ingested`` and not
``optional``, and reads the optional ones where they are."""
INGESTED_FILES: tuple[ExportFile, ...] = tuple(f for f in FILES if f.ingested)
