"""The embedded default's demo people: named staff for ``matcher demo``, the tests and benchmarks."""

from __future__ import annotations

import json

from api.security import demo_people_tokens
from api.settings import ServiceSettings
from matcher.records.store import Store
from matcher.services.staff import StaffDirectory, TeamRule


def team_rule(settings: ServiceSettings) -> TeamRule:
    return TeamRule(dict(settings.team_rule), settings.default_team)


def issue_demo_tokens(settings: ServiceSettings, store: Store | None = None) -> dict[str, str]:
    """New named demo people (:func:`api.security.demo_people_tokens`); the plain tokens of each
    role's first person by role, as written to ``demo_tokens.json``."""
    own = store is None
    store = store or Store(settings.store_url)
    try:
        return demo_people_tokens(StaffDirectory(store), team_rule(settings).teams, settings.demo_tokens_file)
    finally:
        if own:
            store.close()


def ensure_demo_people(settings: ServiceSettings, store: Store) -> bool:
    """The demo people, unless the tokens in ``demo_tokens.json`` still sign people in (then
    nothing changes: ``matcher demo`` may run again); whether new ones were made."""
    path = settings.demo_tokens_file
    if path.is_file():
        tokens = json.loads(path.read_text(encoding="utf-8"))
        directory = StaffDirectory(store)
        if tokens and all(directory.by_token(str(t)) is not None for t in tokens.values()):
            return False
    issue_demo_tokens(settings, store)
    return True
