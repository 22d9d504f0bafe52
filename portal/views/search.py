"""The requisition pages: the five searches of `thdmon logs search`, the signed export as one archive,
and how to verify it with the public key alone. Searches and exports go through connlog, which
journals each one (who, when, criteria with the reason, reference, result count)."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connlog import export as export_mod
from connlog import keys
from connlog.errors import ConnlogError
from connlog.search import search
from portal import forms
from portal.security import ctx_of, page
from portal.templating import render


def _form_page(request: Request, parsed: forms.SearchForm, status: int = 200, **extra: object) -> Response:
    return render(request, "search.html", {"kinds": forms.KINDS, "fields": forms.FIELDS, "labels": forms.LABELS,
                                           "required": forms.REQUIRED, "form": parsed, **extra}, status)


@page("auditor")
async def search_form(request: Request) -> Response:
    kind = request.query_params.get("type", "nat")
    return _form_page(request, forms.SearchForm(kind if kind in forms.KINDS else "nat", {}))


@page("auditor")
async def search_run(request: Request, form: FormData) -> Response:
    ctx = ctx_of(request)
    parsed = forms.parse(form)  # type: ignore[arg-type]
    if parsed.criteria is None:
        return _form_page(request, parsed, status=400)
    try:
        result = await run_in_threadpool(search, ctx.store, parsed.criteria, operator=request.state.session.account,
                                         requisition=parsed.requisition)
    except ConnlogError as exc:
        parsed.errors.append(str(exc))
        return _form_page(request, parsed, status=400)
    return render(request, "results.html", {"form": parsed, "result": result, "labels": forms.LABELS,
                                            "kinds": forms.KINDS})


def _archive_name(requisition: str) -> str:
    return "export-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", requisition).strip("._-")[:80] or "requisition")


def _export_zip(request: Request, parsed: forms.SearchForm) -> tuple[bytes, dict[str, object]]:
    ctx = ctx_of(request)
    name = _archive_name(parsed.requisition)
    assert parsed.criteria is not None
    # A private temporary directory (0700): the bundle holds personal data until it is zipped.
    with tempfile.TemporaryDirectory(prefix="thdmon-portal-export-") as tmp:
        folder = Path(tmp) / name
        manifest = export_mod.export(ctx.store, parsed.criteria, requisition=parsed.requisition, out_dir=folder,
                                     key=ctx.signing_key, operator=request.state.session.account)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, f"{name}/{file.name}")
    return buffer.getvalue(), manifest


@page("auditor")
async def export_download(request: Request, form: FormData) -> Response:
    parsed = forms.parse(form)  # type: ignore[arg-type]
    if parsed.criteria is None:
        return _form_page(request, parsed, status=400)
    try:
        body, _ = await run_in_threadpool(_export_zip, request, parsed)
    except ConnlogError as exc:
        parsed.errors.append(str(exc))
        return _form_page(request, parsed, status=400)
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{_archive_name(parsed.requisition)}.zip"'})


@page("auditor")
async def verification(request: Request) -> Response:
    public = ctx_of(request).signing_key.public_key()
    return render(request, "verification.html", {"fingerprint": keys.fingerprint(public)})


@page("auditor")
async def public_key(request: Request) -> Response:
    pem = keys.public_pem(ctx_of(request).signing_key.public_key())
    return Response(pem, media_type="application/x-pem-file",
                    headers={"Content-Disposition": 'attachment; filename="seal-public-key.pem"'})


ROUTES = [
    Route("/recherche", search_form, methods=["GET"]),
    Route("/recherche", search_run, methods=["POST"]),
    Route("/export", export_download, methods=["POST"]),
    Route("/export/verification", verification, methods=["GET"]),
    Route("/cle-publique.pem", public_key, methods=["GET"]),
]
