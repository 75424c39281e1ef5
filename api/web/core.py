"""What every page of the web app shares: templates, the signed-in user, CSRF, headers, errors.

Pages are server-rendered (Jinja2 with autoescaping); htmx swaps parts of a page where it is
loaded, and every flow works without JavaScript too (plain links and forms, full pages). A request
that htmx sends (``HX-Request``) gets the part only (:func:`render` with ``partial``). Templates go
through Starlette's :class:`~fastapi.templating.Jinja2Templates` (``TEMPLATES``): the context every
page shares comes from its context processor (:func:`common_context`), static files are addressed
by the static mount's name (``url_for('app-static', path=...)``).

Security headers on every ``/app`` answer: a Content-Security-Policy without inline scripts or
styles and with ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``, ``nosniff``, no referrer, and
``Cache-Control: no-store`` (pages hold social data). Errors become German pages: unknown ids a
friendly 404, a page the role may not see 403, a missing model 503, and anything unexpected a
500 page without any detail (the log has it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, Template, pass_context, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import note_principal
from api.security import Permission, Principal, Role
from api.service import Service
from api.web.config import WebSettings
from api.web.identity import OidcSignIn
from api.web.sessions import COOKIE_PATH, CSRF_FIELD, SESSION_COOKIE, Sessions, WebSession
from matcher.ranking.strength import MEANING_DE
from matcher.records.labels_de import COMMUTE_MODE_DE

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
PREFIX = "/app"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

ROLE_LABELS_DE = {
    Role.CASEWORKER: "Integrationsfachkraft",
    Role.EMPLOYER_SERVICE: "Arbeitgeberservice",
    Role.DATA_TEAM: "Datenteam",
    Role.ADMIN: "Administration",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer under ``/app`` (static files included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(f"{PREFIX}/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
                headers += SECURITY_HEADERS
                headers.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


# --- templates -----------------------------------------------------------------------------------
class _PageTemplate(Template):
    """A template whose rendered page has every table in its own scroll box (:func:`scrolling_tables`)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        return scrolling_tables(super().render(*args, **kwargs))


@pass_context
def url_for(context: Any, name: str, /, **path_params: Any) -> str:
    """The path of a named route or mount (``url_for('app-static', path='app.css')``).

    The path alone, as every other link of the app is written (Starlette's own ``url_for`` gives
    the absolute URL with scheme and host)."""
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **path_params))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.template_class = _PageTemplate
    env.filters["de_number"] = de_number
    env.filters["de_date"] = de_date
    env.globals["strength_meaning"] = MEANING_DE  # what the match-strength words mean (ranking.strength)
    env.globals["commute_mode_de"] = COMMUTE_MODE_DE  # "mit dem Auto", as the reasons say it (labels_de)
    env.globals["url_for"] = url_for  # before Jinja2Templates, which keeps a url_for it finds
    return env


def de_number(value: float | int | None, digits: int = 1) -> str:
    """A number as German text (comma as decimal separator); "–" for None."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def de_date(value: Any) -> str:
    """An ISO date (or datetime string) as ``TT.MM.JJJJ``."""
    if value is None or value == "":
        return "–"
    text = str(value)[:10]
    year, month, day = text.split("-") if text.count("-") == 2 else ("", "", "")
    return f"{day}.{month}.{year}" if year else text


# --- the signed-in user --------------------------------------------------------------------------
class SignInRequired(Exception):
    """No live session: back to the sign-in page, keeping the page that was asked for."""

    def __init__(self, target: str) -> None:
        self.target = target


class PageForbidden(Exception):
    """The role may not see this page (the same rule as the API's 403)."""


class CsrfRefused(Exception):
    """A form that changes something came without the session's CSRF token."""


class PageNotFound(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


class FormInvalid(Exception):
    """A form's fields failed their checks; ``errors`` by field, in German, and what was typed."""

    def __init__(self, errors: dict[str, str], values: dict[str, Any]) -> None:
        self.errors, self.values = errors, values


@dataclass(frozen=True)
class Web:
    """The web app's parts, held in ``app.state.web``."""

    settings: WebSettings
    sessions: Sessions
    oidc: OidcSignIn | None = None  # the institution's provider, where one is configured


def web_parts(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def target_of(request: Request) -> str:
    """The path and query that was asked for, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_target(target: str | None) -> str:
    """Where to go after signing in: only a page of this app (no other host, no scheme).

    Raises:
        HTTPException: 400 for a target with control characters (CR and LF would split the
            ``Location`` header: the server dropped the connection after making the session).
    """
    if target and any(ord(c) < 32 or ord(c) == 127 for c in target):
        raise HTTPException(status_code=400, detail="next: control characters")
    if not target:
        return f"{PREFIX}/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(f"{PREFIX}/") or "\\" in target or "//" in target:
        return f"{PREFIX}/"
    return target


def login_url(target: str) -> str:
    return f"{PREFIX}/login?next={quote(target, safe='')}"


def current_session(request: Request) -> WebSession:
    """The live session of the request (else :class:`SignInRequired`)."""
    session = web_parts(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequired(target_of(request) if request.method == "GET" else f"{PREFIX}/")
    request.state.session = session
    note_principal(session.principal)  # the request log's pseudonymous user id
    return session


CurrentSession = Annotated[WebSession, Depends(current_session)]


class Allowed:
    """A dependency: the session's principal if it holds any of the permissions (else 403 page)."""

    def __init__(self, *permissions: Permission) -> None:
        self.permissions = permissions

    def __call__(self, request: Request, session: CurrentSession) -> Principal:
        if not any(session.principal.can(p) for p in self.permissions):
            raise PageForbidden()
        # A page about one job seeker carries the reason given for them in this session, if any.
        return session.principal_for(request.path_params.get("candidate_id"))


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form (first value per field) after the CSRF check (else :class:`CsrfRefused`)."""
    session = current_session(request)
    form = await request.form()
    token = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token")
    if not session.csrf_ok(token if isinstance(token, str) else None):
        raise CsrfRefused()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def checked_form_lists(request: Request) -> dict[str, list[str]]:
    """Like :func:`checked_form`, with every value of fields that repeat (checkbox groups)."""
    await checked_form(request)
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


Form = Annotated[dict[str, str], Depends(checked_form)]
FormLists = Annotated[dict[str, list[str]], Depends(checked_form_lists)]


# The navigation, in order: (the permission that shows it, path, label).
NAV: tuple[tuple[Permission, str, str], ...] = (
    (Permission.CANDIDATE_SHORTLIST, "/candidates", "Arbeitsuchende"),
    (Permission.CANDIDATE_SHORTLIST, "/match", "Profil ohne Registrierung"),
    (Permission.NEW_MATCHES, "/new-matches", "Neue Treffer"),
    (Permission.ANSWER_CONTACT, "/inbox", "Anfragen"),
    (Permission.VACANCY_SHORTLIST, "/vacancies", "Stellen"),
    (Permission.VACANCY_SHORTLIST, "/vacancy-draft", "Stelle vorab prüfen"),
    (Permission.REQUEST_CONTACT, "/requests", "Meine Anfragen"),
    (Permission.MODEL, "/models", "Modelle"),
    (Permission.MODEL, "/zugriffe", "Begründete Zugriffe"),
    (Permission.READ_MEASURES, "/measures", "Maßnahmen"),
    (Permission.SHORTAGES, "/shortages", "Engpässe"),
)


def nav_for(principal: Principal) -> list[tuple[str, str]]:
    """The navigation a role gets: (path, label), by the same permissions as the API."""
    return [(f"{PREFIX}/", "Start")] + [(PREFIX + path, label) for need, path, label in NAV if principal.can(need)]


def common_context(request: Request) -> dict[str, Any]:
    """What every page's template gets (Jinja2Templates' context processor): the signed-in user,
    the navigation for the role, the CSRF token and the model version."""
    session: WebSession | None = getattr(request.state, "session", None)
    service = getattr(request.app.state, "service", None)
    model = service.model if service is not None else None
    return {
        "request_path": request.url.path,
        "session": session,
        "principal": session.principal if session else None,
        "role_label": ROLE_LABELS_DE.get(session.principal.role) if session else None,
        "nav": nav_for(session.principal) if session else [],
        "csrf_field": CSRF_FIELD,
        "csrf": session.csrf if session else "",
        "model_version": model.version if model else None,
        "prefix": PREFIX,
        "idle_seconds": int(web_parts(request).sessions.idle_seconds) if session else None,
    }


TEMPLATES = Jinja2Templates(env=_environment(), context_processors=[common_context])


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    partial: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page (or, for an htmx request with ``partial``, that part only) as a ``TemplateResponse``.

    Besides choosing the part, this adds the one thing a context processor cannot: the session's
    message (:func:`flash`), shown once, unless the page brings its own ``notice`` (a processor's
    keys would override the page's own)."""
    name = partial if partial and request.headers.get("hx-request") == "true" else template
    if "notice" not in context:
        kind, context["notice"] = _take_flash(request) or ("success", None)
        context.setdefault("notice_kind", kind)
    context.setdefault("notice_kind", "success")
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def _take_flash(request: Request) -> tuple[str, str] | None:
    """The session's message for this page, once (never text from the URL)."""
    session: WebSession | None = getattr(request.state, "session", None)
    if session is None or session.flash is None:
        return None
    web_parts(request).sessions.take_flash(request.cookies.get(SESSION_COOKIE), session)
    request.state.session = replace(session, flash=None)
    return session.flash


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SCROLL_OPEN = re.compile(r'<div class="scroll"[^>]*>\s*$')


def scrolling_tables(html: str) -> str:
    """Every table inside its own scroll box (WCAG 1.4.10 Reflow): at 320-390 px a wide table
    scrolls sideways inside the box, not the page. The box can take the focus (keyboard users
    scroll it) and is named by the table's caption. Tables a template wrapped already are left."""
    if "<table" not in html:
        return html
    out: list[str] = []
    last = 0
    for match in _TABLE.finditer(html):
        before = html[last : match.start()]
        out.append(before)
        if _SCROLL_OPEN.search(html[max(0, match.start() - 300) : match.start()]):
            out.append(match.group(0))
        else:
            caption = _CAPTION.search(match.group(0))
            name = " ".join(_TAG.sub(" ", caption.group(1)).split()) if caption else "Tabelle"
            label = (name[:120] + " (seitlich scrollbar)").replace('"', "&quot;")
            out.append(f'<div class="scroll" tabindex="0" role="region" aria-label="{label}">{match.group(0)}</div>')
        last = match.end()
    out.append(html[last:])
    return "".join(out)


def flash(request: Request, text: str, kind: str = "success") -> None:
    """A message for the next page this session sees, once (instead of ``?notice=`` in the URL)."""
    web_parts(request).sessions.set_flash(request.cookies.get(SESSION_COOKIE), text, kind)


def redirect(path: str) -> RedirectResponse:
    """After a form post: see the result page (303, so a reload does not post again)."""
    return RedirectResponse(path, status_code=303)


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status_code, title=title, message=message)


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict")


def set_cookie(response: Response, name: str, value: str, web: Web, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=web.settings.secure_cookies,
    )
