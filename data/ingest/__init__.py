"""Ingestion: read an export folder (see ``data/README.md``) into the store.

Every row is validated; bad rows go to a reject report (CSV) and never stop the import. Both
Jobcenters' job seekers become one candidate pool with provenance; duplicate vacancies from two
channels are merged. Everything is written in one transaction, and re-importing the same folder
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data.formats import INGESTED_FILES, MEASURES, PROPOSALS, PROTECTED, VACANCIES
from data.ingest import history, landkreis, measures, stadt, vacancies
from data.ingest.common import Parsed, drop_duplicate_ids
from data.ingest.history import KnownIds
from data.ingest.normalise import Normaliser
from data.ingest.report import IngestReport, Reject, SourceCounts, write_reject_report
from matcher.errors import ExportFormatError
from matcher.records.models import Candidate, Proposal, ProtectedAttributes, Vacancy
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.measures import Measure, upsert_measures
from matcher.services.occupations import OccupationSuggester

__all__ = ["REQUIRED_FILES", "IngestReport", "Reject", "ingest_folder"]

REQUIRED_FILES: tuple[str, ...] = tuple(f.name for f in INGESTED_FILES if not f.optional)
"""All five are required; ``massnahmen.jsonl`` is read where it is; the ``oracle_*`` files never."""

STORE_TABLES: tuple[str, ...] = (
    "candidates",
    "vacancies",
    "vacancy_aliases",
    "proposals",
    "protected_attributes",
    "measures",
)


def check_folder(folder: Path) -> None:
    """Raise :class:`ExportFormatError` unless the folder holds every required file."""
    if not folder.is_dir():
        raise ExportFormatError(f"export folder not found: {folder}")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ExportFormatError(f"export folder {folder} lacks: {', '.join(missing)}")


def _known_ids(people: list[Parsed[Candidate]], jobs: Parsed[Vacancy], aliases: dict[str, str]) -> KnownIds:
    rejected = {cid: f"{p.file} line {line}" for p in people for cid, line in p.rejected_ids.items()}
    accepted = frozenset(c.id for p in people for _, c in p.items)
    vacancy_ids = {v.id: aliases.get(v.id, v.id) for _, v in jobs.items}
    return KnownIds(accepted, rejected, vacancy_ids)


@dataclass(frozen=True)
class _Parsed:
    """An export folder parsed: every file's records and rejects, the vacancies left after merging
    duplicates, and the merged ids (alias -> kept id)."""

    people: list[Parsed[Candidate]]
    jobs: Parsed[Vacancy]
    kept: list[Vacancy]
    aliases: dict[str, str]
    proposals: Parsed[Proposal]
    protected: Parsed[ProtectedAttributes]
    offered: list[Parsed[Measure]]

    def files(self) -> list[Parsed]:
        return [*self.people, self.jobs, self.proposals, self.protected, *self.offered]

    def write(self, store: Store) -> None:
        """Everything in one transaction: an error or KeyboardInterrupt anywhere leaves the store as it was."""
        with store.transaction() as conn:
            store.upsert_candidates(conn, [c for p in self.people for _, c in p.items])
            store.upsert_vacancies(conn, self.kept)
            store.upsert_proposals(conn, [p for _, p in self.proposals.items])
            store.upsert_protected(conn, [p for _, p in self.protected.items])
            upsert_measures(store, conn, [m for parsed in self.offered for _, m in parsed.items])


def _parse(folder: Path, norm: Normaliser, progress: bool) -> _Parsed:
    """Every file of the folder, parsed and de-duplicated by id; duplicate vacancies merged."""
    people = [
        stadt.parse_file(folder / stadt.FILE_NAME, norm, progress),
        landkreis.parse_file(folder / landkreis.FILE_NAME, norm, progress),
    ]
    drop_duplicate_ids(people, lambda c: c.id, "id")
    jobs = vacancies.parse_file(folder / vacancies.FILE_NAME, norm, progress)
    drop_duplicate_ids([jobs], lambda v: v.id, VACANCIES.column("id"))
    kept, aliases = vacancies.merge_duplicates([v for _, v in jobs.items])
    known = _known_ids(people, jobs, aliases)
    proposals = history.parse_proposals(folder / history.PROPOSALS_FILE, known, progress)
    drop_duplicate_ids([proposals], lambda p: p.id, PROPOSALS.column("id"))
    protected = history.parse_protected_file(folder / history.PROTECTED_FILE, known, progress)
    drop_duplicate_ids([protected], lambda p: p.candidate_id, PROTECTED.column("candidate_id"))
    return _Parsed(people, jobs, kept, aliases, proposals, protected, _measures(folder, norm, progress))


def _measures(folder: Path, norm: Normaliser, progress: bool) -> list[Parsed[Measure]]:
    """The measures of ``massnahmen.jsonl`` where the folder has it (none otherwise)."""
    if not (folder / measures.FILE_NAME).is_file():
        return []
    parsed = measures.parse_file(folder / measures.FILE_NAME, norm, progress)
    drop_duplicate_ids([parsed], lambda m: m.id, MEASURES.column("id"))
    return [parsed]


def ingest_folder(
    folder: Path,
    store: Store,
    reference: ReferenceData,
    reject_dir: Path,
    progress: bool = False,
    suggester: OccupationSuggester | None = None,
) -> IngestReport:
    """Import an export folder into the store, all or nothing; counts per file, merged duplicates,
    the reject report's path and the store's counts.

    Args:
        folder: the export folder with the five files of ``data/README.md`` (and ``massnahmen.jsonl``).
        store: where to write; everything goes in one transaction.
        reference: KldB, ESCO and places to validate against.
        reject_dir: where the reject report CSV is written (created if missing).
        progress: show a progress bar per file on stderr.
        suggester: where given, a vacancy with a title but a missing or unknown KldB code gets a
            proposed code in the reject report (marked as a proposal; the row is not changed).

    Raises:
        ExportFormatError: the folder or a required file is missing, or a file is unreadable
            as a whole (e.g. its header lacks columns).
    """
    folder = Path(folder)
    check_folder(folder)
    parsed = _parse(folder, Normaliser(reference, suggester), progress)
    files = parsed.files()
    rejects = [r for p in files for r in p.rejects]
    report_path = write_reject_report(rejects, reject_dir)
    parsed.write(store)
    return IngestReport(
        folder=folder,
        sources={p.file: SourceCounts(len(p.items), p.rejected, p.warnings) for p in files},
        duplicates_merged=len(parsed.aliases),
        reject_report=report_path,
        rejects=rejects,
        store_counts={table: store.count(table) for table in STORE_TABLES},
    )
