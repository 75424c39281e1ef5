"""Named errors of the core library; the CLI prints them as one line, the API maps them to 4xx."""

from __future__ import annotations


class MatcherError(Exception):
    """Base class of every error the engine raises on purpose."""


class UnknownCandidateError(MatcherError, KeyError):
    def __init__(self, candidate_id: str) -> None:
        super().__init__(f"unknown candidate: {candidate_id}")
        self.candidate_id = candidate_id

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownVacancyError(MatcherError, KeyError):
    def __init__(self, vacancy_id: str) -> None:
        super().__init__(f"unknown vacancy: {vacancy_id}")
        self.vacancy_id = vacancy_id

    def __str__(self) -> str:
        return str(self.args[0])


class IndexMissingError(MatcherError):
    """No index has been built yet, or its files are gone."""


class IndexCorruptError(MatcherError):
    """An index file exists but cannot be read or does not match its manifest."""


class IndexModelMismatchError(MatcherError):
    """The index was built by another encoder than the one configured."""


class InsufficientProfileError(MatcherError):
    """A profile is too thin to rank anything for it."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("insufficient profile, missing: " + ", ".join(missing))
        self.missing = missing


class ModelNotFoundError(MatcherError):
    """No registered re-ranker (or not the asked version/alias) in the MLflow registry."""


class ExportFormatError(MatcherError):
    """An export folder or file is missing or unreadable as a whole."""


class UnknownPlaceError(MatcherError, ValueError):
    """A municipality key (AGS) or postcode that the gazetteer does not know, or a postcode that
    does not belong to the municipality given with it.

    ``field`` is ``"ags"`` or ``"postcode"`` (the API prefixes where it sits in the request),
    ``rule`` the broken rule, one of the reasons in :mod:`matcher.records.geo`. The message names the
    field and the rule, never the value: it may come from a person's address.
    """

    def __init__(self, field: str, rule: str, explanation: str = "") -> None:
        super().__init__(f"{field}: {rule}" + (f" ({explanation})" if explanation else ""))
        self.field, self.rule, self.explanation = field, rule, explanation

    def __str__(self) -> str:
        return str(self.args[0])

    def at(self, *prefix: str) -> UnknownPlaceError:
        """The same error with its field located under ``prefix`` (e.g. ``body``, ``profile``)."""
        return UnknownPlaceError(".".join((*prefix, self.field)), self.rule, self.explanation)


class UnknownContactRequestError(MatcherError, KeyError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"unknown contact request: {request_id}")
        self.request_id = request_id

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownPseudonymError(MatcherError, KeyError):
    """A card pseudonym that names nobody on this vacancy's cards."""

    def __init__(self, vacancy_id: str, pseudonym: str) -> None:
        super().__init__(f"no job seeker with pseudonym {pseudonym} on the cards of vacancy {vacancy_id}")

    def __str__(self) -> str:
        return str(self.args[0])


class ContactRequestClosedError(MatcherError):
    """A contact request was already accepted or declined: it cannot be answered again."""


class SchemaOutdatedError(MatcherError):
    """The store's schema is older than this release's (or has no version yet): ``matcher db upgrade``."""


class SchemaUnknownError(MatcherError):
    """The store's schema is at a revision this release does not know (a newer release wrote it),
    or the database holds tables that are not a kl-matcher store of any release."""


class BackupError(MatcherError):
    """A backup cannot be written, or a backup file is torn, altered or not a backup at all."""
