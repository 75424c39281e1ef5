"""The region report: shortages, what each measure type would open, and the fairness table, as one
self-contained HTML file (tables and PNG plots inline as base64; no external asset).

``build_report(store, reference, as_of)`` computes, ``render_html(report)`` writes. Protected
attributes are read here, from the store's separate table, for the fairness table only.
"""

from __future__ import annotations

import base64
import html
import io
import time
from dataclasses import dataclass
from datetime import date

import pandas as pd

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.measures import TYPE_LABELS_DE, MeasureCatalogue, MeasureType, stored_measures
from matcher.services.planning import (
    fairness_table,
    measure_type_impact,
    profile_strata,
    protected_groups,
    shortages,
    suggestions,
)

AT_LEAST_VACANCIES = 5
AT_LEAST_CANDIDATES = 3


@dataclass(frozen=True)
class RegionReport:
    as_of: date
    job_seekers: int
    open_vacancies: int
    measures: int
    shortages: pd.DataFrame
    impact: pd.DataFrame
    fairness: pd.DataFrame
    seconds: dict[str, float]

    def headline(self) -> dict[str, object]:
        """The figures the README quotes."""
        occupation = self.shortages[self.shortages["dimension"] == "occupation_group"]
        scarce = occupation[occupation["demand"] >= 20].head(3)
        best = self.impact.sort_values(f"people_gaining_{AT_LEAST_VACANCIES}+", ascending=False).iloc[0]
        technical = self.fairness[self.fairness["attribute"] == "gender"].set_index("group")
        return {
            "as_of": self.as_of.isoformat(),
            "job_seekers": self.job_seekers,
            "open_vacancies": self.open_vacancies,
            "measures": self.measures,
            "scarcest_occupation_groups": [(r.label_de, r.demand, r.supply, r.ratio) for r in scarce.itertuples()],
            "measure_type_most_people": (best["type"], int(best[f"people_gaining_{AT_LEAST_VACANCIES}+"])),
            "technical_it_same_profile_by_gender": technical["technical_it_same_profile"].to_dict(),
            "seconds": self.seconds,
        }


def build_report(store: Store, reference: ReferenceData, as_of: date, progress: bool = False) -> RegionReport:
    """Everything the report shows, computed from the store (every job seeker, every open vacancy)."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    gazetteer = Gazetteer(reference)
    people = CandidateTable.build(store.candidates(), gazetteer)
    vacancies = VacancyTable.build(store.vacancies(status="open"), gazetteer)
    catalogue = MeasureCatalogue.build(stored_measures(store), gazetteer)
    seconds["load"] = round(time.perf_counter() - start, 2)
    t = time.perf_counter()
    table = shortages(people, vacancies, reference, gazetteer, as_of)
    seconds["shortages"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    bar = _bar(len(people)) if progress else None
    found = suggestions(people, vacancies, catalogue, gazetteer, as_of, progress=bar)
    impact = measure_type_impact(found, len(vacancies), AT_LEAST_VACANCIES, AT_LEAST_CANDIDATES)
    seconds["measure_types"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    groups = protected_groups(store.protected_attributes(), as_of)  # the audit's read, nothing else
    fairness = fairness_table(found, groups, profile_strata(people))
    seconds["fairness"] = round(time.perf_counter() - t, 2)
    seconds["total"] = round(time.perf_counter() - start, 2)
    return RegionReport(as_of, len(people), len(vacancies), len(catalogue), table, impact, fairness, seconds)


def _bar(total: int):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return lambda rows: tqdm(rows, total=total, desc="suggestions", unit="people", leave=False)


# --- HTML ---------------------------------------------------------------------------------------
def _png(frame: pd.DataFrame, label: str, value: str, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")  # files only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(frame), 4) + 1))
    ax.barh(frame[label].str.slice(0, 45)[::-1], frame[value][::-1], color="#2a6f97")
    ax.set_title(title)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="t", escape=True, na_rep="–")


def _head(report: RegionReport) -> list[str]:
    """The page's head, title and the paragraph saying what is counted (chances, not people)."""
    return [
        "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Regionalbericht</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table.t{border-collapse:collapse;"
        "font-size:13px}table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>",
        f"<h1>Regionalbericht Kaiserslautern, Stand {report.as_of:%d.%m.%Y}</h1>",
        f"<p>{report.job_seekers:,} Arbeitsuchende, {report.open_vacancies:,} offene Stellen, "
        f"{report.measures:,} Maßnahmen. Gezählt werden Chancen, nicht Menschen: niemand wird nach "
        "vorhergesagten Integrationschancen sortiert oder ausgewählt; wer eine Maßnahme erhält, "
        "entscheidet die Integrationsfachkraft.</p>",
    ]


def render_html(report: RegionReport, top: int = 15) -> str:
    """The report as one HTML page (German headings, no external resource)."""
    occupation = report.shortages[report.shortages["dimension"] == "occupation_group"]
    occupation = occupation[occupation["demand"] >= 10].head(top)
    impact = report.impact.assign(label=[TYPE_LABELS_DE[MeasureType(t)] for t in report.impact["type"]])
    parts = [
        *_head(report),
        "<h2>Engpässe: Angebot und Nachfrage</h2>",
        "<p>Nachfrage: offene Stellen, die es verlangen. Angebot: Arbeitsuchende, die es mitbringen und "
        "mindestens eine dieser Stellen in ihrer eigenen Pendelgrenze erreichen.</p>",
        _png(occupation, "label_de", "ratio", "Angebot je Stelle, knappste Berufsgruppen"),
    ]
    for name, rows in report.shortages.groupby("dimension", sort=False):
        parts += [f"<h3>{html.escape(str(name))}</h3>", _table(rows.drop(columns="dimension").head(top))]
    parts += [
        "<h2>Was jede Maßnahmenart öffnen würde</h2>",
        f"<p>Je Person die eine Änderung dieser Art (über eine erreichbare Maßnahme), die die meisten "
        f"passenden Stellen öffnet; Stellen mit mindestens {AT_LEAST_CANDIDATES} zusätzlichen "
        "passenden Bewerberinnen und Bewerbern.</p>",
        _png(
            impact,
            "label",
            f"people_gaining_{AT_LEAST_VACANCIES}+",
            f"Personen mit ≥ {AT_LEAST_VACANCIES} Stellen mehr",
        ),
        _table(impact.drop(columns="label")),
        "<h2>Fairness: Vorschläge nach geschützten Gruppen</h2>",
        "<p>Anteil mit mindestens einer Chance, mittlere Zahl der Chancen, Anteil je Maßnahmenart und "
        "mit einer technischen oder IT-Maßnahme (KldB-Bereich 2 oder 4); zuletzt dieser Anteil gegenüber "
        "Personen gleichen Profils (Berufsbereich und Anforderungsniveau; 1,0 = gleich oft).</p>",
        _table(report.fairness),
        f"<p>Rechenzeit: {report.seconds} s.</p></body></html>",
    ]
    return "\n".join(parts)
