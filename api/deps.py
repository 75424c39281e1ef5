"""Dependencies of the handlers: the service, the caller and what the caller's role allows.

Handlers declare what they need with the ``Annotated`` aliases at the bottom, e.g.
``def handler(engine: ReadyEngine, who: CanShortlistVacancies)``; authentication (401) and the
role check (403) happen here, never in the handlers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from api.identity import AuthenticationError
from api.logs import note_principal
from api.security import ACCESS_REASON_HEADER, AccessReason, Permission, Principal
from api.service import Service
from api.validation import use_reference
from matcher.ranking.engine import Engine

# auto_error=False: a missing or non-bearer header is answered by us, as 401 with the header.
_bearer = HTTPBearer(
    auto_error=False, description="a personal token (`matcher users add`) or the identity provider's access token"
)


async def get_service(request: Request) -> Service:
    """The app's service; also makes its reference data the one request bodies are checked against.

    ``async`` on purpose: it runs in the request's own task, so the context variable that
    :func:`api.validation.use_reference` sets is seen by the body validation that follows (the
    place checks of ``api.schemas``); a sync dependency would set it in a worker thread.
    """
    service: Service = request.app.state.service
    use_reference(service.reference)
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value (None if there is none),
    read as :class:`fastapi.security.HTTPBearer` reads it."""
    scheme, token = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and token) or scheme.lower() != "bearer":
        return None
    return token


def authenticate(service: Service, token: str | None) -> Principal:
    """The principal of a bearer token.

    Raises:
        HTTPException: 401 with ``WWW-Authenticate``, without a token or with one that is refused
            (the detail says why: unknown, expired, revoked, not yet valid, forged, ...).
    """
    if token is None:
        raise _unauthorized("missing bearer token (Authorization: Bearer <token>)")
    try:
        principal = service.authenticate(token)
    except AuthenticationError as exc:
        raise _unauthorized(str(exc), "invalid_token") from exc
    note_principal(principal)  # the request log's pseudonymous user id
    return principal


def access_reason(value: str | None) -> AccessReason | None:
    """The reason of an ``X-Access-Reason`` header (400 for one that is not on the list)."""
    if value is None or not value.strip():
        return None
    try:
        return AccessReason(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in AccessReason)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{ACCESS_REASON_HEADER} must be one of: {allowed}") from None


async def get_principal(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the bearer token (401 without one or with a refused one), with the reason
    of the ``X-Access-Reason`` header, if any.

    :class:`api.app.BearerAuth` has already answered 401 before the body was read; this check
    stays for the role checks that need the principal, and for an app built without it.
    ``async``: the middleware's check has just cached the principal, so this is a dictionary
    look-up, not worth a hop to the thread pool; a token whose check may fetch the identity
    provider's keys is still checked off the event loop, as in the middleware.
    """
    token = None if credentials is None else credentials.credentials
    if token is not None and service.may_fetch_keys(token):
        who = await run_in_threadpool(authenticate, service, token)
    else:
        who = authenticate(service, token)
    return who.with_reason(access_reason(request.headers.get(ACCESS_REASON_HEADER)))


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
AnyRole = CurrentPrincipal
"""Any authenticated caller, whatever the role (occupation coding, say)."""


class Requires:
    """A dependency that lets a caller through who holds any of the permissions (else 403)."""

    def __init__(self, *permissions: Permission) -> None:
        self.permissions = permissions

    async def __call__(self, principal: CurrentPrincipal) -> Principal:  # no I/O: no thread-pool hop
        if not any(principal.can(p) for p in self.permissions):
            needed = " or ".join(p.value for p in self.permissions)
            detail = f"role {principal.role.value} may not do this (needs {needed})"
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail)
        return principal


def _caught_up(engine: Engine | None) -> bool:
    """Whether the engine has applied every change-log entry (the cheap check of
    :meth:`matcher.ranking.engine.Engine.sync`: one indexed ``max`` of the log's key, no lock)."""
    return engine is not None and engine.store.last_change() <= engine.applied_seq


async def get_ready_engine(service: ServiceDep) -> Engine:
    """The engine when indexes and model are loaded (503 with the reason otherwise), synced.

    ``async``: the check for changes not yet applied runs on the event loop (one indexed query,
    ~0.1 ms); only when there is something to apply, or the engine is not ready, does
    :meth:`api.service.Service.ready_engine` (which applies them, or says what is missing) go to
    the thread pool. Before, every request paid a thread-pool hop for the check alone.
    """
    engine = service.engine
    if engine is not None and engine.model is not None and _caught_up(engine):
        return engine
    return await run_in_threadpool(service.ready_engine)


async def get_index_engine(service: ServiceDep) -> Engine:
    """The engine when the indexes are loaded (record writes need no model), synced; as
    :func:`get_ready_engine`, the thread pool only when there are changes to apply."""
    engine = service.engine
    if _caught_up(engine):
        assert engine is not None
        return engine
    return await run_in_threadpool(service.index_engine)


ReadyEngine = Annotated[Engine, Depends(get_ready_engine)]
IndexEngine = Annotated[Engine, Depends(get_index_engine)]

CanShortlistVacancies = Annotated[Principal, Depends(Requires(Permission.CANDIDATE_SHORTLIST))]
CanShortlistCandidates = Annotated[Principal, Depends(Requires(Permission.VACANCY_SHORTLIST))]
CanMatch = Annotated[Principal, Depends(Requires(Permission.MATCH))]
CanScore = Annotated[Principal, Depends(Requires(Permission.SCORE))]
CanReadCandidates = Annotated[Principal, Depends(Requires(Permission.READ_CANDIDATES))]
CanReadCards = Annotated[Principal, Depends(Requires(Permission.READ_CANDIDATE_CARDS))]
CanRequestContact = Annotated[Principal, Depends(Requires(Permission.REQUEST_CONTACT))]
CanAnswerContact = Annotated[Principal, Depends(Requires(Permission.ANSWER_CONTACT))]
CanReadContacts = Annotated[Principal, Depends(Requires(Permission.REQUEST_CONTACT, Permission.ANSWER_CONTACT))]
CanGiveFeedback = Annotated[Principal, Depends(Requires(Permission.FEEDBACK))]
CanReadVacancies = Annotated[Principal, Depends(Requires(Permission.READ_VACANCIES))]
CanWriteRecords = Annotated[Principal, Depends(Requires(Permission.WRITE_RECORDS))]
CanWriteOutcomes = Annotated[Principal, Depends(Requires(Permission.WRITE_OUTCOMES))]
CanReadOutcomes = Annotated[Principal, Depends(Requires(Permission.READ_OUTCOMES))]
CanManageModel = Annotated[Principal, Depends(Requires(Permission.MODEL))]
CanSeeOpportunities = Annotated[Principal, Depends(Requires(Permission.OPPORTUNITIES))]
CanReadMeasures = Annotated[Principal, Depends(Requires(Permission.READ_MEASURES))]
CanSeeShortages = Annotated[Principal, Depends(Requires(Permission.SHORTAGES))]
CanSeeNewMatches = Annotated[Principal, Depends(Requires(Permission.NEW_MATCHES))]
CanSeeVacancyNewMatches = Annotated[Principal, Depends(Requires(Permission.VACANCY_NEW_MATCHES))]
CanReadMetrics = Annotated[Principal, Depends(Requires(Permission.METRICS))]
