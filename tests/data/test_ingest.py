"""Ingestion of an export folder: hand-written exports, one broken row at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from data.ingest import IngestReport, ingest_folder
from matcher.errors import ExportFormatError
from matcher.records.models import Candidate, CandidateSource, WorkingTime
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from training.cli import app

SKILL_FORKLIFT = "28cb374e-6261-4133-8371-f9a5470145da"
SKILL_PICKING = "b01c93a8-43b0-4cf6-81c8-68a4f2ed93d9"
UNKNOWN_SKILL = "00000000-0000-0000-0000-000000000000"

STADT = "jobcenter_stadt_kunden.csv"
LANDKREIS = "jobcenter_landkreis_kunden.jsonl"
STELLEN = "arbeitgeberservice_stellen.jsonl"
VORSCHLAEGE = "vermittlungsvorschlaege.csv"
MERKMALE = "geschuetzte_merkmale.csv"


# --- valid rows per data/README.md -----------------------------------------------------------
def stadt_row(number: int = 1, **changes: str | bytes) -> dict[str, str | bytes]:
    row: dict[str, str | bytes] = {
        "Kundennummer": f"S-{number:07d}",
        "Anlagedatum": "03.02.2025",
        "PLZ": "67677",
        "Wohnort": "Enkenbach-Alsenborn",
        "Zielberuf_KldB": "51312",
        "Alternativberufe_KldB": "51311|52122",
        "Anforderungsniveau": "2",
        "Kenntnisse_ESCO": f"{SKILL_FORKLIFT}|http://data.europa.eu/esco/skill/{SKILL_PICKING}",
        "Schulabschluss": "Mittlere Reife",
        "Berufsabschluss": "Berufsausbildung",
        "Berufserfahrung_Jahre": "3,5",
        "Deutschkenntnisse": "B2",
        "Weitere_Sprachen": "ru:C2",
        "Fuehrerscheine": "B|CE",
        "Weitere_Berechtigungen": "Staplerschein",
        "PKW_verfuegbar": "ja",
        "Max_Pendelzeit_Min": "",
        "Arbeitszeitwunsch": "Teilzeit",
        "Wochenstunden": "30,0",
        "Schichtbereitschaft": "nein",
        "Wochenendbereitschaft": "ja",
        "Verfuegbar_ab": "15.01.2027",
        "Profiltext": "Zuverlässige Fachkraft für Lagerlogistik.",
    }
    return row | changes


def landkreis_row(number: int = 1, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kd_id": f"LK-{number:06d}",
        "erfasst": "2025-02-03",
        "adresse": {"plz": "67677", "gemeindeschluessel": "07335004"},
        "beruf": {"haupt": "51312", "weitere": ["51311", "52122"]},
        "niveau": "FK",
        "kompetenzen": [
            {"esco": SKILL_FORKLIFT, "text": "Gabelstapler bedienen"},
            {"esco": SKILL_PICKING, "text": "Kommissionierungsnormen erfüllen"},
        ],
        "schule": "RS",
        "ausbildung": "BA",
        "erfahrung_monate": 42,
        "sprache_de": "B2",
        "sprachen": [{"sprache": "ru", "niveau": "C2"}],
        "fs_klassen": ["B", "CE"],
        "scheine": ["STAPLER"],
        "kfz": True,
        "mobilitaet_km": None,
        "az": "TZ",
        "std_woche": 30,
        "schicht": False,
        "wochenende": True,
        "verfuegbar": "2027-01-15",
        "profil": "Zuverlässige Fachkraft für Lagerlogistik.",
    }
    return row | changes


def vacancy_row(ident: str = "AGS-2026-000001", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "stellen_id": ident,
        "quelle": "ags_stadt",
        "arbeitgeber_id": "AG-00042",
        "arbeitgeber_name": "Westpfalz Logistik GmbH",
        "titel": "Fachlagerist (m/w/d)",
        "beschreibung": "Wir suchen Verstärkung im Lager.",
        "kldb": "51312",
        "niveau": 2,
        "kenntnisse_pflicht": [SKILL_FORKLIFT],
        "kenntnisse_optional": [SKILL_PICKING],
        "gemeindeschluessel": "07312000",
        "plz": "67657",
        "arbeitszeit": "vollzeit",
        "wochenstunden": 39.0,
        "schicht": True,
        "wochenende": False,
        "fuehrerscheine": ["B"],
        "berechtigungen": ["forklift"],
        "deutsch_min": "B1",
        "entgelt_min": 2600,
        "entgelt_max": 3000,
        "entgelt_einheit": "monat",
        "vertragsart": "unbefristet",
        "beginn": "2027-01-01",
        "veroeffentlicht": "2026-11-02",
        "status": "offen",
        "anzahl": 2,
    }
    return row | changes


def proposal_row(ident: str, candidate: str, vacancy: str, **changes: str) -> dict[str, str]:
    row = {
        "vorschlag_id": ident,
        "kunden_id": candidate,
        "stellen_id": vacancy,
        "vorgeschlagen_am": "2026-11-10",
        "ergebnis": "vorstellungsgespraech",
        "ergebnis_am": "2026-11-20",
    }
    return row | changes


def protected_row(candidate: str, **changes: str) -> dict[str, str]:
    row = {
        "kunden_id": candidate,
        "geschlecht": "w",
        "geburtsjahr": "1980",
        "staatsangehoerigkeit": "deutsch",
        "schwerbehinderung": "nein",
    }
    return row | changes


@dataclass
class Export:
    """An export folder in memory; rows may be replaced by raw bytes lines to break them."""

    stadt: list[dict[str, Any] | bytes] = field(default_factory=list)
    landkreis: list[dict[str, Any] | bytes] = field(default_factory=list)
    vacancies: list[dict[str, Any] | bytes] = field(default_factory=list)
    proposals: list[dict[str, str]] = field(default_factory=list)
    protected: list[dict[str, str]] = field(default_factory=list)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / STADT).write_bytes(_stadt_bytes(self.stadt))
        (folder / LANDKREIS).write_bytes(_jsonl_bytes(self.landkreis))
        (folder / STELLEN).write_bytes(_jsonl_bytes(self.vacancies))
        (folder / VORSCHLAEGE).write_text(_csv_text(self.proposals, proposal_row("", "", "")))
        (folder / MERKMALE).write_text(_csv_text(self.protected, protected_row("")))
        (folder / "oracle_utilities.csv").write_text("this file is never read\n")
        return folder


def _stadt_bytes(rows: list[dict[str, Any] | bytes]) -> bytes:
    lines = [";".join(stadt_row()).encode("cp1252")]
    for row in rows:
        if isinstance(row, bytes):
            lines.append(row)
        else:
            cells = [v if isinstance(v, bytes) else v.encode("cp1252") for v in row.values()]
            lines.append(b";".join(cells))
    return b"\r\n".join(lines) + b"\r\n"


def _jsonl_bytes(rows: list[dict[str, Any] | bytes]) -> bytes:
    return b"".join(
        (row if isinstance(row, bytes) else json.dumps(row, ensure_ascii=False).encode()) + b"\n" for row in rows
    )


def _csv_text(rows: list[dict[str, str]], header_row: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header_row), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def valid_export() -> Export:
    """2 Stadt and 2 Landkreis job seekers, 3 vacancies (one a duplicate), 4 proposals."""
    dup = vacancy_row(
        "JB-000777", quelle="jobboerse", titel="Fachlagerist m/w/d", veroeffentlicht="2026-11-05", plz="67659"
    )
    return Export(
        stadt=[stadt_row(1), stadt_row(2, PLZ="67657", Wohnort="Kaiserslautern")],
        landkreis=[landkreis_row(1), landkreis_row(2)],
        vacancies=[
            dup,
            vacancy_row(),
            vacancy_row("AGS-2026-000002", kldb="52122", niveau=2, titel="Berufskraftfahrer (m/w/d)"),
        ],
        proposals=[
            proposal_row("VV-1", "S-0000001", "AGS-2026-000001"),
            proposal_row("VV-2", "LK-000001", "JB-000777", ergebnis="eingestellt"),
            proposal_row("VV-3", "S-0000002", "AGS-2026-000002", ergebnis_am=""),
            proposal_row("VV-4", "LK-000002", "AGS-2026-000002", ergebnis="beworben"),
        ],
        protected=[
            protected_row("S-0000001"),
            protected_row("S-0000002", geschlecht="m"),
            protected_row("LK-000001", staatsangehoerigkeit="eu"),
            protected_row("LK-000002", schwerbehinderung=""),
        ],
    )


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path}/m.db")


@pytest.fixture
def run(tmp_path: Path, store: Store, reference: ReferenceData) -> Callable[[Export], IngestReport]:
    def ingest(export: Export) -> IngestReport:
        folder = export.write(tmp_path / "export")
        return ingest_folder(folder, store, reference, tmp_path / "rejects")

    return ingest


def read_rejects(report: IngestReport) -> list[dict[str, str]]:
    with report.reject_report.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the good path ---------------------------------------------------------------------------
def test_valid_export_is_accepted_whole(run: Callable[[Export], IngestReport], store: Store) -> None:
    report = run(valid_export())
    counts = {name: (c["accepted"], c["rejected"]) for name, c in report.to_json()["sources"].items()}
    assert counts == {STADT: (2, 0), LANDKREIS: (2, 0), STELLEN: (3, 0), VORSCHLAEGE: (4, 0), MERKMALE: (4, 0)}
    assert read_rejects(report) == []
    assert report.store_counts == {
        "candidates": 4,
        "vacancies": 2,
        "vacancy_aliases": 1,
        "proposals": 4,
        "protected_attributes": 4,
        "measures": 0,
    }
    stadt = store.get_candidate("S-0000002")
    assert (stadt.source, stadt.source_id, stadt.ags) == (CandidateSource.STADT, "S-0000002", "07312000")
    assert stadt.profile_text == "Zuverlässige Fachkraft für Lagerlogistik."


def test_both_sources_give_the_same_canonical_candidate(run: Callable[[Export], IngestReport], store: Store) -> None:
    run(valid_export())
    from_stadt, from_landkreis = store.get_candidate("S-0000001"), store.get_candidate("LK-000001")
    assert from_landkreis.source == CandidateSource.LANDKREIS
    provenance = {"id", "source", "source_id"}
    assert from_stadt.model_dump(exclude=provenance) == from_landkreis.model_dump(exclude=provenance)
    assert from_stadt.skills == [SKILL_FORKLIFT, SKILL_PICKING]
    assert from_stadt.occupations == ["51312", "51311", "52122"]
    assert (from_stadt.experience_years, from_stadt.hours_per_week) == (3.5, 30.0)
    assert from_stadt.working_time == WorkingTime.PART_TIME
    assert (from_stadt.licences, from_stadt.permits) == (["B", "CE"], ["forklift"])
    assert (from_stadt.ags, from_stadt.postcode) == ("07335004", "67677")


def test_commute_is_minutes_in_stadt_and_km_in_landkreis(run: Callable[[Export], IngestReport], store: Store) -> None:
    export = valid_export()
    export.stadt[0] = stadt_row(1, Max_Pendelzeit_Min="45")
    export.landkreis[0] = landkreis_row(1, mobilitaet_km=30)
    run(export)
    assert store.get_candidate("S-0000001").max_commute_minutes == 45
    assert store.get_candidate("LK-000001").max_commute_km == 30.0


def test_duplicate_vacancies_are_merged_into_the_earliest(run: Callable[[Export], IngestReport], store: Store) -> None:
    report = run(valid_export())
    assert report.duplicates_merged == 1
    kept = store.get_vacancy("AGS-2026-000001")
    assert (kept.source, kept.source_ids) == ("ags_stadt", ["JB-000777"])
    assert store.get_vacancy("JB-000777").id == "AGS-2026-000001"
    mapped = store.proposals().set_index("id").loc["VV-2", "vacancy_id"]
    assert mapped == "AGS-2026-000001"
    assert {v.id for v in store.vacancies()} == {"AGS-2026-000001", "AGS-2026-000002"}


def test_a_different_start_date_is_not_a_duplicate(run: Callable[[Export], IngestReport]) -> None:
    export = valid_export()
    export.vacancies[0] = vacancy_row("JB-000777", quelle="jobboerse", beginn="2027-02-01")
    assert run(export).duplicates_merged == 0


def test_reimport_changes_nothing(run: Callable[[Export], IngestReport], store: Store) -> None:
    export = valid_export()
    export.stadt.append(stadt_row(3, Zielberuf_KldB="99999"))
    run(export)
    before = store.snapshot()
    report = run(export)
    assert store.snapshot() == before
    assert report.sources[STADT].rejected == 1


def test_unknown_skill_is_dropped_with_a_warning_row(run: Callable[[Export], IngestReport], store: Store) -> None:
    export = valid_export()
    export.stadt[0] = stadt_row(1, Kenntnisse_ESCO=f"{SKILL_FORKLIFT}|{UNKNOWN_SKILL}")
    report = run(export)
    assert report.sources[STADT].accepted == 2 and report.sources[STADT].warnings == 1
    assert store.get_candidate("S-0000001").skills == [SKILL_FORKLIFT]
    (row,) = read_rejects(report)
    assert row["line"] == "2" and row["value"] == UNKNOWN_SKILL
    assert row["reason"].startswith("warning: unknown ESCO skill id")


def test_missing_level_and_place_parts_are_derived(run: Callable[[Export], IngestReport], store: Store) -> None:
    export = valid_export()
    export.stadt[0] = stadt_row(1, Anforderungsniveau="", Wohnort="", Verfuegbar_ab="")
    export.landkreis[0] = landkreis_row(1, adresse={"plz": None, "gemeindeschluessel": "07335004"})
    run(export)
    stadt, landkreis = store.get_candidate("S-0000001"), store.get_candidate("LK-000001")
    assert (stadt.level, stadt.ags, stadt.available_from) == (2, "07335004", stadt.registered_at)
    assert landkreis.postcode == "67677"


# --- every reject reason ---------------------------------------------------------------------
Mutation = Callable[[Export], None]


def _set(attr: str, index: int, row: dict[str, Any] | bytes) -> Mutation:
    def mutate(export: Export) -> None:
        getattr(export, attr)[index] = row

    return mutate


def _add(attr: str, row: dict[str, Any] | bytes) -> Mutation:
    def mutate(export: Export) -> None:
        getattr(export, attr).append(row)

    return mutate


def _stadt_line(**changes: str | bytes) -> bytes:
    return b";".join(v if isinstance(v, bytes) else v.encode("cp1252") for v in stadt_row(1, **changes).values())


P = proposal_row
REJECT_CASES: list[tuple[str, Mutation, str, int, str, str]] = [
    # (case, mutation, file, line, field, reason contains)
    (
        "unknown kldb",
        _set("stadt", 0, stadt_row(1, Zielberuf_KldB="99999")),
        STADT,
        2,
        "Zielberuf_KldB",
        "unknown KldB code",
    ),
    (
        "kldb not 5 digits",
        _set("landkreis", 1, landkreis_row(2, beruf={"haupt": "5131"})),
        LANDKREIS,
        2,
        "beruf.haupt",
        "unknown KldB code",
    ),
    (
        "unknown alternative kldb",
        _set("stadt", 1, stadt_row(2, Alternativberufe_KldB="51311|12345")),
        STADT,
        3,
        "Alternativberufe_KldB",
        "unknown KldB code",
    ),
    (
        "impossible date",
        _set("stadt", 0, stadt_row(1, Anlagedatum="31.02.2025")),
        STADT,
        2,
        "Anlagedatum",
        "impossible date",
    ),
    (
        "iso date in stadt",
        _set("stadt", 0, stadt_row(1, Verfuegbar_ab="2027-01-15")),
        STADT,
        2,
        "Verfuegbar_ab",
        "not a date TT.MM.JJJJ",
    ),
    (
        "impossible iso date",
        _set("landkreis", 0, landkreis_row(1, erfasst="2025-13-01")),
        LANDKREIS,
        1,
        "erfasst",
        "impossible date",
    ),
    (
        "unknown municipality",
        _set("stadt", 0, stadt_row(1, PLZ="", Wohnort="Berlin")),
        STADT,
        2,
        "Wohnort",
        "unknown municipality",
    ),
    (
        "unknown ags",
        _set("landkreis", 0, landkreis_row(1, adresse={"plz": "67677", "gemeindeschluessel": "07335999"})),
        LANDKREIS,
        1,
        "adresse.gemeindeschluessel",
        "unknown municipality",
    ),
    ("unknown postcode", _set("stadt", 0, stadt_row(1, PLZ="10115")), STADT, 2, "PLZ", "unknown postcode"),
    (
        "postcode of another place",
        _set("stadt", 0, stadt_row(1, Wohnort="Kaiserslautern")),
        STADT,
        2,
        "PLZ",
        "does not belong",
    ),
    (
        "shared postcode alone",
        _set("landkreis", 0, landkreis_row(1, adresse={"plz": "66851"})),
        LANDKREIS,
        1,
        "adresse.plz",
        "shared by several",
    ),
    ("missing id", _set("stadt", 0, stadt_row(1, Kundennummer="")), STADT, 2, "Kundennummer", "missing value"),
    (
        "missing vacancy id",
        _set("vacancies", 2, vacancy_row("", kldb="52122")),
        STELLEN,
        3,
        "stellen_id",
        "missing value",
    ),
    (
        "duplicate id in a file",
        _add("stadt", stadt_row(1, Wohnort="Kaiserslautern", PLZ="67657")),
        STADT,
        4,
        "id",
        "duplicate id",
    ),
    (
        "duplicate id across sources",
        _add("landkreis", landkreis_row(1, kd_id="S-0000002")),
        LANDKREIS,
        3,
        "id",
        "duplicate id",
    ),
    (
        "duplicate vacancy id",
        _add("vacancies", vacancy_row("AGS-2026-000002", kldb="81302")),
        STELLEN,
        4,
        "stellen_id",
        "duplicate id",
    ),
    (
        "undecodable cp1252 byte",
        _set("stadt", 0, _stadt_line(Profiltext=b"Lager\x81logistik")),
        STADT,
        2,
        "Profiltext",
        "broken encoding",
    ),
    ("mojibake", _set("stadt", 0, _stadt_line(Profiltext="ZuverlÃ¤ssig")), STADT, 2, "Profiltext", "broken encoding"),
    (
        "utf-8 replacement char",
        _set("stadt", 0, _stadt_line(Profiltext=b"Lager \xef\xbf\xbd")),
        STADT,
        2,
        "Profiltext",
        "broken encoding",
    ),
    (
        "invalid utf-8 in jsonl",
        _set("landkreis", 0, b'{"kd_id": "LK-000001", "profil": "\xfc"}'),
        LANDKREIS,
        1,
        "",
        "broken encoding",
    ),
    (
        "negative hours",
        _set("stadt", 0, stadt_row(1, Wochenstunden="-5,0")),
        STADT,
        2,
        "Wochenstunden",
        "negative value",
    ),
    (
        "negative json hours",
        _set("vacancies", 1, vacancy_row(wochenstunden=-39)),
        STELLEN,
        2,
        "wochenstunden",
        "negative value",
    ),
    (
        "hours out of range",
        _set("landkreis", 0, landkreis_row(1, std_woche=80)),
        LANDKREIS,
        1,
        "std_woche",
        "less than or equal to 60",
    ),
    (
        "decimal point",
        _set("stadt", 0, stadt_row(1, Berufserfahrung_Jahre="3.5")),
        STADT,
        2,
        "Berufserfahrung_Jahre",
        "decimal comma",
    ),
    (
        "wrong json type",
        _set("landkreis", 0, landkreis_row(1, std_woche="30")),
        LANDKREIS,
        1,
        "std_woche",
        "wrong type",
    ),
    ("malformed json", _set("landkreis", 1, b'{"kd_id": "LK-000002", '), LANDKREIS, 2, "", "malformed JSON"),
    ("json not an object", _set("vacancies", 2, b'["AGS-2026-000002"]'), STELLEN, 3, "", "malformed JSON"),
    ("csv field count", _set("stadt", 0, b"S-0000001;03.02.2025"), STADT, 2, "", "malformed CSV row"),
    (
        "unknown school code",
        _set("stadt", 0, stadt_row(1, Schulabschluss="Diplom")),
        STADT,
        2,
        "Schulabschluss",
        "unknown code value",
    ),
    (
        "unknown licence",
        _set("stadt", 0, stadt_row(1, Fuehrerscheine="B|X9")),
        STADT,
        2,
        "Fuehrerscheine",
        "unknown code value",
    ),
    (
        "unknown boolean",
        _set("stadt", 0, stadt_row(1, PKW_verfuegbar="vielleicht")),
        STADT,
        2,
        "PKW_verfuegbar",
        "unknown code value",
    ),
    (
        "unknown landkreis level",
        _set("landkreis", 0, landkreis_row(1, niveau="XX")),
        LANDKREIS,
        1,
        "niveau",
        "unknown code value",
    ),
    (
        "unknown channel",
        _set("vacancies", 2, vacancy_row("AGS-2026-000002", kldb="52122", quelle="fax")),
        STELLEN,
        3,
        "quelle",
        "unknown code value",
    ),
    (
        "pay max below min",
        _set("vacancies", 2, vacancy_row("AGS-2026-000002", kldb="52122", entgelt_max=1000)),
        STELLEN,
        3,
        "",
        "pay_max is below pay_min",
    ),
    (
        "proposal for unknown candidate",
        _add("proposals", P("VV-9", "S-9999999", "AGS-2026-000001")),
        VORSCHLAEGE,
        6,
        "kunden_id",
        "unknown candidate",
    ),
    (
        "proposal for unknown vacancy",
        _add("proposals", P("VV-9", "S-0000001", "AGS-2026-999999")),
        VORSCHLAEGE,
        6,
        "stellen_id",
        "unknown vacancy",
    ),
    (
        "outcome before proposal",
        _add("proposals", P("VV-9", "S-0000001", "AGS-2026-000001", ergebnis_am="2026-11-01")),
        VORSCHLAEGE,
        6,
        "ergebnis_am",
        "outcome date before proposal date",
    ),
    (
        "unknown outcome",
        _add("proposals", P("VV-9", "S-0000001", "AGS-2026-000001", ergebnis="vielleicht")),
        VORSCHLAEGE,
        6,
        "ergebnis",
        "unknown code value",
    ),
    (
        "duplicate proposal id",
        _add("proposals", P("VV-1", "S-0000002", "AGS-2026-000001")),
        VORSCHLAEGE,
        6,
        "vorschlag_id",
        "duplicate id",
    ),
    (
        "protected for unknown candidate",
        _add("protected", protected_row("LK-999999")),
        MERKMALE,
        6,
        "kunden_id",
        "unknown candidate",
    ),
    (
        "unknown gender code",
        _add("protected", protected_row("LK-000001", geschlecht="x")),
        MERKMALE,
        6,
        "geschlecht",
        "unknown code value",
    ),
    (
        "birth year out of range",
        _set("protected", 0, protected_row("S-0000001", geburtsjahr="1890")),
        MERKMALE,
        2,
        "geburtsjahr",
        "greater than or equal to 1940",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "file", "line", "field", "reason"),
    [case[1:] for case in REJECT_CASES],
    ids=[case[0] for case in REJECT_CASES],
)
def test_each_bad_row_is_rejected_with_its_reason(
    run: Callable[[Export], IngestReport],
    mutation: Mutation,
    file: str,
    line: int,
    field: str,
    reason: str,
) -> None:
    export = valid_export()
    mutation(export)
    report = run(export)
    rows = [r for r in read_rejects(report) if not r["reason"].startswith("warning")]
    assert any(
        r["file"] == file and r["line"] == str(line) and r["field"] == field and reason in r["reason"] for r in rows
    ), rows
    counts = report.sources[file]
    assert counts.rejected == 1, rows
    assert counts.accepted + counts.rejected == len(getattr(export, _ATTR[file]))


_ATTR = {STADT: "stadt", LANDKREIS: "landkreis", STELLEN: "vacancies", VORSCHLAEGE: "proposals", MERKMALE: "protected"}


def test_history_of_a_rejected_candidate_is_rejected_too(
    run: Callable[[Export], IngestReport],
) -> None:
    export = valid_export()
    export.stadt[0] = stadt_row(1, Zielberuf_KldB="99999")
    report = run(export)
    rows = read_rejects(report)
    history = [r for r in rows if r["file"] in (VORSCHLAEGE, MERKMALE)]
    assert [(r["file"], r["line"], r["field"]) for r in history] == [
        (MERKMALE, "2", "kunden_id"),
        (VORSCHLAEGE, "2", "kunden_id"),
    ]
    assert all(r["reason"].startswith(f"unknown candidate (its row was rejected: {STADT} line 2)") for r in history)
    assert report.sources[VORSCHLAEGE].accepted == 3


def test_an_undecodable_line_does_not_stop_the_file(run: Callable[[Export], IngestReport]) -> None:
    export = valid_export()
    export.stadt.insert(1, b"\x81\x8d\x8f;" * 22 + b"\x90")
    report = run(export)
    assert (report.sources[STADT].accepted, report.sources[STADT].rejected) == (2, 1)
    (row,) = read_rejects(report)
    assert (row["line"], row["reason"]) == ("3", "broken encoding: bytes not decodable as cp1252")


def test_a_stray_quote_loses_only_its_line(run: Callable[[Export], IngestReport], store: Store) -> None:
    export = valid_export()
    export.stadt.insert(1, b'S-0000009;"never closed')
    export.stadt.append(stadt_row(3, Profiltext='"Lager ""und""\r\nVersand"'))
    report = run(export)
    (row,) = read_rejects(report)
    assert (row["line"], row["value"]) == ("3", "S-0000009")
    assert report.sources[STADT].accepted == 3
    assert store.get_candidate("S-0000003").profile_text == 'Lager "und"\r\nVersand'


# --- all or nothing --------------------------------------------------------------------------
@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failure_mid_import_leaves_the_store_as_it_was(
    run: Callable[[Export], IngestReport],
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    first = valid_export()
    first.stadt.pop()
    run(first)
    before = store.snapshot()

    def explode(*_args: object) -> None:
        raise error

    monkeypatch.setattr(store, "upsert_proposals", explode)
    with pytest.raises(type(error)):
        run(valid_export())
    assert store.snapshot() == before


def test_missing_folder_or_file_is_an_export_format_error(
    tmp_path: Path,
    store: Store,
    reference: ReferenceData,
) -> None:
    with pytest.raises(ExportFormatError, match="export folder not found"):
        ingest_folder(tmp_path / "nope", store, reference, tmp_path / "rejects")
    folder = valid_export().write(tmp_path / "export")
    (folder / MERKMALE).unlink()
    with pytest.raises(ExportFormatError, match=MERKMALE):
        ingest_folder(folder, store, reference, tmp_path / "rejects")


def test_a_header_without_required_columns_is_an_export_format_error(
    tmp_path: Path,
    store: Store,
    reference: ReferenceData,
) -> None:
    folder = valid_export().write(tmp_path / "export")
    (folder / VORSCHLAEGE).write_text("id,kunde\n1,2\n")
    with pytest.raises(ExportFormatError, match="header lacks column"):
        ingest_folder(folder, store, reference, tmp_path / "rejects")


# --- the CLI contract ------------------------------------------------------------------------
def test_cli_ingest_json_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    export = valid_export()
    export.stadt.append(stadt_row(3, Anlagedatum="30.02.2025"))
    folder = export.write(tmp_path / "export")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sources"][STADT] == {"accepted": 2, "rejected": 1, "warnings": 0}
    assert set(summary["sources"]) == {STADT, LANDKREIS, STELLEN, VORSCHLAEGE, MERKMALE}
    assert summary["duplicates_merged"] == 1
    assert Path(summary["reject_report"]).is_file()
    assert Path(summary["reject_report"]).parent == tmp_path / "home" / "rejects"
    human = CliRunner().invoke(app, ["ingest", str(folder)])
    assert human.exit_code == 0 and f"{STADT}: 2 accepted, 1 rejected" in human.stdout


def test_cli_ingest_missing_folder_fails_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "missing"), "--json"])
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "export folder not found" in lines[0]


def test_candidate_model_round_trip_keeps_source(run: Callable[[Export], IngestReport], store: Store) -> None:
    run(valid_export())
    assert all(isinstance(c, Candidate) for c in store.candidates())
    assert {c.source for c in store.candidates()} == {
        CandidateSource.STADT,
        CandidateSource.LANDKREIS,
    }
