"""Every route of the portal is declared with its roles; the application refuses one that is not."""

from __future__ import annotations

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from portal.app import PAGES, check_declared
from portal.errors import PortalError


def test_every_page_declares_who_may_open_it():
    check_declared(PAGES)
    for route in PAGES:
        roles, public = route.endpoint.portal_access
        assert public or (bool(roles) and set(roles) <= {"auditor", "admin"}), route.path


def test_an_undeclared_route_is_refused():
    async def leak(request):  # a page someone forgot to declare
        return PlainTextResponse("secret")

    with pytest.raises(PortalError, match="/leak"):
        check_declared((*PAGES, Route("/leak", leak)))
