"""Who may see a page: the session cookie, the role, the CSRF token of every form, the headers.

Every route of the application is declared through `page(...)`; `create_app` refuses to build with a
route that is not, so a new page cannot be left open by mistake. Anonymous GETs are sent to the login
page, anonymous POSTs refused; a role that is not allowed gets 403; a POST whose `csrf` field is not
the session's token gets 403 before the page runs.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.context import PortalContext
from portal.sessions import Session

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Response]]
MAX_FORM_FIELDS = 64
MAX_FORM_BYTES = 64 * 1024


def session_cookie(secure: bool) -> str:
    # __Host-: the browser keeps it only if Secure, Path=/ and no Domain (no subdomain can plant it)
    return "__Host-thdmon_portal" if secure else "thdmon_portal"


def login_cookie(secure: bool) -> str:
    return "__Host-thdmon_login" if secure else "thdmon_login"


def set_cookie(response: Response, name: str, value: str, secure: bool, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="strict")


def ctx_of(request: Request) -> PortalContext:
    return request.app.state.ctx


def page(*roles: str, public: bool = False) -> Callable[[Handler], Handler]:
    """Declare a page: the roles that may open it (none for public pages such as the login)."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            ctx = ctx_of(request)
            form: FormData | None = None
            if request.method == "POST":
                # Forms are small; the urlencoded parser would read any body into memory, so bound it first.
                length = request.headers.get("content-length", "")
                if not length.isdigit() or int(length) > MAX_FORM_BYTES:
                    return PlainTextResponse("formulaire trop grand ou de taille inconnue", status_code=413)
                form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
            if public:
                return await fn(request, form) if form is not None else await fn(request)
            token = request.cookies.get(session_cookie(ctx.secure_cookies))
            session = await run_in_threadpool(ctx.sessions.lookup, token)
            if session is None:
                if request.method == "GET":
                    return RedirectResponse(f"/connexion?suite={quote(request.url.path, safe='/')}", 303)
                return forbidden(request, "Session absente ou expirée : reconnectez-vous.")
            request.state.session = session
            if roles and session.role not in roles:
                log.info("event=portal_forbidden account=%s role=%s path=%s", session.account, session.role,
                         request.url.path)
                return forbidden(request, "Votre rôle ne donne pas accès à cette page.")
            if form is not None and not csrf_ok(session, form):
                log.info("event=portal_csrf_refused account=%s path=%s", session.account, request.url.path)
                return forbidden(request, "Jeton de formulaire (CSRF) absent ou invalide : rechargez la page.")
            return await fn(request, form) if form is not None else await fn(request)

        endpoint.portal_access = (roles, public)  # type: ignore[attr-defined]
        return endpoint

    return wrap


def csrf_ok(session: Session, form: FormData) -> bool:
    sent = form.get("csrf")
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def forbidden(request: Request, message: str) -> Response:
    from portal.templating import render

    return render(request, "error.html", {"title": "Accès refusé", "message": message}, status=403)


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # pages and exports hold personal data: no copy in a cache
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the headers above to every response (and HSTS when cookies are Secure, i.e. behind TLS)."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        hsts_header = (b"strict-transport-security", b"max-age=31536000")
        self.headers = (*SECURITY_HEADERS, hsts_header) if hsts else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                present = {h[0].lower() for h in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def describe(value: Any) -> str:
    """A value for a key=value log line: no spaces, no newlines, bounded."""
    return str(value).replace(" ", "_").replace("\n", "_")[:64]
