"""Jinja2 rendering with autoescaping everywhere (stored values come from Wi-Fi users) and the
filters every page uses: Europe/Paris with UTC beside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from portal import timefmt

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/recherche", "Recherche", ("auditor",)),
    ("/export/verification", "Vérifier un export", ("auditor",)),
    ("/donnees-ouvertes", "Données ouvertes", ("auditor", "admin")),
    ("/sante", "État de la collecte", ("auditor", "admin")),
    ("/journal", "Journal des accès", ("admin",)),
    ("/comptes", "Comptes", ("admin",)),
    ("/mot-de-passe", "Mon mot de passe", ("auditor", "admin")),
)

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
env.filters["paris"] = timefmt.paris
env.filters["utc"] = timefmt.utc


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    nav = [(href, label, href == request.url.path) for href, label, roles in NAV
           if session is not None and session.role in roles]
    body = env.get_template(name).render(session=session, csrf=session.csrf if session else "", nav=nav,
                                         **context)
    return HTMLResponse(body, status_code=status)
