"""The engine end to end: a hand-made world in a temporary SQLite store, the real MiniLM, real
FAISS files; plus filter-first search, the re-ranker hook, two engines on one store, rendering and the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.typing import NDArray
from typer.testing import CliRunner

from matcher.errors import IndexModelMismatchError, UnknownCandidateError, UnknownVacancyError
from matcher.ranking.encoder import Encoder
from matcher.ranking.engine import Engine, EngineConfig
from matcher.ranking.features import FEATURE_INDEX
from matcher.ranking.filters import FilterOptions
from matcher.ranking.reranker import Reranker
from matcher.ranking.serving_model import ServingModel
from matcher.ranking.shortlist import RetrievalConfig
from matcher.ranking.snapshot import build_indexes
from matcher.records.models import Candidate, Vacancy
from matcher.records.reference import ReferenceData
from matcher.records.render import render_candidate, render_vacancy
from matcher.records.store import Store
from tests.factories import make_candidate, make_vacancy
from training import cli

TODAY = FilterOptions(today=date(2026, 11, 20))
OTTERBACH = {"ags": "07335034", "postcode": "67731"}
MIESAU = {"ags": "07335003", "postcode": "66892"}
LAGER = "Wareneingang, Kommissionierung und Versand im Lager, Staplerfahren."
PFLEGE = "Grundpflege und Behandlungspflege von Patienten auf Station, Dokumentation."


def people() -> list[Candidate]:
    return [
        make_candidate(id="C-lager", profile_text=LAGER),
        make_candidate(id="C-pflege", occupations=["81302"], skills=[], permits=[], profile_text=PFLEGE),
        make_candidate(
            id="C-koch",
            occupations=["29302"],
            skills=[],
            permits=[],
            profile_text="Koch in der Gemeinschaftsverpflegung, Speisen zubereiten.",
        ),
        make_candidate(
            id="C-lkw",
            occupations=["52122"],
            skills=[],
            permits=[],
            licences=["CE"],
            profile_text="Berufskraftfahrer im Fernverkehr mit Sattelzug.",
        ),
        make_candidate(
            id="C-buero",
            occupations=["71402"],
            skills=[],
            permits=[],
            has_car=False,
            profile_text="Büroorganisation, Ablage, Telefondienst.",
        ),
    ]


def jobs() -> list[Vacancy]:
    return [
        make_vacancy(id="V-lager", description=LAGER),
        make_vacancy(id="V-lager-fern", description=LAGER, **MIESAU),
        make_vacancy(id="V-lager-zu", description=LAGER, status="filled"),
        make_vacancy(
            id="V-pflege",
            title="Pflegefachkraft (m/w/d)",
            kldb="81302",
            required_skills=[],
            required_permits=[],
            description=PFLEGE,
        ),
        make_vacancy(
            id="V-koch",
            title="Koch/Köchin",
            kldb="29302",
            required_skills=[],
            required_permits=[],
            description="Kantine, Speisen zubereiten.",
            **OTTERBACH,
        ),
        make_vacancy(
            id="V-lkw",
            title="Berufskraftfahrer CE",
            kldb="52122",
            required_skills=[],
            required_permits=[],
            required_licences=["CE"],
            description="Nahverkehr mit Sattelzug, Be- und Entladen.",
        ),
        make_vacancy(
            id="V-buero",
            title="Bürokraft",
            kldb="71402",
            required_skills=[],
            required_permits=[],
            description="Empfang, Ablage, Telefon.",
        ),
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, minilm_encoder: Encoder, reference: ReferenceData) -> Path:
    """A store and its indexes, built once; each test works on its own copy."""
    home = tmp_path_factory.mktemp("world")
    store = Store(f"sqlite:///{home / 'matcher.db'}")
    with store.transaction() as conn:
        store.upsert_candidates(conn, people())
        store.upsert_vacancies(conn, jobs())
    # Pages of 2 records: the paged build is exercised by every test below.
    summary = build_indexes(store, minilm_encoder, reference, home / "indexes", page_size=2)
    (home / "summary.json").write_text(json.dumps({name: info.to_json() for name, info in summary.items()}))
    store.close()
    return home


@pytest.fixture
def store(world: Path, tmp_path: Path) -> Store:
    shutil.copy(world / "matcher.db", tmp_path / "matcher.db")
    shutil.copytree(world / "indexes", tmp_path / "indexes")
    return Store(f"sqlite:///{tmp_path / 'matcher.db'}")


@pytest.fixture
def engine(store: Store, minilm_encoder: Encoder, reference: ReferenceData, tmp_path: Path) -> Engine:
    return Engine.load(tmp_path / "indexes", minilm_encoder, store, reference, config=EngineConfig(filters=TODAY))


def test_build_indexes_embeds_open_vacancies_and_all_candidates(world: Path, minilm_encoder: Encoder) -> None:
    summary = json.loads((world / "summary.json").read_text())
    assert summary["vacancies"]["count"] == 6 and summary["candidates"]["count"] == 5
    assert summary["vacancies"]["kind"] == "exact"
    assert summary["candidates"]["encoder_fingerprint"] == minilm_encoder.fingerprint
    assert (world / "indexes" / "vacancies" / "manifest.json").is_file()


def test_build_progress_counts_the_open_vacancies_it_embeds(
    store: Store, minilm_encoder: Encoder, reference: ReferenceData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The vacancy bar's total is the open vacancies (read in keyset pages), not every status."""
    open_, every = store.count_vacancies("open"), store.count("vacancies")
    assert open_ < every
    build_indexes(store, minilm_encoder, reference, tmp_path / "again", progress=True, page_size=2)
    err = capsys.readouterr().err
    assert f"embedding vacancies: 100%|██████████| {open_}/{open_}" in err
    assert f"/{every} " not in err.split("embedding candidates")[0]


def test_shortlist_for_candidate(engine: Engine, minilm_encoder: Encoder) -> None:
    result = engine.shortlist_for_candidate("C-lager", k=3)
    ids = [item.id for item in result.items]
    assert ids[0] == "V-lager" and "V-lager-zu" not in ids and len(ids) == 3
    assert [item.rank for item in result.items] == [1, 2, 3]
    assert result.items[0].score == pytest.approx(result.items[0].similarity)
    assert result.items[0].facts.title == "Fachlagerist (m/w/d)"
    assert result.items[0].facts.place == "Kaiserslautern"
    assert any("Zielberuf" in reason for reason in result.items[0].reasons), result.items[0].reasons
    assert result.index.encoder_fingerprint == minilm_encoder.fingerprint
    assert result.direction == "vacancies_for_candidate" and result.scorer == "similarity"
    assert json.dumps(result.to_json(), default=str)


def test_shortlist_for_vacancy_applies_filters_and_counts(engine: Engine) -> None:
    result = engine.shortlist_for_vacancy("V-lkw", k=5)
    assert [item.id for item in result.items] == ["C-lkw"]  # only one holds CE
    assert result.excluded["licences"] == 4 and result.eligible == 1
    assert result.considered == 5 and sum(result.excluded.values()) == 4
    relaxed = engine.shortlist_for_vacancy("V-lkw", k=5, filters=TODAY.override(licences=False))
    assert relaxed.items[0].id == "C-lkw" and len(relaxed.items) == 5


def test_filters_run_before_the_search(store: Store, engine: Engine) -> None:
    engine.config = EngineConfig(filters=TODAY, retrieval=RetrievalConfig(fetch_factor=1, min_fetch=1))
    commute = TODAY.override(max_commute_minutes=20)  # excludes Miesau (~47 min by car)
    # C-lager: V-lkw needs CE, Miesau is too far: 4 of the 6 open vacancies are eligible.
    result = engine.shortlist_for_candidate("C-lager", k=4, filters=commute)
    assert len(result.items) == 4 and result.rounds == 1 and result.eligible == 4
    assert "V-lager-fern" not in [i.id for i in result.items]
    everything = engine.shortlist_for_candidate("C-lager", k=50, filters=commute)
    assert len(everything.items) == everything.eligible == 4
    assert everything.warnings and "only 4 of 50" in everything.warnings[0]
    assert not result.warnings
    assert everything.excluded["commute"] == 1 and everything.excluded["licences"] == 1
    assert everything.considered == 6 and sum(everything.excluded.values()) == 2


class ReverseReranker(Reranker):
    """A stand-in re-ranker: prefers the least similar."""

    kind = "reverse-test"

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return -np.asarray(features[:, FEATURE_INDEX["similarity"]], dtype=np.float64)


def test_reranker_decides_the_order(engine: Engine) -> None:
    plain = engine.shortlist_for_candidate("C-lager", k=10)
    engine.serving = ServingModel(ReverseReranker(), engine.model)
    reversed_ = engine.shortlist_for_candidate("C-lager", k=10)
    assert [i.id for i in reversed_.items] == [i.id for i in plain.items][::-1]
    assert reversed_.items[0].reasons and reversed_.scorer == "reverse-test"


def test_upserts_and_deletes_are_reflected(engine: Engine, store: Store, tmp_path: Path) -> None:
    engine.upsert_candidate(make_candidate(id="C-neu", licences=["CE"], profile_text=LAGER))
    assert "C-neu" in [i.id for i in engine.shortlist_for_vacancy("V-lkw").items]
    engine.delete_candidate("C-neu")
    assert "C-neu" not in [i.id for i in engine.shortlist_for_vacancy("V-lkw").items]
    with pytest.raises(UnknownCandidateError):
        store.get_candidate("C-neu")
    engine.upsert_vacancy(make_vacancy(id="V-lager", description=LAGER, status="filled"))
    assert "V-lager" not in [i.id for i in engine.shortlist_for_candidate("C-lager").items]
    engine.delete_vacancy("V-koch")
    assert "V-koch" not in [i.id for i in engine.shortlist_for_candidate("C-koch").items]
    # The snapshot on disk was not rewritten: a new engine replays the change log over it.
    snapshot = json.loads((tmp_path / "indexes" / "vacancies" / "manifest.json").read_text())
    assert snapshot["count"] == 6
    reloaded = Engine.load(tmp_path / "indexes", engine.encoder, store, engine.reference)
    assert sorted(reloaded.vacancies.index.ids()) == sorted(engine.vacancies.index.ids())
    assert len(reloaded.candidates.index) == 5 and "V-koch" not in reloaded.vacancies
    assert reloaded.applied_seq == engine.applied_seq == store.last_change()


def test_a_second_engine_sees_writes_after_sync(engine: Engine, store: Store, tmp_path: Path) -> None:
    other = Engine.load(
        tmp_path / "indexes", engine.encoder, Store(store.url), engine.reference, config=EngineConfig(filters=TODAY)
    )
    engine.upsert_candidate(make_candidate(id="C-neu", licences=["CE"], profile_text=LAGER))
    assert other.sync() == 1 and other.sync() == 0  # nothing is applied twice
    assert "C-neu" in [i.id for i in other.shortlist_for_vacancy("V-lkw").items]
    engine.delete_candidate("C-neu")
    other.sync()
    assert "C-neu" not in [i.id for i in other.shortlist_for_vacancy("V-lkw").items]
    moved = make_vacancy(id="V-lager", description=LAGER, hours_per_week=10.0)
    engine.upsert_vacancy(moved)
    other.sync()
    assert other.vacancy("V-lager").hours_per_week == 10.0
    np.testing.assert_allclose(other.vacancies.index.vectors(["V-lager"]), engine.vacancies.index.vectors(["V-lager"]))


def test_ad_hoc_profiles_and_unknown_ids(engine: Engine) -> None:
    visitor = make_candidate(id="adhoc", occupations=["81302"], skills=[], permits=[], profile_text=PFLEGE)
    assert engine.shortlist_for_candidate(visitor, k=1).items[0].id == "V-pflege"
    with pytest.raises(UnknownCandidateError):
        engine.shortlist_for_candidate("C-nobody")
    with pytest.raises(UnknownVacancyError):
        engine.shortlist_for_vacancy("V-nothing")


def test_indexes_of_another_encoder_are_refused(engine: Engine, store: Store, tmp_path: Path) -> None:
    other = SimpleNamespace(fingerprint="another-model", name="another")
    with pytest.raises(IndexModelMismatchError, match="matcher index"):
        Engine.load(tmp_path / "indexes", other, store, engine.reference)  # type: ignore[arg-type]


def test_one_renderer_for_both_sides(reference: ReferenceData) -> None:
    candidate = make_candidate(profile_text="x " * 1000)
    vacancy = make_vacancy(description="y " * 1000)
    c_text, v_text = render_candidate(candidate, reference), render_vacancy(vacancy, reference)
    assert c_text.startswith("Beruf: Berufe in der Lagerwirtschaft; ")
    assert v_text.startswith("Beruf: Berufe in der Lagerwirtschaft. Stelle: Fachlagerist")
    for text in (c_text, v_text):
        assert "Niveau: Fachkraft" in text and "Ort: Kaiserslautern" in text
        assert "Staplerschein" in text and "Vollzeit 39 Std./Woche" in text
        assert 20 <= len(text.split()) <= 200 and "fachlich ausgerichtete" not in text


def test_cli_index_and_shortlist(
    store: Store, minilm_encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_encoder", lambda settings: minilm_encoder)
    env = {"MATCHER_HOME": str(tmp_path), "DATABASE_URL": store.url}
    runner = CliRunner()
    built = runner.invoke(cli.app, ["index"], env=env)
    assert built.exit_code == 0, built.output
    assert "vacancies: 6 vectors" in built.output and "candidates: 5 vectors" in built.output
    compacted = runner.invoke(cli.app, ["index", "--compact"], env=env)
    assert compacted.exit_code == 0, compacted.output
    assert "vacancies: 6 vectors, exact index, change log at" in compacted.output
    assert " s ->" not in compacted.output  # a snapshot embeds nothing: no build time
    no_model = runner.invoke(cli.app, ["shortlist", "--candidate", "C-lager"], env=env)
    assert no_model.exit_code == 1 and "--scorer similarity" in no_model.output
    shown = runner.invoke(
        cli.app, ["shortlist", "--candidate", "C-lager", "--k", "2", "--scorer", "similarity"], env=env
    )
    assert shown.exit_code == 0, shown.output
    assert "  1. V-lager" in shown.output and "ranked by similarity" in shown.output
    missing = runner.invoke(cli.app, ["shortlist", "--vacancy", "V-nothing", "--scorer", "similarity"], env=env)
    assert missing.exit_code == 1 and "unknown vacancy" in missing.output
    both = runner.invoke(cli.app, ["shortlist"], env=env)
    assert both.exit_code == 1


def test_live_table_is_the_live_rows_of_one_side(engine: Engine) -> None:
    """What opportunities and the shortages report read instead of the engine's lock and rows."""
    vacancies = engine.live_table("vacancies")
    assert sorted(v.id for v in vacancies.records) == sorted(engine.vacancies.index.ids())
    engine.delete_candidate("C-koch")
    people = engine.live_table("candidates")
    assert sorted(c.id for c in people.records) == ["C-buero", "C-lager", "C-lkw", "C-pflege"]
    assert len(people.lat) == 4


def test_step_observer_is_told_every_step_once(engine: Engine) -> None:
    from matcher.ranking.stages import SHORTLIST_STEPS

    told: list[tuple[str, float]] = []
    engine.step_observer = lambda step, seconds: told.append((step, seconds))
    engine.shortlist_for_candidate("C-lager", k=3)
    engine.step_observer = None
    assert [step for step, _ in told] == list(SHORTLIST_STEPS)
    assert all(seconds >= 0 for _, seconds in told)
    engine.shortlist_for_candidate("C-lager", k=3)
    assert len(told) == len(SHORTLIST_STEPS)


def test_each_returned_pair_carries_its_geography_for_the_audience(engine: Engine) -> None:
    """Exact: the facts' figures with their bands. Cards: bands only, measured from the centre of
    the area the card names (the city of Kaiserslautern for C-lager), not from the postcode."""
    from matcher.ranking.audience import Audience

    exact = engine.shortlist_for_vacancy("V-lager", k=5, filters=FilterOptions(distance=False, commute=False))
    card = engine.shortlist_for_vacancy(
        "V-lager", k=5, filters=FilterOptions(distance=False, commute=False), audience=Audience.card(lambda v, c: c)
    )
    assert [i.id for i in exact.items] and {i.id for i in exact.items} == {i.id for i in card.items}
    for item in exact.items:
        g = item.geography
        assert g is not None and g.distance_km == item.facts.distance_km
        assert g.commute_minutes == item.facts.commute_minutes
    for item in card.items:
        g = item.geography
        assert g is not None and g.distance_km is None and g.commute_minutes is None
        assert g.distance_band is not None and g.commute_band is not None
    assert exact.query is not None and exact.query.id == "V-lager" and exact.k == 5 and exact.explained
    assert "query" not in exact.to_json() and "geography" not in exact.to_json()["items"][0]
