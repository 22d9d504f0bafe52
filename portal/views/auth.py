"""Login (local accounts, then the directory if configured), logout, own password change.

Failed logins are slowed: every failure waits `failure_delay` before answering, and past a few
failures per account or per address the throttle refuses attempts outright for a growing delay.
Every outcome is counted (thdmon_portal_logins_total) and every checked attempt is journaled in
connlog's sealed access journal (throttled ones only counted, so a flood cannot bloat the journal).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connlog import journal
from portal.accounts import check_password
from portal.errors import PortalError
from portal.security import client_address, ctx_of, describe, login_cookie, page, session_cookie, set_cookie
from portal.templating import render

log = logging.getLogger(__name__)


def _next(target: str | None, role: str) -> str:
    # Only a path of this site: never an absolute URL (open redirect) nor a protocol-relative one.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/recherche" if role == "auditor" else "/journal"


def _login_page(request: Request, *, error: str = "", status: int = 200, name: str = "") -> Response:
    ctx = ctx_of(request)
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"login_token": token, "error": error, "name": name,
                                              "suite": request.query_params.get("suite", "")}, status)
    set_cookie(response, login_cookie(ctx.secure_cookies), token, ctx.secure_cookies)
    return response


@page(public=True)
async def login_form(request: Request) -> Response:
    return _login_page(request)


@page(public=True)
async def login(request: Request, form: FormData) -> Response:
    ctx = ctx_of(request)
    name = str(form.get("name", "")).strip().lower()[:64]
    password = str(form.get("password", ""))[:1024]
    address = client_address(request)
    # Login CSRF: the token of the form must match the cookie set with it (double submit).
    cookie, sent = request.cookies.get(login_cookie(ctx.secure_cookies), ""), str(form.get("login_token", ""))
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        ctx.metrics.login("csrf")
        return _login_page(request, error="Le formulaire a expiré : veuillez réessayer.", status=403)
    keys = (f"account:{name}", f"address:{address}")
    wait = ctx.throttle.wait(keys)
    if wait > 0:
        ctx.metrics.login("throttled")
        log.warning("event=portal_login outcome=throttled account=%s client=%s wait=%.0f", describe(name), address,
                    wait)
        response = _login_page(request, status=429, name=name,
                               error=f"Trop de tentatives : réessayez dans {int(wait) + 1} secondes.")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    account, outcome = await run_in_threadpool(_authenticate, request, name, password)
    ctx.metrics.login(outcome)
    log.info("event=portal_login outcome=%s account=%s client=%s", outcome, describe(name), address)
    await run_in_threadpool(journal.write, ctx.store, action="login" if account else "login_failed",
                            criteria={"client": address, "outcome": outcome}, result_count=0,
                            operator=name or "(vide)")
    if account is None:
        ctx.throttle.failed(keys)
        await asyncio.sleep(ctx.failure_delay)
        return _login_page(request, error="Identifiant ou mot de passe incorrect.", status=401, name=name)
    ctx.throttle.succeeded(keys[0])
    token, _ = await run_in_threadpool(ctx.sessions.create, account.name, account.role)
    response = RedirectResponse(_next(str(form.get("suite", "")), account.role), 303)
    set_cookie(response, session_cookie(ctx.secure_cookies), token, ctx.secure_cookies)
    response.delete_cookie(login_cookie(ctx.secure_cookies), path="/")
    return response


def _authenticate(request: Request, name: str, password: str) -> tuple[object | None, str]:
    ctx = ctx_of(request)
    account, outcome = ctx.accounts.verify(name, password)
    if outcome != "unknown_account" or ctx.directory is None:
        return account, outcome
    try:
        role = ctx.directory.authenticate(name, password)
    except OSError as exc:
        log.warning("event=portal_directory_error error=%s", describe(exc))
        return None, "directory_error"
    if role is None:
        return None, "bad_password"
    known = ctx.accounts.get(name)
    if known is not None and known.disabled:
        return None, "disabled"
    return ctx.accounts.upsert_directory(name, role), "success"


@page("auditor", "admin")
async def logout(request: Request, form: FormData) -> Response:
    ctx = ctx_of(request)
    await run_in_threadpool(ctx.sessions.end, request.cookies.get(session_cookie(ctx.secure_cookies)))
    response = RedirectResponse("/connexion", 303)
    response.delete_cookie(session_cookie(ctx.secure_cookies), path="/")
    return response


@page("auditor", "admin")
async def password_form(request: Request) -> Response:
    return render(request, "password.html", {})


@page("auditor", "admin")
async def password_change(request: Request, form: FormData) -> Response:
    ctx = ctx_of(request)
    session = request.state.session
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    account, _ = await run_in_threadpool(ctx.accounts.verify, session.account, current)
    known = await run_in_threadpool(ctx.accounts.get, session.account)
    error = ""
    if known is not None and known.source == "ldap":
        error = "Votre compte vient de l'annuaire : changez votre mot de passe dans l'annuaire du Département."
    elif account is None:
        error = "Mot de passe actuel incorrect."
    elif new != again:
        error = "Les deux saisies du nouveau mot de passe diffèrent."
    else:
        try:
            check_password(new)
            await run_in_threadpool(ctx.accounts.set_password, session.account, new)
        except PortalError:
            error = "Le nouveau mot de passe doit compter au moins 12 caractères."
    if error:
        return render(request, "password.html", {"error": error}, status=400)
    response = RedirectResponse("/connexion", 303)  # the change ended every session, this one too
    response.delete_cookie(session_cookie(ctx.secure_cookies), path="/")
    return response


@page("auditor", "admin")
async def home(request: Request) -> Response:
    return RedirectResponse(_next(None, request.state.session.role), 303)


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/connexion", login_form, methods=["GET"]),
    Route("/connexion", login, methods=["POST"]),
    Route("/deconnexion", logout, methods=["POST"]),
    Route("/mot-de-passe", password_form, methods=["GET"]),
    Route("/mot-de-passe", password_change, methods=["POST"]),
]
