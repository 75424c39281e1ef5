"""The web app under ``/app/``: German server-rendered pages for caseworkers, the employer service
and the data team, on the same service, engine, permissions and audit log as the API.

- :mod:`api.web.core`: templates, the signed-in user, CSRF, security headers, error pages;
- :mod:`api.web.sessions`: server-side sessions in the store (every worker sees them);
- :mod:`api.web.identity`: the seam for a real identity provider (OIDC);
- :mod:`api.web.common`, :mod:`api.web.caseworker`, :mod:`api.web.employer`,
  :mod:`api.web.data_team`: the pages by role.

Assets (our stylesheet, a small script, htmx 2.0.11 with its licence) are served from
``/app/static``: the intranet has no internet, so there is no CDN and no build step.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import UNAVAILABLE, UNKNOWN, AccessReasonRequiredError
from api.service import Service
from api.web import (
    caseworker,
    caseworker_cards,
    common,
    data_team,
    employer,
    new_matches,
    occupations,
    planning,
    vacancy_draft,
)
from api.web.common import access_reason_page
from api.web.config import WebSettings
from api.web.core import (
    HERE,
    PREFIX,
    CsrfRefused,
    PageForbidden,
    PageNotFound,
    SecurityHeaders,
    SignInRequired,
    Web,
    error_page,
    login_url,
    set_cookie,
)
from api.web.identity import OidcSignIn
from api.web.sessions import SESSION_COOKIE, Sessions
from api.web.stash import STASH_COOKIE, STASH_SECONDS, stash_posted_form
from matcher.errors import InsufficientProfileError, MatcherError
from matcher.services.keyfile import load_or_create_key

logger = logging.getLogger(__name__)


def start(service: Service) -> Web:
    """The web app's parts for a started service (sessions in the service's store)."""
    settings = WebSettings()
    sessions = Sessions.open(
        service.store.engine, str(service.settings.session_key), settings.idle_minutes, settings.max_hours
    )
    oidc = None if service.oidc is None else OidcSignIn(service.oidc, load_or_create_key(service.settings.session_key))
    return Web(settings, sessions, oidc)


def install(app: FastAPI) -> None:
    """Mount the pages, the assets, the security headers and the HTML error pages on ``app``
    (after :func:`api.errors.install_error_handlers`: the ``/app`` answers are pages, the rest
    stays JSON)."""
    app.add_middleware(SecurityHeaders)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="app-static")
    for module in (
        common,
        caseworker_cards,
        caseworker,
        employer,
        vacancy_draft,
        data_team,
        planning,
        new_matches,
        occupations,
    ):
        app.include_router(module.router)

    @app.get(PREFIX, include_in_schema=False)
    def entry_without_slash() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    for kind, page in _PAGES.items():
        app.add_exception_handler(kind, page)
    for kind in (MatcherError, RequestValidationError, StarletteHTTPException, Exception):
        _wrap(app, kind)


def _in_app(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(f"{PREFIX}/")


async def _sign_in(request: Request, exc: Exception) -> Response:
    """To the sign-in page; a form posted after the session ended is kept (:mod:`api.web.stash`)."""
    assert isinstance(exc, SignInRequired)
    web: Web = request.app.state.web
    cookie = request.cookies.get(SESSION_COOKIE)
    target, stash = exc.target, None
    if request.method == "POST":
        target, stash = await stash_posted_form(request, web.sessions.key, web.sessions.owner(cookie))
    url = login_url(target) + "&expired=1" if cookie else login_url(target)
    response: Response
    if request.headers.get("hx-request") == "true":  # htmx follows this header with a full page load
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if stash is not None:
        set_cookie(response, STASH_COOKIE, stash, web, max_age=STASH_SECONDS)
    return response


async def _forbidden(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, "Kein Zugriff", "Diese Seite ist für Ihre Rolle nicht freigegeben.")


async def _csrf(request: Request, exc: Exception) -> Response:
    return error_page(
        request,
        403,
        "Sicherheitsprüfung fehlgeschlagen",
        "Das Formular kam ohne gültiges Sicherheitsmerkmal an. "
        "Bitte laden Sie die Seite neu und versuchen Sie es erneut.",
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, 404, "Nicht gefunden", "Diese Seite oder dieser Eintrag existiert nicht (mehr).")


_PAGES: dict[type[Exception], Any] = {
    SignInRequired: _sign_in,
    PageForbidden: _forbidden,
    CsrfRefused: _csrf,
    PageNotFound: _not_found,
}


def _page_for(request: Request, exc: Exception) -> Response:
    """The German page for an error under /app (never a stack trace or a message of the engine's)."""
    if isinstance(exc, AccessReasonRequiredError):
        return access_reason_page(request, exc.team)
    if isinstance(exc, UNKNOWN):
        return error_page(
            request, 404, "Nicht gefunden", "Dieser Eintrag existiert nicht (mehr). Bitte prüfen Sie die Nummer."
        )
    if isinstance(exc, InsufficientProfileError):
        return error_page(
            request,
            422,
            "Profil reicht nicht aus",
            "Für dieses Profil gibt es keine verlässlichen Vorschläge: es fehlen "
            + ", ".join(exc.missing)
            + ". Bitte ergänzen Sie das Profil.",
        )
    if isinstance(exc, UNAVAILABLE):
        return error_page(
            request,
            503,
            "Vorschläge derzeit nicht möglich",
            "Modell oder Index sind noch nicht geladen. Bitte später erneut versuchen.",
        )
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return error_page(request, 404, "Nicht gefunden", "Diese Seite existiert nicht.")
        if exc.status_code == 405:
            return error_page(request, 405, "Nicht möglich", "Diese Aktion ist auf dieser Seite nicht möglich.")
        return error_page(
            request, exc.status_code, "Anfrage nicht möglich", "Die Anfrage konnte nicht bearbeitet werden."
        )
    if isinstance(exc, RequestValidationError | MatcherError):
        return error_page(request, 400, "Eingabe nicht verständlich", "Bitte prüfen Sie Ihre Eingaben.")
    logger.exception("error on a page of the web app", exc_info=exc)
    return error_page(request, 500, "Ein Fehler ist aufgetreten", "Bitte versuchen Sie es später erneut.")


def _wrap(app: FastAPI, kind: type[Exception]) -> None:
    """Pages under /app; the handler the API registered (or the default) everywhere else."""
    previous = app.exception_handlers.get(kind)

    async def handler(request: Request, exc: Exception) -> Response:
        if _in_app(request):
            return _page_for(request, exc)
        if previous is not None:
            result = previous(request, exc)
            return await result if inspect.isawaitable(result) else result
        if isinstance(exc, StarletteHTTPException):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(kind, handler)
