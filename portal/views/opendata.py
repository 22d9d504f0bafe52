"""Open data page: sessions and distinct devices per park and hour, small cells suppressed (connlog.opendata)."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connlog import opendata
from connlog.errors import ConnlogError
from portal.security import ctx_of, page
from portal.templating import render
from portal.timefmt import BadTime, paris_day_start, parse_day


def _period(request: Request) -> tuple[str, str, list[str]]:
    today = dt.date.today()
    since = request.query_params.get("du", (today - dt.timedelta(days=7)).isoformat())[:10]
    until = request.query_params.get("au", today.isoformat())[:10]
    errors = []
    for text in (since, until):
        try:
            parse_day(text)
        except BadTime as exc:
            errors.append(str(exc))
    if not errors and parse_day(until) < parse_day(since):
        errors.append("La fin de la période doit suivre son début.")
    return since, until, errors


def _cells(request: Request, since: str, until: str) -> list[opendata.Cell]:
    ctx = ctx_of(request)
    return opendata.compute(ctx.store, paris_day_start(parse_day(since)), paris_day_start(parse_day(until)) + 86400,
                            sites=ctx.parks or None, threshold=ctx.opendata_threshold)


@page("auditor", "admin")
async def opendata_page(request: Request) -> Response:
    since, until, errors = _period(request)
    cells: list[opendata.Cell] = []
    if not errors:
        try:
            cells = await run_in_threadpool(_cells, request, since, until)
        except ConnlogError as exc:
            errors.append(str(exc))
    return render(request, "opendata.html", {"since": since, "until": until, "errors": errors, "cells": cells,
                                             "threshold": ctx_of(request).opendata_threshold},
                  status=400 if errors else 200)


@page("auditor", "admin")
async def opendata_csv(request: Request) -> Response:
    since, until, errors = _period(request)
    if errors:
        return Response("; ".join(errors), status_code=400, media_type="text/plain; charset=utf-8")
    cells = await run_in_threadpool(_cells, request, since, until)
    return Response(opendata.write_csv(cells), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="wifi-parcs-{since}-{until}.csv"'})


ROUTES = [Route("/donnees-ouvertes", opendata_page, methods=["GET"]),
          Route("/donnees-ouvertes.csv", opendata_csv, methods=["GET"])]
