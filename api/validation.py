"""Checks of request bodies that need the service's reference data: places against the gazetteer.

The rule is :func:`matcher.records.geo.check_place`, the same one ingestion applies: a municipality key
(AGS) and a postcode must be known to the gazetteer, and the postcode must be one of the
municipality's. It runs in two ways, both answering 422 that names the field and the rule and
never the value:

* inside the request schemas (:data:`KnownAgs`, :data:`KnownPostcode` in ``CandidateUpsert``,
  ``VacancyUpsert`` and the ad-hoc profile), while FastAPI validates the body. The gazetteer is
  that of the serving app's reference data, which :func:`api.deps.get_service` makes current for
  the request (:func:`use_reference`); outside a request it is the default reference data's.
* explicitly from a handler, :func:`check_places` (raises ``UnknownPlaceError``, which
  ``api.errors`` answers with 422).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Protocol
from weakref import WeakKeyDictionary

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from matcher.errors import UnknownPlaceError
from matcher.records.geo import Gazetteer, check_place
from matcher.records.models import Ags, Postcode
from matcher.records.reference import ReferenceData

if TYPE_CHECKING:
    from api.service import Service

PLACE_ERROR_TYPE = "unknown_place"

_current_reference: ContextVar[ReferenceData | None] = ContextVar("matcher_reference", default=None)
_gazetteers: WeakKeyDictionary[ReferenceData, Gazetteer] = WeakKeyDictionary()


class _Place(Protocol):
    @property
    def ags(self) -> str: ...

    @property
    def postcode(self) -> str: ...


def gazetteer_of(reference: ReferenceData) -> Gazetteer:
    """The gazetteer over ``reference``, built once per reference data object."""
    gazetteer = _gazetteers.get(reference)
    if gazetteer is None:
        gazetteer = _gazetteers[reference] = Gazetteer(reference)
    return gazetteer


@lru_cache(maxsize=1)
def _default_reference() -> ReferenceData:
    return ReferenceData()


def use_reference(reference: ReferenceData) -> None:
    """Make ``reference`` the one the request schemas check places against (for this request).

    Call it from an ``async`` dependency: it sets a context variable, which the body validation
    in the same request task then sees (a sync dependency runs in a worker thread, whose context
    does not come back).
    """
    _current_reference.set(reference)


def current_gazetteer() -> Gazetteer:
    """The gazetteer of the request being validated, else of the default reference data."""
    return gazetteer_of(_current_reference.get() or _default_reference())


def check_places(service: Service, body: _Place, *where: str) -> None:
    """Check a body's ``ags`` and ``postcode`` against the service's gazetteer.

    ``where`` locates the body in the request for the message, e.g. ``check_places(service, body)``
    names ``body.ags``, ``check_places(service, body.profile, "profile")`` names
    ``body.profile.ags``.

    Raises:
        UnknownPlaceError: answered with 422 by :mod:`api.errors`.
    """
    try:
        check_place(gazetteer_of(service.reference), body.ags, body.postcode)
    except UnknownPlaceError as exc:
        raise exc.at("body", *where) from None


def _schema_error(exc: UnknownPlaceError) -> PydanticCustomError:
    # No "{...}" in the template: the message is fixed text (rule and explanation), no value.
    message = exc.rule + (f" ({exc.explanation})" if exc.explanation else "")
    return PydanticCustomError(PLACE_ERROR_TYPE, message.replace("{", "(").replace("}", ")"))


def _known_ags(ags: str) -> str:
    try:
        check_place(current_gazetteer(), ags, None)
    except UnknownPlaceError as exc:
        raise _schema_error(exc) from None
    return ags


def _known_postcode(postcode: str, info: ValidationInfo) -> str:
    # ``ags`` is declared before ``postcode`` in every record, so it is validated already; it
    # is missing from ``info.data`` when it failed its own check (then only the postcode counts).
    ags = info.data.get("ags") if info.data else None
    try:
        check_place(current_gazetteer(), ags if isinstance(ags, str) else None, postcode)
    except UnknownPlaceError as exc:
        raise _schema_error(exc) from None
    return postcode


KnownAgs = Annotated[Ags, AfterValidator(_known_ags)]
"""An AGS of the region (8 digits first, then known to the gazetteer)."""
KnownPostcode = Annotated[Postcode, AfterValidator(_known_postcode)]
"""A postcode of the region, and of the municipality given in ``ags`` (5 digits first)."""


SKILL_ERROR_TYPE = "unknown_skill"


def _known_skill(skill: str) -> str:
    # Only ids of the ESCO skills the reference data knows: any other string would reach the
    # employer service's cards verbatim (a name and a telephone number were, in a test).
    reference = _current_reference.get() or _default_reference()
    if skill not in reference.skill_labels:
        raise PydanticCustomError(SKILL_ERROR_TYPE, "not a known ESCO skill id (the UUID of an ESCO v1.2 skill)")
    return skill


KnownSkill = Annotated[str, AfterValidator(_known_skill)]
"""The id of a known ESCO skill (the UUID part of its URI, lower case, as ingestion stores it)."""
