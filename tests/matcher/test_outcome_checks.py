"""The plausibility rules of recorded outcomes (:mod:`matcher.services.outcome_checks`), rule by rule."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.records.models import Outcome, Proposal
from matcher.services.outcome_checks import ImplausibleOutcomeError, check_dates, check_order, check_outcome
from tests.factories import make_vacancy

TODAY = date(2026, 12, 8)
VACANCY = make_vacancy(id="V1", posted_at=date(2026, 11, 1))


def entry(outcome: Outcome, day: date, id_: str | None = None, outcome_at: date | None = None) -> Proposal:
    return Proposal(
        id=id_ or f"p-{outcome.value}-{day.isoformat()}",
        candidate_id="LK-1",
        vacancy_id="V1",
        proposed_at=day,
        outcome=outcome,
        outcome_at=outcome_at,
    )


@pytest.mark.parametrize(
    ("proposed", "outcome_at", "field", "words"),
    [
        (date(2026, 12, 9), None, "proposed_at", "in der Zukunft"),
        (date(2030, 1, 1), None, "proposed_at", "in der Zukunft"),
        (date(2026, 11, 2), date(2026, 12, 24), "outcome_at", "in der Zukunft"),
        (date(2026, 10, 31), None, "proposed_at", "vor der Ausschreibung der Stelle am 01.11.2026"),
    ],
)
def test_dates_in_the_future_or_before_the_posting_are_refused(
    proposed: date, outcome_at: date | None, field: str, words: str
) -> None:
    with pytest.raises(ImplausibleOutcomeError) as raised:
        check_dates(entry(Outcome.APPLIED, proposed, outcome_at=outcome_at), VACANCY, TODAY)
    assert raised.value.field == field and words in raised.value.message and not raised.value.conflict


def test_before_2000_is_refused_even_for_an_old_vacancy() -> None:
    old = make_vacancy(id="V0", posted_at=date(1990, 1, 1))
    with pytest.raises(ImplausibleOutcomeError, match="vor dem 01.01.2000"):
        check_dates(entry(Outcome.APPLIED, date(1999, 1, 1)), old, TODAY)


def test_today_and_the_posting_day_are_allowed() -> None:
    check_dates(entry(Outcome.HIRED, TODAY), VACANCY, TODAY)
    check_dates(entry(Outcome.NO_REACTION, VACANCY.posted_at), VACANCY, TODAY)


def test_a_plausible_sequence_passes() -> None:
    stored: list[Proposal] = []
    for outcome, day in [
        (Outcome.NO_REACTION, date(2026, 11, 3)),
        (Outcome.APPLIED, date(2026, 11, 5)),
        (Outcome.INTERVIEW, date(2026, 11, 20)),
        (Outcome.HIRED, date(2026, 12, 1)),
    ]:
        new = entry(outcome, day)
        check_outcome(new, VACANCY, stored, TODAY)
        stored.append(new)
    check_order(entry(Outcome.APPLIED, date(2026, 11, 4)), stored[2:])  # a missing earlier stage, filled in later
    check_order(entry(Outcome.HIRED, date(2026, 12, 1)), stored)  # the same final result again


@pytest.mark.parametrize(
    ("new", "words"),
    [
        (entry(Outcome.REJECTED_BY_EMPLOYER, date(2026, 11, 10)), "bereits „eingestellt“ am 01.12.2026"),
        (entry(Outcome.DECLINED_BY_CANDIDATE, date(2026, 12, 5)), "bereits „eingestellt“"),
        (entry(Outcome.APPLIED, date(2026, 12, 3)), "Nach „eingestellt“ am 01.12.2026 kann kein weiterer Stand"),
        (entry(Outcome.NO_REACTION, date(2026, 12, 2)), "Nach „eingestellt“"),
    ],
)
def test_anything_that_contradicts_a_recorded_hire_is_refused(new: Proposal, words: str) -> None:
    hired = entry(Outcome.HIRED, date(2026, 12, 1))
    with pytest.raises(ImplausibleOutcomeError) as raised:
        check_order(new, [hired])
    assert raised.value.conflict and words in raised.value.message


def test_a_later_stage_dated_before_an_earlier_one_is_refused() -> None:
    interview = entry(Outcome.INTERVIEW, date(2026, 11, 20))
    with pytest.raises(ImplausibleOutcomeError, match="weiter fortgeschritten") as raised:
        check_order(entry(Outcome.HIRED, date(2026, 11, 10)), [interview])
    assert raised.value.field == "proposed_at"
    check_order(entry(Outcome.HIRED, date(2026, 11, 20)), [interview])  # the same day is fine


def test_a_replaced_entry_is_checked_without_its_old_version() -> None:
    hired = entry(Outcome.HIRED, date(2026, 12, 1), id_="p-1")
    check_order(entry(Outcome.REJECTED_BY_EMPLOYER, date(2026, 12, 1), id_="p-1"), [hired])  # a correction
    with pytest.raises(ImplausibleOutcomeError):
        check_order(entry(Outcome.REJECTED_BY_EMPLOYER, date(2026, 12, 1), id_="p-2"), [hired])
