"""Contact requests and feedback in the store: request, accept (a proposal), decline, erasure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matcher.errors import ContactRequestClosedError, UnknownContactRequestError
from matcher.records.store import Store
from matcher.services.contacts import ContactBook, RequestStatus
from tests.factories import make_candidate, make_vacancy


@pytest.fixture
def book(tmp_path: Path) -> ContactBook:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    with store.transaction() as conn:
        store.upsert_candidates(conn, [make_candidate(id="LK-1"), make_candidate(id="LK-2")])
        store.upsert_vacancies(conn, [make_vacancy(id="V1")])
    return ContactBook(store)


def test_request_then_accept_records_a_proposal(book: ContactBook) -> None:
    made, created = book.request("V1", "LK-1", "P-AAAAAAAAAA", "demo-employer_service")
    again, created_again = book.request("V1", "LK-1", "P-AAAAAAAAAA", "demo-employer_service")
    assert created and not created_again and again.id == made.id  # one open request per pair
    assert made.status is RequestStatus.OPEN and not made.identity_released
    accepted = book.accept(made.id, "demo-caseworker", date(2026, 12, 1))
    assert accepted.status is RequestStatus.ACCEPTED and accepted.identity_released
    proposals = book.store.proposals()
    assert list(proposals[["candidate_id", "vacancy_id", "outcome"]].itertuples(index=False, name=None)) == [
        ("LK-1", "V1", "no_reaction")
    ]
    with pytest.raises(ContactRequestClosedError):
        book.decline(made.id, "demo-caseworker", "sonstiges")
    with pytest.raises(ContactRequestClosedError):
        book.accept(made.id, "demo-caseworker", date(2026, 12, 1))


def test_decline_needs_a_known_reason(book: ContactBook) -> None:
    made, _ = book.request("V1", "LK-2", "P-BBBBBBBBBB", "demo-employer_service")
    with pytest.raises(ValueError, match="unknown decline reason"):
        book.decline(made.id, "demo-caseworker", "weil")
    declined = book.decline(made.id, "demo-caseworker", "nicht_verfuegbar")
    assert declined.status is RequestStatus.DECLINED and declined.decline_reason == "nicht_verfuegbar"
    assert not declined.identity_released and book.store.proposals().empty
    assert book.count(RequestStatus.DECLINED) == 1 and book.count(RequestStatus.OPEN) == 0
    with pytest.raises(UnknownContactRequestError):
        book.get("kr-none")


def test_feedback_is_stored_and_erased_with_the_person(book: ContactBook) -> None:
    with pytest.raises(ValueError):
        book.record_feedback("LK-1", "V1", "gefällt mir nicht", "demo-caseworker", "3")
    book.record_feedback("LK-1", "V1", "erreichbarkeit", "demo-caseworker", "3")
    book.request("V1", "LK-1", "P-AAAAAAAAAA", "demo-employer_service")
    assert book.feedback()[["candidate_id", "reason"]].values.tolist() == [["LK-1", "erreichbarkeit"]]
    book.store.delete_candidate("LK-1")
    assert book.feedback().empty and book.count() == 0


def test_an_open_request_can_be_withdrawn_once_and_then_asked_again(book: ContactBook) -> None:
    made, _ = book.request("V1", "LK-2", "P-BBBBBBBBBB", "demo-employer_service")
    withdrawn = book.withdraw(made.id, "demo-employer_service")
    assert withdrawn.status is RequestStatus.WITHDRAWN and not withdrawn.identity_released
    assert withdrawn.answered_by == "demo-employer_service" and withdrawn.answered_at
    for close in (
        lambda: book.withdraw(made.id, "demo-employer_service"),
        lambda: book.accept(made.id, "demo-caseworker", date(2026, 12, 1)),
        lambda: book.decline(made.id, "demo-caseworker", "sonstiges"),
    ):
        with pytest.raises(ContactRequestClosedError):
            close()
    again, created = book.request("V1", "LK-2", "P-BBBBBBBBBB", "demo-employer_service")
    assert created and again.id != made.id and book.store.proposals().empty
    with pytest.raises(UnknownContactRequestError):
        book.withdraw("kr-none", "demo-employer_service")
