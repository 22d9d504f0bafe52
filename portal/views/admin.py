"""Admin pages: accounts (create, disable, enable, reset a password) and the access journal,
filterable and exportable as CSV (semicolons, French headers, formula cells neutralised)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connlog import journal
from portal.accounts import ROLES
from portal.errors import PortalError
from portal.forms import LABELS
from portal.security import ctx_of, page
from portal.templating import render
from portal.timefmt import BadTime, paris, paris_day_start, parse_day, utc

ACTIONS = {"search": "recherche", "export": "export", "purge": "purge", "login": "connexion",
           "login_failed": "échec de connexion",
           "account_create": "création de compte", "account_disable": "désactivation de compte",
           "account_enable": "réactivation de compte", "account_password": "changement de mot de passe"}


PAGE_ROWS = 2000


@dataclass
class JournalFilter:
    since: str = ""
    until: str = ""
    operator: str = ""
    action: str = ""
    requisition: str = ""


def _filter(request: Request) -> tuple[JournalFilter, list[str]]:
    q = request.query_params
    f = JournalFilter(*(q.get(k, "").strip()[:200] for k in ("since", "until", "operator", "action", "requisition")))
    errors = []
    for name in ("since", "until"):
        if getattr(f, name):
            try:
                parse_day(getattr(f, name))
            except BadTime as exc:
                errors.append(str(exc))
    return f, errors


def _entries(request: Request, f: JournalFilter) -> list[journal.Entry]:
    # Days are Paris days (what people mean); the end day is included.
    since = paris_day_start(parse_day(f.since)) if f.since else None
    until = paris_day_start(parse_day(f.until)) + 86400 if f.until else None
    entries = journal.entries(ctx_of(request).store, since=since, until=until)
    return [e for e in entries if (not f.operator or f.operator.lower() in e.operator.lower())
            and (not f.action or e.action == f.action)
            and (not f.requisition or f.requisition.lower() in (e.requisition or "").lower())]


CRITERIA_LABELS = {**{name: label for name, (label, _, _) in LABELS.items()}, "reason": "Motif",
                   "tolerance": "Tolérance (s)", "client": "Adresse du client", "outcome": "Issue",
                   "account": "Compte"}
TIMES = ("at", "since", "until")


def readable(criteria: dict[str, object]) -> list[tuple[str, str]]:
    """Journal criteria as people read them: French names, instants in Paris time with UTC beside."""
    out = []
    for key, value in sorted(criteria.items()):
        if key in TIMES and isinstance(value, int | float):
            text = f"{paris(value)} (Paris), {utc(value)}"
        else:
            text = str(value)
        out.append((CRITERIA_LABELS.get(key, key), text))
    return out


@page("admin")
async def journal_page(request: Request) -> Response:
    f, errors = _filter(request)
    entries = [] if errors else await run_in_threadpool(_entries, request, f)
    newest = list(reversed(entries))[:PAGE_ROWS]  # the CSV has them all
    return render(request, "journal.html", {"filter": f, "errors": errors, "entries": newest, "total": len(entries),
                                            "actions": ACTIONS, "query": request.url.query,
                                            "readable": readable},
                  status=400 if errors else 200)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs cells starting with these: make them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@page("admin")
async def journal_csv(request: Request) -> Response:
    f, errors = _filter(request)
    if errors:
        return Response("; ".join(errors), status_code=400, media_type="text/plain; charset=utf-8")
    entries = await run_in_threadpool(_entries, request, f)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["numéro", "date (Europe/Paris)", "date (UTC)", "opérateur", "action", "réquisition",
                     "résultats", "critères"])
    for e in entries:
        writer.writerow([_cell(v) for v in (e.seq, paris(e.at), utc(e.at), e.operator, ACTIONS.get(e.action, e.action),
                                            e.requisition, e.result_count,
                                            " ; ".join(f"{k} : {v}" for k, v in readable(e.criteria)))])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="journal-des-acces.csv"'})


def _accounts_page(request: Request, *, error: str = "", notice: str = "", status: int = 200) -> Response:
    return render(request, "accounts.html", {"accounts": ctx_of(request).accounts.all(), "roles": ROLES,
                                             "error": error, "notice": notice}, status)


@page("admin")
async def accounts_page(request: Request) -> Response:
    return await run_in_threadpool(_accounts_page, request)


@page("admin")
async def accounts_action(request: Request, form: FormData) -> Response:
    ctx = ctx_of(request)
    action, name = str(form.get("action", "")), str(form.get("name", "")).strip().lower()
    try:
        if action == "create":
            password = str(form.get("password", ""))
            await run_in_threadpool(ctx.accounts.add, name, str(form.get("role", "")), password)
            notice = f"Compte {name} créé."
        elif action in ("disable", "enable"):
            if action == "disable" and name == request.state.session.account:
                raise PortalError("you cannot disable your own account")
            await run_in_threadpool(ctx.accounts.set_disabled, name, action == "disable")
            notice = f"Compte {name} {'désactivé' if action == 'disable' else 'réactivé'}."
        elif action == "password":
            await run_in_threadpool(ctx.accounts.set_password, name, str(form.get("password", "")))
            notice = f"Mot de passe de {name} changé ; ses sessions sont fermées."
        else:
            raise PortalError("unknown action")
    except PortalError as exc:
        return _accounts_page(request, error=_french(str(exc)), status=400)
    await run_in_threadpool(journal.write, ctx.store, action=f"account_{action}", criteria={"account": name},
                            result_count=0, operator=request.state.session.account)
    return _accounts_page(request, notice=notice)


def _french(message: str) -> str:
    """The accounts module speaks English to the CLI; the page says it in French."""
    for prefix, french in (("password too short", "Mot de passe trop court : au moins 12 caractères."),
                           ("account name", "Nom de compte invalide : 2 à 64 caractères a-z 0-9 . _ -."),
                           ("role", "Rôle inconnu."), ("no account", "Compte inconnu."),
                           ("you cannot disable", "Vous ne pouvez pas désactiver votre propre compte."),
                           ("unknown action", "Action inconnue.")):
        if message.startswith(prefix):
            return french
    if "already exists" in message:
        return "Ce compte existe déjà."
    if "comes from the directory" in message:
        return "Ce compte vient de l'annuaire (LDAP) : son mot de passe se change dans l'annuaire."
    return "Opération refusée."


ROUTES = [
    Route("/journal", journal_page, methods=["GET"]),
    Route("/journal.csv", journal_csv, methods=["GET"]),
    Route("/comptes", accounts_page, methods=["GET"]),
    Route("/comptes", accounts_action, methods=["POST"]),
]
