"""The web app runs on the shared use cases of :mod:`api.actions`, not on the API's route modules.

The shortlist (``api.routes.shortlists``) and nightly-matching (``api.routes.batch``) helpers are
the two left; they move out with the shortlist presenter (issue 27, point 1). A new import of a
route module from ``api/web`` fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "api" / "web"
STILL_ALLOWED = {"api.routes.shortlists", "api.routes.batch"}


def route_imports(source: str) -> set[str]:
    """The ``api.routes`` modules a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("api.routes"):
            found |= {node.module} if node.module != "api.routes" else {f"api.routes.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("api.routes")}
    return found


def test_pages_import_no_route_module_but_the_shortlists() -> None:
    used = {str(p.relative_to(WEB)): route_imports(p.read_text(encoding="utf-8")) for p in sorted(WEB.rglob("*.py"))}
    assert {name: found - STILL_ALLOWED for name, found in used.items() if found - STILL_ALLOWED} == {}


def test_a_route_import_is_found() -> None:
    source = "from api.routes.contacts import read_requests\nfrom api.routes import outcomes\nimport api.routes.model\n"
    assert route_imports(source) == {"api.routes.contacts", "api.routes.outcomes", "api.routes.model"}
