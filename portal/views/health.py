"""Health of the collection: is each NAS and source kind current, when was the last seal and purge."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connlog.freshness import status
from portal.security import ctx_of, page
from portal.templating import render

STALE_AFTER = 15 * 60  # seconds without a record before a source is called stalled
KINDS = {"radius": "RADIUS (sessions)", "nat": "NAT (pare-feu)", "dhcp": "DHCP (baux)"}


@page("auditor", "admin")
async def health_page(request: Request) -> Response:
    ctx = ctx_of(request)
    now = time.time()
    st = await run_in_threadpool(status, ctx.store, expected=ctx.expected_sources, now=now)
    rows = [(s, now - s.last_received <= STALE_AFTER) for s in st.sources if s.last_received is not None]
    silent = [s for s in st.sources if s.last_received is None]  # expected by the inventory, not heard at all
    seal_late = st.last_seal is None or now - st.last_seal > 36 * 3600
    return render(request, "health.html", {"status": st, "rows": rows, "silent": silent, "kinds": KINDS,
                                           "stale_minutes": STALE_AFTER // 60, "seal_late": seal_late,
                                           "stalled": sum(1 for _, ok in rows if not ok)})


ROUTES = [Route("/sante", health_page, methods=["GET"])]
