from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from matcher.errors import UnknownCandidateError, UnknownVacancyError
from matcher.records.models import Outcome, Proposal, ProtectedAttributes
from matcher.records.store import Store
from tests.factories import make_candidate, make_vacancy


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store, once on SQLite and once on PostgreSQL (see ``store_url``)."""
    store = Store(store_url)
    yield store
    store.close()


def test_round_trip_and_upsert(store: Store) -> None:
    cand, vac = make_candidate(), make_vacancy(source_ids=["V-dup"])
    with store.transaction() as conn:
        store.upsert_candidates(conn, [cand])
        store.upsert_vacancies(conn, [vac])
    assert store.get_candidate(cand.id) == cand
    assert store.get_vacancy("V-dup") == vac  # merged duplicate ids resolve
    with store.transaction() as conn:
        store.upsert_candidates(conn, [make_candidate(level=3)])
    assert store.get_candidate(cand.id).level == 3
    assert store.count("candidates") == 1


def test_transaction_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.upsert_candidates(conn, [make_candidate()])
        raise RuntimeError("crash in the middle")
    assert store.count("candidates") == 0


def test_unknown_ids_raise_named_errors(store: Store) -> None:
    with pytest.raises(UnknownCandidateError, match="unknown candidate: nope"):
        store.get_candidate("nope")
    with pytest.raises(UnknownVacancyError):
        store.get_vacancy("nope")
    with pytest.raises(UnknownCandidateError):
        store.delete_candidate("nope")


def test_delete_candidate_removes_the_person_everywhere(store: Store) -> None:
    cand, vac = make_candidate(), make_vacancy()
    proposal = Proposal(
        id="P1", candidate_id=cand.id, vacancy_id=vac.id, proposed_at="2026-01-05", outcome=Outcome.HIRED
    )
    with store.transaction() as conn:
        store.upsert_candidates(conn, [cand])
        store.upsert_vacancies(conn, [vac])
        store.upsert_proposals(conn, [proposal])
        store.upsert_protected(conn, [ProtectedAttributes(candidate_id=cand.id, gender="f")])
    assert len(store.proposals()) == 1 and len(store.protected_attributes()) == 1
    store.delete_candidate(cand.id)
    assert store.count("candidates") == 0
    assert store.proposals().empty and store.protected_attributes().empty
    assert store.count("vacancies") == 1


def test_paging_and_status_filter(store: Store) -> None:
    vacancies = [make_vacancy(id=f"V-{i}", status="open" if i % 2 else "filled") for i in range(6)]
    with store.transaction() as conn:
        store.upsert_vacancies(conn, vacancies)
    assert [v.id for v in store.vacancies(limit=2, offset=1)] == ["V-1", "V-2"]
    assert [v.id for v in store.vacancies(status="open")] == ["V-1", "V-3", "V-5"]


def test_model_rejects_bad_codes() -> None:
    with pytest.raises(ValidationError, match="5 digits"):
        make_candidate(occupations=["5131"])
    with pytest.raises(ValidationError, match="licence"):
        make_candidate(licences=["X9"])
    with pytest.raises(ValidationError, match="8 digits"):
        make_vacancy(ags="0731200")
    with pytest.raises(ValidationError, match="pay_max"):
        make_vacancy(pay_min=3000, pay_max=2000)
    with pytest.raises(ValidationError, match="before the proposal"):
        Proposal(
            id="P", candidate_id="c", vacancy_id="v", proposed_at="2026-02-01", outcome="hired", outcome_at="2026-01-01"
        )


def test_relevance_grades() -> None:
    grades = {o: o.relevance for o in Outcome}
    assert grades[Outcome.HIRED] == 3 and grades[Outcome.INTERVIEW] == 2
    assert grades[Outcome.APPLIED] == 1 and grades[Outcome.REJECTED_BY_EMPLOYER] == 0


def test_a_later_merge_turns_a_stored_vacancy_into_an_alias(store: Store) -> None:
    with store.transaction() as conn:
        store.upsert_vacancies(conn, [make_vacancy(id="V-a"), make_vacancy(id="V-b")])
    with store.transaction() as conn:
        store.upsert_vacancies(conn, [make_vacancy(id="V-a", source_ids=["V-a", "V-b"])])
    assert store.count("vacancies") == 1
    assert store.get_vacancy("V-b").id == "V-a"


def test_keyset_walk_returns_every_row_once_in_id_order_across_page_borders(store: Store) -> None:
    ids = [f"S-{i:04d}" for i in range(0, 23, 2)]  # even numbers: room to insert between
    with store.transaction() as conn:
        store.upsert_candidates(conn, [make_candidate(id=i, source_id=i) for i in ids])
    assert [c.id for page in store.walk_candidates(page_size=5) for c in page] == ids
    assert [len(page) for page in store.walk_candidates(page_size=4)] == [4, 4, 4]  # an exact border

    seen: list[str] = []
    for n, page in enumerate(store.walk_candidates(page_size=5)):
        seen += [c.id for c in page]
        if n == 0:  # after the first page (cursor at S-0008): writes behind and ahead of it
            with store.transaction() as conn:
                store.upsert_candidates(conn, [make_candidate(id=i, source_id=i) for i in ("S-0003", "S-0013")])
            store.delete_candidate("S-0002")  # already returned: stays returned, once
            store.delete_candidate("S-0012")  # not yet returned: never returned
    expected = sorted({*ids, "S-0013"} - {"S-0012"})  # S-0003 is behind the cursor: next walk
    assert seen == expected
    assert len(seen) == len(set(seen))


def test_keyset_walk_of_vacancies_keeps_the_status_filter(store: Store) -> None:
    vacancies = [make_vacancy(id=f"V-{i:02d}", status="open" if i % 3 else "filled") for i in range(20)]
    with store.transaction() as conn:
        store.upsert_vacancies(conn, vacancies)
    pages = list(store.walk_vacancies(page_size=4, status="open"))
    assert [v.id for page in pages for v in page] == [v.id for v in vacancies if v.status == "open"]
    assert all(len(page) <= 4 for page in pages)
    assert [v.id for v in store.vacancies(limit=2, after="V-10")] == ["V-11", "V-12"]
    with pytest.raises(ValueError):
        list(store.walk_vacancies(page_size=0))
