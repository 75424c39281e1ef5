"""Pages for everyone: sign-in, sign-out, the start page and the accessibility statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.actions import visible_requests
from api.identity import AuthenticationError, ProviderUnavailableError
from api.security import ACCESS_REASON_LABELS_DE, AccessReason, Permission, Principal
from api.web.core import (
    PREFIX,
    Allowed,
    CurrentSession,
    Form,
    clear_cookie,
    error_page,
    render,
    safe_target,
    service_of,
    set_cookie,
    target_of,
    web_parts,
)
from api.web.forms import Parsed
from api.web.identity import OIDC_COOKIE, TokenSignIn
from api.web.sessions import COOKIE_PATH, CSRF_FIELD, SESSION_COOKIE, SIGNIN_COOKIE
from api.web.stash import clear_stash, read_stash
from matcher.services.contacts import RequestStatus

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ReachesPeople = Annotated[Principal, Depends(Allowed(Permission.READ_CANDIDATES))]


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
        provider=web.oidc is not None,
        expired=request.query_params.get("expired") == "1",
        demo=service_of(request).settings.demo_tokens_file.exists(),
        form=Parsed(errors={"token": error}) if error else None,
    )
    set_cookie(response, SIGNIN_COOKIE, cookie, web, max_age=15 * 60)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _signin_page(request, safe_target(request.query_params.get("next")))


def _signed_in(request: Request, principal: Principal, via: str, target: str) -> Response:
    """Start the session (ending the browser's earlier one) and go on to ``target``."""
    web = web_parts(request)
    cookie, _ = web.sessions.start(principal, via, replaces=request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=303, headers={"location": target})
    set_cookie(response, SESSION_COOKIE, cookie, web)
    clear_cookie(response, SIGNIN_COOKIE)
    kept = read_stash(request, web.sessions.key)
    if kept is not None and kept.get("owner") == principal.user_id and not kept.get("fields"):
        web.sessions.set_flash(cookie, str(kept.get("note", "")), "problem")  # an action not saved
        clear_stash(response)
    elif kept is not None and kept.get("owner") != principal.user_id:  # another's typing is never shown
        clear_stash(response)
    # A kept form stays for its page, which restores it with its note (api.web.stash.restore).
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Sign in with a personal token: a new server-side session; wrong token: the form again (401)."""
    web = web_parts(request)
    form = await request.form()
    target = safe_target(str(form.get("next") or ""))
    token = form.get(CSRF_FIELD)
    if not web.sessions.signin_ok(request.cookies.get(SIGNIN_COOKIE), token if isinstance(token, str) else None):
        return _signin_page(
            request, target, "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen. Bitte erneut versuchen.", 403
        )
    credential = form.get("token")
    if not isinstance(credential, str) or not credential.strip():
        return _signin_page(request, target, f"{TokenSignIn(service_of(request)).label_de}: bitte eingeben.", 401)
    principal = TokenSignIn(service_of(request)).principal(credential)
    if principal is None:
        return _signin_page(
            request, target, "Der Zugangsschlüssel ist ungültig. Er ist unbekannt, abgelaufen oder gesperrt.", 401
        )
    return _signed_in(request, principal, "token", target)


def _provider_down(request: Request) -> HTMLResponse:
    return error_page(
        request,
        503,
        "Anmeldedienst nicht erreichbar",
        "Der zentrale Anmeldedienst (Single Sign-on) antwortet gerade nicht. Bitte versuchen Sie es in einigen "
        "Minuten erneut. Besteht die Störung fort, wenden Sie sich an die IT.",
    )


def _callback_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
def oidc_login(request: Request) -> Response:
    """Sign in at the institution's provider (authorization code flow with PKCE)."""
    web = web_parts(request)
    if web.oidc is None:
        return Response(status_code=303, headers={"location": f"{PREFIX}/login"})
    try:
        url, cookie = web.oidc.start(_callback_uri(request), safe_target(request.query_params.get("next")))
    except ProviderUnavailableError:
        return _provider_down(request)
    response = Response(status_code=303, headers={"location": url})
    response.set_cookie(
        OIDC_COOKIE,
        cookie,
        max_age=600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=web.settings.secure_cookies,
    )
    return response


@router.get("/login/callback", name="oidc_callback")
def oidc_callback(request: Request) -> Response:
    """Back from the provider: check state, exchange the code, check the ID token, sign in.

    The answer is a page that moves on by itself: a session cookie with ``SameSite=Strict`` is not
    sent on a redirect chain that a cross-site navigation (the provider's) started.
    """
    web = web_parts(request)
    params = request.query_params
    flow = web.oidc.flow(request.cookies.get(OIDC_COOKIE), params.get("state")) if web.oidc else None
    if web.oidc is None or flow is None or not params.get("code"):
        message = "Die Anmeldung konnte nicht abgeschlossen werden. Bitte melden Sie sich erneut an."
        return error_page(request, 400, "Anmeldung abgebrochen", message)
    try:
        principal = web.oidc.finish(flow, params["code"], _callback_uri(request))
    except ProviderUnavailableError:
        return _provider_down(request)
    except AuthenticationError:
        message = "Ihr Dienstkonto ist für diese Anwendung nicht freigegeben (keine passende Rolle)."
        return error_page(request, 403, "Anmeldung nicht möglich", message)
    cookie, _ = web.sessions.start(principal, "oidc", replaces=request.cookies.get(SESSION_COOKIE))
    response = render(request, "signed_in.html", title="Angemeldet", next=flow.next)
    set_cookie(response, SESSION_COOKIE, cookie, web)
    clear_cookie(response, OIDC_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, form: Form) -> Response:
    """Sign out: the session ends on the server (every worker), the cookie is cleared; a session
    from the provider also ends there (RP-initiated logout)."""
    web = web_parts(request)
    session = web.sessions.get(request.cookies.get(SESSION_COOKIE))
    web.sessions.end(request.cookies.get(SESSION_COOKIE))
    provider = None
    if session is not None and session.via == "oidc" and web.oidc is not None:
        provider = web.oidc.logout_url(str(request.url_for("login_form")))
    if provider is None:
        response: Response = Response(status_code=303, headers={"location": f"{PREFIX}/login"})
    else:  # a page that moves on: the CSP's form-action 'self' keeps a form's redirect on this site
        request.state.session = None  # signed out: the page shows no navigation
        response = render(request, "signed_out.html", title="Abgemeldet", provider_logout=provider)
    clear_cookie(response, SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: CurrentSession) -> HTMLResponse:
    open_requests = None
    if session.principal.can(Permission.ANSWER_CONTACT):
        service = service_of(request)
        _, where = visible_requests(service, session.principal)
        open_requests = service.contacts.count(RequestStatus.OPEN, where) if service.contacts else 0
    principal = session.principal
    places = sorted(service_of(request).reference.municipality_names.items(), key=lambda p: p[1])
    return render(
        request,
        "home.html",
        title="Start",
        open_requests=open_requests,
        find_people=principal.can(Permission.CANDIDATE_SHORTLIST),
        find_vacancies=principal.can(Permission.VACANCY_SHORTLIST),
        places=places,
    )


@router.get("/sitzung")
def keep_session(request: Request) -> Response:
    """ "Sitzung verlängern" (app.js): a request moves the session's idle clock; 204 while the
    session lives, 401 when it has ended (the script then goes to the sign-in page)."""
    session = web_parts(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    return Response(status_code=204 if session is not None else 401)


@router.get("/barrierefreiheit", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    """The accessibility statement (BITV 2.0 § 7): open to everyone, signed in or not."""
    session = web_parts(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        request.state.session = session
    return render(request, "accessibility.html")


# --- need-to-know: a reason before another team's job seeker ------------------------------------
def access_reason_page(request: Request, team: str) -> HTMLResponse:
    """Asked instead of a page about another team's job seeker: why (the answer is audited)."""
    candidate_id = request.path_params.get("candidate_id", "")
    if not candidate_id:
        return error_page(
            request, 403, "Kein Zugriff", "Diese Person wird von einem anderen Team betreut (§ 67c SGB X)."
        )
    return render(
        request,
        "access_reason.html",
        status_code=403,
        title="Begründung erforderlich",
        candidate_id=candidate_id,
        team=team,
        reasons=ACCESS_REASON_LABELS_DE,
        next=safe_target(target_of(request)) if request.method == "GET" else f"{PREFIX}/candidates/{candidate_id}",
    )


@router.post("/candidates/{candidate_id}/zugriff")
def give_access_reason(candidate_id: str, request: Request, who: ReachesPeople, form: Form) -> Response:
    """Record why this person reaches another team's job seeker (for this session), then go on."""
    try:
        reason = AccessReason(form.get("reason", ""))
    except ValueError:
        return render(
            request,
            "access_reason.html",
            status_code=422,
            title="Begründung erforderlich",
            candidate_id=candidate_id,
            team=service_of(request).team_of(candidate_id),
            reasons=ACCESS_REASON_LABELS_DE,
            next=safe_target(form.get("next")),
            error="Bitte einen Grund auswählen.",
        )
    service_of(request).team_of(candidate_id)  # UnknownCandidateError: the friendly 404
    web_parts(request).sessions.give_reason(request.cookies.get(SESSION_COOKIE), candidate_id, reason)
    return Response(status_code=303, headers={"location": safe_target(form.get("next"))})
