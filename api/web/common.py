"""Pages for everyone: sign-in, sign-out, the start page and the accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.security import Permission
from api.web.core import (
    PREFIX,
    CurrentSession,
    Form,
    clear_cookie,
    render,
    safe_target,
    service_of,
    set_cookie,
    web_parts,
)
from api.web.identity import TokenSignIn
from api.web.sessions import CSRF_FIELD, SESSION_COOKIE, SIGNIN_COOKIE
from matcher.contacts import RequestStatus

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _signin_page(request: Request, target: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    web = web_parts(request)
    cookie, token = web.sessions.signin_token()
    identity = TokenSignIn(service_of(request))
    response = render(
        request,
        "login.html",
        status_code=status_code,
        next=target,
        error=error,
        signin_csrf=token,
        credential_label=identity.label_de,
        expired=request.query_params.get("expired") == "1",
    )
    set_cookie(response, SIGNIN_COOKIE, cookie, web, max_age=15 * 60)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _signin_page(request, safe_target(request.query_params.get("next")))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Sign in with a role token: a new server-side session; wrong token: the form again (401)."""
    web = web_parts(request)
    form = await request.form()
    target = safe_target(str(form.get("next") or ""))
    token = form.get(CSRF_FIELD)
    if not web.sessions.signin_ok(request.cookies.get(SIGNIN_COOKIE), token if isinstance(token, str) else None):
        return _signin_page(
            request, target, "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen. Bitte erneut versuchen.", 403
        )
    credential = form.get("token")
    principal = TokenSignIn(service_of(request)).principal(credential if isinstance(credential, str) else "")
    if principal is None:
        return _signin_page(request, target, "Der Zugangsschlüssel ist ungültig.", 401)
    cookie, _ = web.sessions.start(principal)
    response = Response(status_code=303, headers={"location": target})
    set_cookie(response, SESSION_COOKIE, cookie, web)
    clear_cookie(response, SIGNIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, form: Form) -> Response:
    """Sign out: the session ends on the server (every worker), the cookie is cleared."""
    web_parts(request).sessions.end(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=303, headers={"location": f"{PREFIX}/login"})
    clear_cookie(response, SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: CurrentSession) -> HTMLResponse:
    open_requests = None
    if session.principal.can(Permission.ANSWER_CONTACT):
        contacts = service_of(request).contacts
        open_requests = contacts.count(RequestStatus.OPEN) if contacts else 0
    return render(request, "home.html", title="Start", open_requests=open_requests)


@router.get("/barrierefreiheit", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    """The accessibility statement (BITV 2.0 § 7): open to everyone, signed in or not."""
    session = web_parts(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        request.state.session = session
    return render(request, "accessibility.html")
