"""A form posted after the session ended is not lost: it is kept for the sign-in that follows.

When a POST arrives without a live session, :func:`stash_posted_form` keeps what was typed (not
the CSRF token) in a signed, compressed, short-lived cookie (``kl_stash``: ``HttpOnly``,
``SameSite=Strict``, path ``/app``, 30 minutes) together with the staff id of the ended session,
the page to return to and a message. After signing in again (the same person only), the message
becomes the session's flash ("Nicht gespeichert: …") and the form page fills itself from the
cookie once (:func:`restore`). Actions such as "passt nicht" are not replayed: the page says they
were not saved.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

STASH_COOKIE = "kl_stash"
STASH_SECONDS = 30 * 60
_COOKIE_MAX = 3800  # bytes: browsers keep cookies up to about 4 kB
_FORMS = {"/app/match": "Profil", "/app/vacancy-draft": "Entwurf der Stelle"}
_CARD_ACTION = re.compile(r"^/app/candidates/([^/]+)/(feedback|outcome)$")
_NOT_SAVED = "Nicht gespeichert: Ihre Sitzung war abgelaufen."


def _serializer(key: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt="kl-matcher-stash")


async def stash_posted_form(request: Request, key: bytes, owner: str | None) -> tuple[str, str | None]:
    """(where to go after signing in, the stash cookie's value or None) for a POST without session."""
    from api.web.sessions import CSRF_FIELD

    path = request.url.path
    form = await request.form()
    fields = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form if k != CSRF_FIELD}
    data: dict[str, Any] = {"owner": owner, "path": path}
    if path in _FORMS:
        target = path
        data["fields"] = fields
        data["note"] = f"{_NOT_SAVED} Ihr {_FORMS[path]} ist wiederhergestellt; bitte prüfen und erneut absenden."
    elif match := _CARD_ACTION.match(path):
        back = [(k, v) for k, v in parse_qsl((fields.get("back") or [""])[0]) if k != "notice"]
        target = f"/app/candidates/{match.group(1)}" + (f"?{urlencode(back)}" if back else "")
        what = "„passt nicht“" if match.group(2) == "feedback" else "das Ergebnis"
        vacancy = (fields.get("vacancy_id") or [""])[0][:64]
        data["note"] = f"{_NOT_SAVED} Bitte {what} für Stelle {vacancy} erneut eintragen."
    else:
        target = "/app/"
        data["note"] = f"{_NOT_SAVED} Bitte die letzte Eingabe wiederholen."
    value = _serializer(key).dumps(data)
    if len(value) > _COOKIE_MAX:  # too long to keep (a very long text): at least say so
        data.pop("fields", None)
        data["note"] = f"{_NOT_SAVED} Die Eingaben waren zu lang, um sie aufzubewahren."
        value = _serializer(key).dumps(data)
    return target, value


def read_stash(request: Request, key: bytes) -> dict[str, Any] | None:
    raw = request.cookies.get(STASH_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(key).loads(raw, max_age=STASH_SECONDS)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def restore(request: Request, key: bytes, path: str, owner: str) -> tuple[dict[str, list[str]], str] | None:
    """The fields kept for the form at ``path`` and the "Nicht gespeichert" note, when the person
    signed in now (``owner``) is the one who typed them; else None (the caller clears the cookie).

    The owner is checked here too, not only at the token sign-in: after a sign-in at the OpenID
    provider the stash cookie (``SameSite=Strict``) reaches the app only on the next page."""
    data = read_stash(request, key)
    if data is None or data.get("path") != path or not isinstance(data.get("fields"), dict):
        return None
    if data.get("owner") != owner:
        return None
    fields = {str(k): [str(v) for v in vs] for k, vs in data["fields"].items() if isinstance(vs, list)}
    return fields, str(data.get("note", ""))


def clear_stash(response: Response) -> None:
    from api.web.sessions import COOKIE_PATH

    response.delete_cookie(STASH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
