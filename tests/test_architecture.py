"""The layers hold: read every module's imports with ``ast`` and fail when a layer reaches upward.

matcher/   the core: imports none of data/, training/, api/
data/      ingestion and the demo world: imports matcher/ only
api/       the service: imports matcher/ (never training/ or data/)
training/  the composition root (pipelines, benchmarks, the `matcher` CLI): may import all

Inside the core, the ranking recipe (matcher/ranking/) and the records (matcher/records/) import no
service (matcher/services/), and the records import no part of the recipe.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("matcher", "data", "training", "api")
ALLOWED: dict[str, set[str]] = {
    "matcher": {"matcher"},
    "data": {"matcher", "data"},
    "api": {"matcher", "api"},
    "training": {"matcher", "data", "api", "training"},
}


def imported_layers(source: str) -> set[str]:
    """The project layers a module imports (absolute imports; relative ones stay in their package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


def violations(root: Path) -> list[str]:
    """``path: layer imports other`` for every import that reaches a layer it may not."""
    out = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            reached = imported_layers(path.read_text(encoding="utf-8")) - ALLOWED[layer]
            out += [f"{path.relative_to(root)}: {layer} imports {other}" for other in sorted(reached)]
    return out


def test_no_layer_reaches_upward() -> None:
    assert violations(ROOT) == []


def test_a_planted_upward_import_is_caught(tmp_path: Path) -> None:
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
    (tmp_path / "matcher" / "planted.py").write_text("def f():\n    from training.pipeline import run\n")
    (tmp_path / "api" / "planted.py").write_text("import training.cli\nfrom matcher.ranking.engine import Engine\n")
    (tmp_path / "data" / "planted.py").write_text("from api import app\nfrom . import sibling\n")
    assert violations(tmp_path) == [
        "matcher/planted.py: matcher imports training",
        "data/planted.py: data imports api",
        "api/planted.py: api imports training",
    ]


# Inside the core (matcher/): the ranking recipe and the records never reach the services around
# them; the services may use both. ``matcher.schema`` (the whole schema, for creation and
# migrations) and ``matcher.errors``/``matcher.settings`` sit at the top and serve every part.
CORE_PARTS = ("ranking", "records", "services")
CORE_ALLOWED: dict[str, set[str]] = {
    "ranking": {"ranking", "records"},
    "records": {"records"},
    "services": {"ranking", "records", "services"},
}


def imported_core_parts(source: str) -> set[str]:
    """The parts of ``matcher`` a module imports (``matcher.ranking.engine`` -> ``ranking``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("matcher.")} & set(CORE_PARTS)
    return found


def core_violations(root: Path) -> list[str]:
    out = []
    for part in CORE_PARTS:
        for path in sorted((root / "matcher" / part).rglob("*.py")):
            reached = imported_core_parts(path.read_text(encoding="utf-8")) - CORE_ALLOWED[part]
            out += [f"{path.relative_to(root)}: {part} imports {other}" for other in sorted(reached)]
    return out


def test_the_ranking_recipe_and_the_records_import_no_service() -> None:
    assert core_violations(ROOT) == []


def test_a_planted_service_import_is_caught(tmp_path: Path) -> None:
    for part in CORE_PARTS:
        (tmp_path / "matcher" / part).mkdir(parents=True)
    (tmp_path / "matcher" / "ranking" / "planted.py").write_text("from matcher.services.audit import AuditLog\n")
    (tmp_path / "matcher" / "records" / "planted.py").write_text("import matcher.ranking.engine\n")
    (tmp_path / "matcher" / "services" / "planted.py").write_text("from matcher.ranking import engine\n")
    assert core_violations(tmp_path) == [
        "matcher/ranking/planted.py: ranking imports services",
        "matcher/records/planted.py: records imports ranking",
    ]
