"""Whether a profile says enough to be ranked for: skills or a describing text."""

from __future__ import annotations

from matcher.errors import InsufficientProfileError
from matcher.records.models import Candidate, Vacancy

# Fewer words than this in a free text do not describe anything.
MIN_TEXT_WORDS = 5


def profile_gaps(record: Candidate | Vacancy) -> list[str]:
    """What a profile lacks to be ranked for: skills or a describing text (either will do)."""
    if isinstance(record, Candidate):
        skills, text = record.skills, record.profile_text
    else:
        skills, text = [*record.required_skills, *record.optional_skills], record.description
    if skills or len(text.split()) >= MIN_TEXT_WORDS:
        return []
    kind = "profile_text" if isinstance(record, Candidate) else "description"
    return ["skills", kind]


def require_profile(record: Candidate | Vacancy) -> None:
    """Refuse to rank for a profile that would only produce a made-up ranking."""
    missing = profile_gaps(record)
    if missing:
        raise InsufficientProfileError(missing)
