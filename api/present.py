"""The presenter: a shortlist as the API answer and the web pages' model, for one audience.

Pure: it reads the shortlist (which carries its query record, direction, k and whether it was
explained) and the audience (:class:`matcher.ranking.audience.Audience`, built once per request from the
signed-in person by :func:`audience_of`), and writes nothing. Auditing is a separate call
(:meth:`api.service.Service.audit_shortlist`), made before the answer is presented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, cast

from api.security import Permission, Principal
from api.service import Service
from api.views import shortlist_items
from matcher.ranking.audience import Audience
from matcher.ranking.shortlist import Shortlist
from matcher.records.models import Candidate, Vacancy
from matcher.records.reference import ReferenceData


def audience_of(who: Principal, service: Service) -> Audience:
    """Exact figures for roles that may read the full candidate record; else the employer
    service's cards, which name people by their pseudonym on the vacancy."""
    if who.can(Permission.READ_CANDIDATES):
        return Audience.exact()
    return Audience.card(service.pseudonym)


def pair_records(result: Shortlist, item_id: str) -> tuple[Candidate, Vacancy]:
    """(candidate, vacancy) of one returned item, from the query record and the item's record."""
    other = result.records[item_id]
    if result.direction == "vacancies_for_candidate":
        return cast(Candidate, result.query), cast(Vacancy, other)
    return cast(Candidate, other), cast(Vacancy, result.query)


def present_shortlist(
    result: Shortlist, audience: Audience, reference: ReferenceData, request_id: str, warnings: Sequence[str] = ()
) -> dict[str, Any]:
    """The body of a shortlist answer (``ShortlistResponse``): the items as ``audience`` may read
    them (the engine measured their geography for it), the employer service's people under their
    card pseudonyms;
    ``warnings``: the request's own, before the engine's."""
    pairs = [pair_records(result, item.id) for item in result.items]
    items = shortlist_items(result.items, pairs, result.explained, audience, reference)
    if result.direction == "candidates_for_vacancy" and not audience.is_exact:
        for item in items:  # the customer number stays on the server (and in the audit log)
            item["id"] = audience.pseudonyms(result.query_id, item["id"])
    return {
        "request_id": request_id,
        "direction": result.direction,
        "query_id": result.query_id,
        "k": result.k,
        "items": items,
        "excluded": result.excluded,
        "considered": result.considered,
        "eligible": result.eligible,
        "model": result.model.to_json(),
        "index": asdict(result.index),
        "warnings": [*warnings, *result.warnings],
    }
