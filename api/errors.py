"""Named errors of the service and their central mapping to HTTP answers.

The core raises :class:`matcher.errors.MatcherError` subclasses; this module alone decides which
status each one gets, so handlers never catch and translate errors themselves:
unknown ids -> 404, answering a closed contact request or an outcome that contradicts the
recorded ones -> 409, an implausible outcome date, a profile too thin to rank or a
place the gazetteer does not know -> 422, a missing model, index or encoder -> 503, any other
engine error -> 400.

Validation errors are answered without echoing the input back (it may hold a job seeker's
profile text or address): each error is its location, message and type only, pydantic's
``input`` and ``ctx`` are dropped, a message that still quotes the input has it replaced, and a
location part that is not a plain field name (a key the caller made up) is masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from matcher.errors import (
    ContactRequestClosedError,
    IndexCorruptError,
    IndexMissingError,
    IndexModelMismatchError,
    InsufficientProfileError,
    MatcherError,
    ModelNotFoundError,
    UnknownCandidateError,
    UnknownContactRequestError,
    UnknownPlaceError,
    UnknownPseudonymError,
    UnknownVacancyError,
)
from matcher.ranking.encoder import EncoderNotBuiltError
from matcher.services.outcome_checks import ImplausibleOutcomeError


class NotReadyError(MatcherError):
    """The model or the indexes are not loaded, so nothing can be ranked yet."""


class ReloadFailedError(MatcherError):
    """A model reload failed; the model that served before keeps serving."""

    def __init__(self, message: str, serving: str | None) -> None:
        super().__init__(message)
        self.serving = serving


class AccessReasonRequiredError(MatcherError):
    """A caseworker reached a job seeker of another team without a stated reason (403)."""

    def __init__(self, team: str) -> None:
        super().__init__(
            f"this job seeker belongs to team {team!r}, not to yours: a reason is needed "
            "(header X-Access-Reason: vertretung, teamwechsel or rueckfrage); the access is audited"
        )
        self.team = team


# Ids that name nothing: 404.
UNKNOWN: tuple[type[MatcherError], ...] = (
    UnknownCandidateError,
    UnknownVacancyError,
    UnknownContactRequestError,
    UnknownPseudonymError,
)

# Missing or unusable parts of the service: the request was fine, the service cannot answer yet.
UNAVAILABLE: tuple[type[MatcherError], ...] = (
    NotReadyError,
    ModelNotFoundError,
    IndexMissingError,
    IndexCorruptError,
    IndexModelMismatchError,
    EncoderNotBuiltError,
)


def _json(status_code: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=status_code, content=body)


def matcher_error_response(exc: MatcherError) -> JSONResponse:
    """The HTTP answer for an engine error (see the module docstring for the mapping)."""
    if isinstance(exc, UNKNOWN):
        return _json(status.HTTP_404_NOT_FOUND, {"detail": str(exc)})
    if isinstance(exc, AccessReasonRequiredError):
        return _json(status.HTTP_403_FORBIDDEN, {"detail": str(exc), "reason_required": True})
    if isinstance(exc, ContactRequestClosedError):
        return _json(status.HTTP_409_CONFLICT, {"detail": str(exc)})
    if isinstance(exc, ImplausibleOutcomeError):
        # 409: contradicts the recorded outcomes; 422: the entry alone is wrong. German, no input.
        error = {"loc": ["body", exc.field], "msg": exc.message, "type": "implausible_outcome"}
        code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_422_UNPROCESSABLE_CONTENT
        return _json(code, {"detail": exc.message, "errors": [error]})
    if isinstance(exc, UnknownPlaceError):
        # The message names the field and the rule only (never the place given).
        loc = exc.field.split(".")
        error = {
            "loc": loc,
            "msg": exc.rule + (f" ({exc.explanation})" if exc.explanation else ""),
            "type": "unknown_place",
        }
        return _json(status.HTTP_422_UNPROCESSABLE_CONTENT, {"detail": f"invalid request: {exc}", "errors": [error]})
    if isinstance(exc, InsufficientProfileError):
        # Never a made-up ranking: say what the profile lacks instead.
        return _json(status.HTTP_422_UNPROCESSABLE_CONTENT, {"detail": "insufficient profile", "missing": exc.missing})
    if isinstance(exc, ReloadFailedError):
        # 409 while an older model still serves (nothing changed), 503 when none does.
        code = status.HTTP_409_CONFLICT if exc.serving else status.HTTP_503_SERVICE_UNAVAILABLE
        return _json(code, {"detail": str(exc), "serving": exc.serving})
    if isinstance(exc, UNAVAILABLE):
        return _json(status.HTTP_503_SERVICE_UNAVAILABLE, {"detail": str(exc)})
    return _json(status.HTTP_400_BAD_REQUEST, {"detail": str(exc)})


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MASKED_KEY = "<key>"
_MASKED_VALUE = "<value>"


def _loc_part(part: object) -> str:
    """A location part as text: field names and list positions as they are, made-up keys masked."""
    if isinstance(part, int) or (isinstance(part, str) and _FIELD_NAME.match(part)):
        return str(part)
    return _MASKED_KEY


def _scrub(message: str, value: object) -> str:
    """The message without the offending input, should a validator have quoted it."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= 4:  # shorter ones would match ordinary words of the message
            message = message.replace(repr(text), _MASKED_VALUE).replace(text, _MASKED_VALUE)
    return message


# An absolute path: "/" then at least one more segment; stops at blanks, quotes and parentheses.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"()/]+/)+[^\s'\"()]*")


def hide_paths(text: str) -> str:
    """The text with every absolute server path reduced to its last part (``.../name``).

    Paths tell a caller the server's layout and account names; only administrators see them
    (``/ready`` and a failed reload's 409 for the other roles).
    """
    return _ABSOLUTE_PATH.sub(lambda m: ".../" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def error_lines(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Location, message and type of each error; the offending input is left out on purpose."""
    lines = []
    for error in errors:
        loc = [_loc_part(part) for part in error.get("loc", ())]
        msg = _scrub(str(error.get("msg", "")), error.get("input"))
        lines.append({"loc": loc, "msg": msg, "type": str(error.get("type", ""))})
    return lines


def _summary(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors[:5])


def install_error_handlers(app: FastAPI) -> None:
    """Register the central exception handlers on ``app``."""

    async def on_matcher_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MatcherError)
        return matcher_error_response(exc)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = error_lines(exc.errors())
        return _json(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"detail": f"invalid request: {_summary(errors)}", "errors": errors}
        )

    async def on_record_error(_: Request, exc: Exception) -> JSONResponse:
        # A body that passed the request schema but not the canonical model (e.g. an unknown
        # licence class in an ad-hoc profile) is still the caller's mistake.
        assert isinstance(exc, ValidationError)
        errors = error_lines(exc.errors())
        return _json(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"detail": f"invalid record: {_summary(errors)}", "errors": errors}
        )

    app.add_exception_handler(MatcherError, on_matcher_error)
    app.add_exception_handler(ValidationError, on_record_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
