"""The demo world: determinism, realistic distributions, the bias switch, and clean ingestion."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data.generate import WorldConfig, generate_world
from data.generate.texts import gendered_title
from matcher.records.reference import STADT_KL_AGS, ReferenceData

FILES = (
    "jobcenter_stadt_kunden.csv",
    "jobcenter_landkreis_kunden.jsonl",
    "arbeitgeberservice_stellen.jsonl",
    "vermittlungsvorschlaege.csv",
    "geschuetzte_merkmale.csv",
    "oracle_utilities.csv",
    "oracle_kunden.jsonl",
    "oracle_stellen.jsonl",
)
SMALL = WorldConfig(candidates=300, vacancies=80, seed=7)
# Mid-sized and clean (no deliberate defects), so that distributions read straight off the files.
MID = WorldConfig(candidates=2000, vacancies=500, seed=11, duplicates=False, broken_rows=False)


def _world(root: Path, config: WorldConfig, reference: ReferenceData) -> tuple[Path, dict[str, Any]]:
    out = root / f"world-{config.seed}-{config.candidates}-{config.bias}"
    return out, generate_world(out, config, reference)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> tuple[Path, dict]:
    return _world(tmp_path_factory.mktemp("small"), SMALL, reference)


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> tuple[Path, dict]:
    return _world(tmp_path_factory.mktemp("mid"), MID, reference)


@pytest.fixture(scope="module")
def mid_unbiased(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> tuple[Path, dict]:
    config = WorldConfig(**{**MID.__dict__, "bias": False})
    return _world(tmp_path_factory.mktemp("mid_unbiased"), config, reference)


def _stadt(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / FILES[0], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)


def _landkreis(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / FILES[1]).read_text("utf-8").splitlines()]


def _history(folder: Path) -> pd.DataFrame:
    proposals = pd.read_csv(folder / FILES[3], dtype=str)
    oracle = pd.read_csv(folder / FILES[5], dtype={"vorschlag_id": str})
    protected = pd.read_csv(folder / FILES[4], dtype={"kunden_id": str})
    frame = proposals.merge(oracle[["vorschlag_id", "utility"]], on="vorschlag_id")
    return frame.merge(protected, on="kunden_id")


def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, small: tuple[Path, dict], reference: ReferenceData
) -> None:
    again, _ = _world(tmp_path / "again", SMALL, reference)
    other, _ = _world(tmp_path / "other", WorldConfig(candidates=300, vacancies=80, seed=8), reference)
    for name in FILES:
        assert (small[0] / name).read_bytes() == (again / name).read_bytes(), name
        assert (small[0] / name).read_bytes() != (other / name).read_bytes(), name


def test_summary_counts_the_rows_written(small: tuple[Path, dict]) -> None:
    folder, summary = small
    assert summary["candidates"] == {"stadt": 200, "landkreis": 100}
    assert summary["vacancies"]["open"] == 80
    for name in FILES:
        data = (folder / name).read_bytes()
        lines = data.count(b"\n") - (0 if name.endswith(".jsonl") else 1)
        assert lines == summary["files"][name], name
    assert summary["broken_rows"]["jobcenter_stadt_kunden.csv"] >= 7
    assert summary["duplicates"]["arbeitgeberservice_stellen.jsonl"] >= 1
    json.dumps(summary)


def test_switches_turn_defects_off(mid: tuple[Path, dict]) -> None:
    folder, summary = mid
    assert summary["broken_rows_total"] == 0 and summary["duplicates_total"] == 0
    stadt = _stadt(folder)
    assert stadt["Kundennummer"].is_unique and len(stadt) == summary["candidates"]["stadt"]


def test_stadt_share_and_places_follow_population(mid: tuple[Path, dict], reference: ReferenceData) -> None:
    folder, _ = mid
    stadt, landkreis = _stadt(folder), _landkreis(folder)
    share = len(stadt) / (len(stadt) + len(landkreis))
    assert 0.6 < share < 0.72
    assert (stadt["Wohnort"] == "Kaiserslautern").all()
    counts = pd.Series([r["adresse"]["gemeindeschluessel"] for r in landkreis]).value_counts()
    population = reference.municipalities.set_index("ags")["population"]
    joined = pd.DataFrame({"n": counts, "pop": population}).dropna()
    joined = joined[joined["pop"] > 0]
    assert joined["n"].corr(joined["pop"], method="spearman") > 0.6
    assert len(stadt) > counts.max() * 5  # the city is by far the biggest place
    assert STADT_KL_AGS not in counts.index


def test_levels_part_time_and_constraints(mid: tuple[Path, dict]) -> None:
    stadt = _stadt(mid[0])
    levels = stadt["Anforderungsniveau"].astype(int)
    assert (levels <= 2).mean() > 0.85 and (levels == 4).mean() < 0.03
    part_time = (stadt["Arbeitszeitwunsch"] == "Teilzeit").mean()
    assert 0.2 < part_time < 0.4  # childcare (22 %) plus a few others
    no_car = (stadt["PKW_verfuegbar"] == "nein").mean()
    assert 0.5 < no_car < 0.85
    assert (stadt["Weitere_Berechtigungen"].str.contains("Staplerschein")).any()
    later = pd.to_datetime(stadt["Verfuegbar_ab"], format="%d.%m.%Y") > pd.Timestamp("2026-11-25")
    assert 0.08 < later.mean() < 0.25
    assert set(stadt["Deutschkenntnisse"]) >= {"A1", "B1", "C2", "Muttersprache"}


def test_outcome_rates_are_plausible(mid: tuple[Path, dict]) -> None:
    folder, summary = mid
    rates = pd.read_csv(folder / FILES[3])["ergebnis"].value_counts(normalize=True)
    assert 0.03 < rates["eingestellt"] < 0.09
    assert 0.15 < rates["keine_reaktion"] < 0.30
    assert 0.30 < rates["abgelehnt_arbeitgeber"] < 0.50
    assert rates["vorstellungsgespraech"] < rates["beworben"]
    assert 3.5 < summary["proposals"] / MID.candidates < 4.5


def test_utility_drives_outcomes_and_proposals_are_mostly_plausible(mid: tuple[Path, dict]) -> None:
    history = _history(mid[0])
    low = history["utility"] < history["utility"].quantile(0.25)
    high = history["utility"] > history["utility"].quantile(0.75)
    hired = history["ergebnis"] == "eingestellt"
    assert hired[high].mean() > 4 * hired[low].mean()


def _employer_gap(history: pd.DataFrame) -> float:
    """Older minus younger share of positive employer decisions, at the same utility (quintiles)."""
    decided = history[
        history["ergebnis"].isin(["beworben", "vorstellungsgespraech", "eingestellt", "abgelehnt_arbeitgeber"])
    ]
    decided = decided.assign(
        positive=decided["ergebnis"].isin(["vorstellungsgespraech", "eingestellt"]),
        older=decided["geburtsjahr"] < 1972,
        band=pd.qcut(decided["utility"], 5, labels=False),
    )
    rates = decided.groupby(["band", "older"])["positive"].mean().unstack()
    weights = decided.groupby("band").size()
    return float(np.average(rates[True] - rates[False], weights=weights))


def test_bias_switch_disadvantages_older_only_when_on(mid: tuple[Path, dict], mid_unbiased: tuple[Path, dict]) -> None:
    biased, fair = _employer_gap(_history(mid[0])), _employer_gap(_history(mid_unbiased[0]))
    assert biased < -0.06
    assert abs(fair) < 0.05
    # The profiles are the same: the switch changes only the history's decisions.
    assert (mid[0] / FILES[0]).read_bytes() == (mid_unbiased[0] / FILES[0]).read_bytes()


def test_profiles_do_not_mention_protected_attributes(mid: tuple[Path, dict]) -> None:
    texts = list(_stadt(mid[0])["Profiltext"]) + [r["profil"] for r in _landkreis(mid[0])]
    forbidden = re.compile(
        r"\b(Jahre alt|geboren|Alter|Frau|Herr|Kundin|Kunde|Staatsangeh\w*|"
        r"Nationalität|Herkunft|Schwerbehind\w*|Behinderung|männlich|weiblich)\b"
    )
    # ESCO skill labels may name such topics ("Arten der Behinderung"): only the prose counts.
    skills = re.compile(r"Kenntnisse u\. a\.:.*?\.(?= [A-ZÄÖÜ]|$)")
    for text in texts:
        assert text and not forbidden.search(skills.sub("", text)), text


def test_vacancies_read_like_postings(mid: tuple[Path, dict], reference: ReferenceData) -> None:
    records = [json.loads(x) for x in (mid[0] / FILES[2]).read_text("utf-8").splitlines()]
    assert all(r["titel"].count("(m/w/d)") == 1 for r in records)
    assert all(r["kldb"] in reference.kldb5_codes for r in records)
    assert len({r["beschreibung"] for r in records}) == len(records)
    assert sum(r["status"] == "offen" for r in records) == MID.vacancies
    agency = sum(r["vertragsart"] == "arbeitnehmerueberlassung" for r in records) / len(records)
    assert 0.1 < agency < 0.35
    assert all(r["beginn"] >= r["veroeffentlicht"] for r in records)


def test_gendered_titles() -> None:
    assert gendered_title("Fachlagerist/in") == "Fachlagerist (m/w/d)"
    assert gendered_title("Koch/Köchin") == "Koch (m/w/d)"
    assert gendered_title("Einzelhandelskaufmann/-frau") == "Einzelhandelskaufmann (m/w/d)"
    assert gendered_title("Medizinische/r Fachangestellte/r") == "Medizinischer Fachangestellter (m/w/d)"


def test_broken_encoding_row_is_the_only_undecodable_one(small: tuple[Path, dict]) -> None:
    lines = (small[0] / FILES[0]).read_bytes().split(b"\r\n")
    undecodable = 0
    for line in lines:
        try:
            line.decode("cp1252")
        except UnicodeDecodeError:
            undecodable += 1
    assert undecodable == 1
    pd.read_csv(io.BytesIO(b"\r\n".join(lines[:5])), sep=";", encoding="cp1252")


def test_every_file_ingests_with_only_the_deliberate_rejects(
    small: tuple[Path, dict], reference: ReferenceData, tmp_path: Path
) -> None:
    ingest = pytest.importorskip("data.ingest")
    from matcher.records.store import Store

    folder, summary = small
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    report = ingest.ingest_folder(folder, store, reference, tmp_path / "rejects", progress=False)
    result = report.to_json()
    for name, counts in result["sources"].items():
        assert counts["rejected"] == summary["broken_rows"][name], name
    assert result["duplicates_merged"] == summary["duplicates_total"]
    assert result["sources"]["vermittlungsvorschlaege.csv"]["accepted"] == summary["proposals"]


def test_oracle_reproduces_every_proposals_utility_and_knows_any_pair(
    small: tuple[Path, dict], reference: ReferenceData
) -> None:
    from data.generate.oracle import Oracle

    folder, _ = small
    oracle = Oracle.load(folder, reference)
    exported = pd.read_csv(folder / "oracle_utilities.csv", dtype={"kunden_id": str, "stellen_id": str})
    computed = oracle.utility(exported["kunden_id"], exported["stellen_id"])
    np.testing.assert_allclose(computed, exported["utility"], atol=5e-5)  # the export rounds to 4 decimals
    # Pairs nobody proposed have a utility too; an unknown id has none.
    people, jobs = list(oracle.candidate_index), list(oracle.vacancy_index)
    assert np.isfinite(oracle.utility(people[:50], jobs[-50:])).all()
    assert np.isnan(oracle.utility(["nobody", people[0]], [jobs[0], "nothing"])).all()
    # Oracle-only: the profiles' hidden values appear in no ingested file.
    assert "motivation" not in (folder / "jobcenter_landkreis_kunden.jsonl").read_text("utf-8")
