"""Releasing a version as the production model and rolling back from the data team's page, through
the promotion gate of ``matcher train``: the confirmation step, CSRF, the role rule, the gate's
German reasons, the ``promoted_by`` tag, the audit record and the serving model's reload; and the
models page's fairness verdicts and plot tables.

The world is the API tests' one (version 1, trained and promoted) plus a second version trained
on shuffled labels (registered, not promoted: it does not beat version 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role
from api.web.model_tables import fairness_table, gate_verdict
from matcher.ranking.model_registry import CHAMPION
from matcher.records.store import Store
from matcher.services.release import promotion_history
from tests.api.conftest import World, copy_world
from tests.api.web.conftest import signed_in_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_versions(api_world: World, default_encoder: object, tmp_path_factory: pytest.TempPathFactory) -> World:
    from data.generate.oracle import load_oracle
    from tests.api.conftest import home_settings
    from tests.training.conftest import shuffled_trainer, small_config
    from training.pipeline import TrainingInputs, run
    from training.tracking import Registry

    world = copy_world(api_world, tmp_path_factory.mktemp("two-versions") / "home")
    store = Store(world.settings.store_url)
    source = api_world.settings.home
    inputs = TrainingInputs(
        small_config(),
        default_encoder,  # type: ignore[arg-type]
        store,
        source / "cache",
        load_oracle(source / "world"),
    )
    registry = Registry.of(home_settings(world.settings.home, world.settings.encoder))
    result = run(inputs, registry, trainer=shuffled_trainer)
    store.close()
    assert result.model_version == "2" and not result.promoted, result.decision
    return world


def _client(world: World) -> object:
    from mlflow import MlflowClient

    uri = world.settings.tracking_uri
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _champion(world: World) -> str:
    return str(_client(world).get_model_version_by_alias(world.settings.model_name, CHAMPION).version)  # type: ignore[attr-defined]


@pytest.fixture
def home(two_versions: World, tmp_path: Path) -> World:
    return copy_world(two_versions, tmp_path / "home")


@pytest.fixture
def app(home: World) -> Iterator[object]:
    with TestClient(create_app(home.settings)) as client:
        yield client.app


def _form(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_release_refused_by_a_failing_gate(app: object, home: World) -> None:
    team = signed_in_client(app, home, Role.DATA_TEAM)
    page = team.get("/app/models/release?version=2")
    assert page.status_code == 200, page.text
    assert "Gate: nicht bestanden" in page.text and "nicht besser als" in page.text
    assert "Ja, Version 2 freigeben" not in page.text  # no button to confirm a refusal
    token = re.search(r'name="csrf_token" value="([^"]+)"', team.get("/app/").text)
    assert token
    answer = team.post("/app/models/release", data={"csrf_token": token.group(1), "version": "2", "confirmed": "ja"})
    assert answer.status_code == 409
    assert "nicht bestanden" in answer.text and "Qualität: NDCG@10" in answer.text
    assert _champion(home) == "1"
    assert "Im Einsatz: <strong>Version 1</strong>" in team.get("/app/models").text


@pytest.fixture
def v2_champion(two_versions: World, tmp_path: Path) -> World:
    """Version 2 made champion by hand (as MLflow's own tools could): version 1 beats it."""
    world = copy_world(two_versions, tmp_path / "home")
    _client(world).set_registered_model_alias(world.settings.model_name, CHAMPION, "2")  # type: ignore[attr-defined]
    return world


def test_release_and_rollback_through_the_gate(v2_champion: World) -> None:
    world = v2_champion
    with TestClient(create_app(world.settings)) as served:
        team = signed_in_client(served.app, world, Role.DATA_TEAM)
        assert "Im Einsatz: <strong>Version 2</strong>" in team.get("/app/models").text
        confirm = team.get("/app/models/release?version=1")
        assert "Wirklich freigeben? Version 1, Gate: bestanden." in confirm.text, confirm.text
        fields = _form(confirm.text)
        assert fields["confirmed"] == "ja" and fields["version"] == "1"
        # Without the confirmation step: back to it, nothing changes.
        skipped = team.post(
            "/app/models/release", data={"csrf_token": fields["csrf_token"], "version": "1"}, follow_redirects=False
        )
        assert skipped.status_code == 303 and skipped.headers["location"] == "/app/models/release?version=1"
        assert _champion(world) == "2"
        done = team.post("/app/models/release", data=fields, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/app/models?freigegeben=1"
        assert _champion(world) == "1"
        tags = _client(world).get_model_version(world.settings.model_name, "1").tags  # type: ignore[attr-defined]
        assert tags["promoted_by"] == world.staff_id(Role.DATA_TEAM)
        page = team.get(done.headers["location"]).text
        assert "Version 1 ist jetzt das Produktivmodell" in page and "Im Einsatz: <strong>Version 1</strong>" in page
        # The audit record names the person and the version.
        records = [json.loads(line) for line in world.settings.audit_log.read_text(encoding="utf-8").splitlines()]
        mine = [r for r in records if r["endpoint"] == "POST /app/models/release"]
        assert mine and mine[-1]["query_id"] == "1" and mine[-1]["user_id"] == world.staff_id(Role.DATA_TEAM)
        # Rollback: to the champion before (version 2), through the fairness part of the gate.
        assert promotion_history(world.settings.tracking_uri, world.settings.artifact_dir, world.settings.model_name)[
            -2:
        ] == ["2", "1"]
        assert "Zurück zum vorigen Produktivmodell (Version 2)" in page
        back = team.get("/app/models/rollback")
        assert "Wirklich zurück zu Version 2?" in back.text and "Gate: bestanden" in back.text, back.text
        rolled = team.post("/app/models/rollback", data=_form(back.text), follow_redirects=False)
        assert rolled.status_code == 303 and _champion(world) == "2"
        assert "Im Einsatz: <strong>Version 2</strong>" in team.get("/app/models").text
        assert any(
            json.loads(line)["endpoint"] == "POST /app/models/rollback"
            for line in world.settings.audit_log.read_text(encoding="utf-8").splitlines()
        )


def test_only_the_data_team_releases(app: object, home: World) -> None:
    worker = signed_in_client(app, home, Role.CASEWORKER)
    assert worker.get("/app/models/release?version=2").status_code == 403
    assert worker.get("/app/models/rollback").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', worker.get("/app/").text)
    assert token
    data = {"csrf_token": token.group(1), "version": "2", "confirmed": "ja"}
    assert worker.post("/app/models/release", data=data).status_code == 403
    assert worker.post("/app/models/rollback", data=data).status_code == 403
    team = signed_in_client(app, home, Role.DATA_TEAM)
    refused = team.post("/app/models/release", data={"version": "1", "confirmed": "ja"})  # no CSRF token
    assert refused.status_code == 403 and "Sicherheitsprüfung" in refused.text
    assert team.get("/app/models/release?version=99").status_code == 404
    nowhere = team.get("/app/models/rollback")  # version 1 is the only champion there was
    assert nowhere.status_code == 409 and "Keine Rückkehr möglich" in nowhere.text
    assert _champion(home) == "1"


def test_models_page_marks_the_gate_and_tables_every_plot_value(app: object, home: World) -> None:
    html = signed_in_client(app, home, Role.DATA_TEAM).get("/app/models?version=1").text
    fairness = html.split('id="fairness"')[1].split("</table>")[0]
    rows = fairness.split("<tbody>")[1].count("<tr>")
    assert rows >= 10 and fairness.count('class="verdict"') == rows
    assert "kleine Stichprobe" in fairness  # the test world's small groups
    assert "Anteil am Orakel (NDCG@10)" in html and "über dem Orakel" in html
    assert "localhost:5000" not in html and "mlflow ui" not in html
    # The plot's right panel (hire rates per age group) is in a table of its own, value by value.
    run_id = re.search(r"/app/models/runs/(\w+)/fairness\.png", html)
    assert run_id
    from matcher.ranking.model_registry import run_artifact

    s = home.settings
    raw = run_artifact(s.tracking_uri, s.artifact_dir, run_id.group(1), "history_by_age.csv")
    assert raw
    table = html.split('id="hire-rates"')[1].split("</table>")[0]
    for line in raw.decode().splitlines()[1:]:
        for value in line.split(",")[1:]:
            shown = value if value.isdigit() else f"{float(value):.3f}".replace(".", ",")
            assert f">{shown}<" in table, (value, table)
    assert "Einstellungsquoten je Altersgruppe; die Werte stehen in der Tabelle" in html


def test_fairness_rows_against_the_gate() -> None:
    def row(group: str, people: int, ratio: float, queries: int = 100) -> dict[str, str]:
        return {
            "attribute": "age_group",
            "group": group,
            "people": str(people),
            "exposure_ratio": str(ratio),
            "queries": str(queries),
        }

    assert gate_verdict(row("<25", 200, 0.81), 0.8, 50) == "bestanden"
    assert gate_verdict(row("<25", 200, 0.79), 0.8, 50) == "unter der Schwelle"
    assert gate_verdict(row("<25", 20, 0.5), 0.8, 50) == "nicht geprüft (weniger als 50 Personen)"
    assert gate_verdict(row("unknown", 500, 0.5), 0.8, 50) == "nicht geprüft (Angabe fehlt)"
    table = fairness_table([row("50+", 300, 0.7, queries=12), row("25-49", 300, 1.1)], 0.8, 50)
    first, second = table["rows"]
    assert (first["group"], first["verdict"], first["small"]) == (
        "50 und älter",
        "unter der Schwelle",
        "kleine Stichprobe (12 Abfragen)",
    )
    assert (second["verdict"], second["small"]) == ("bestanden", "")
    assert table["head"][:2] == ["Personen", "Sichtbarkeit Modell"]
