"""The Starlette application: the routes of every area, static files, security headers.

`create_app` refuses a route not declared through `portal.security.page` (so none is open by
accident). Static files (the style sheet) are the only thing served without a session.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from portal.context import PortalContext
from portal.errors import PortalError
from portal.security import SecurityHeaders
from portal.views import admin, auth, health, opendata, search

STATIC = Path(__file__).resolve().parent / "static"
PAGES: tuple[Route, ...] = (*auth.ROUTES, *search.ROUTES, *admin.ROUTES, *health.ROUTES, *opendata.ROUTES)


def check_declared(pages: tuple[Route, ...]) -> None:
    for route in pages:
        if not hasattr(route.endpoint, "portal_access"):
            raise PortalError(f"route {route.path} is not declared with portal.security.page")


def create_app(ctx: PortalContext) -> Starlette:
    check_declared(PAGES)
    routes: list[BaseRoute] = [*PAGES, Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders, hsts=ctx.secure_cookies)])
    app.state.ctx = ctx
    return app
