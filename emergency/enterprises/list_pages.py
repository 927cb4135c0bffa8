"""The lists page: upload a reduction-list workbook, see its dry run (what it would write, or every
error by sheet, row and column), then import it; download the blank template or export the current
lists. The workbook that passed the dry run waits on the server for the import (staging.py says
why). The upload is sent by htmx, which reports its progress to lists.js; without JavaScript the
same form posts and the whole page comes back."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from accounts.permissions import Action
from config.db import utcnow
from emergency.enterprises import export, service, staging
from emergency.web import i18n
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, context_of, settings_of, signed_in, transaction
from lists.export import write_template
from lists.importer import ImportResult
from lists.issues import Issue
from lists.workbook import SHEETS

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip; a renamed .xls, CSV or text file is not


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, imported: int | None = Query(None, ge=1, le=2**31 - 1),
               who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")):
    who.actor.require(Action.IMPORT_LISTS)
    summary = service.imported(session, who.actor, imported) if imported else None
    return staff(request, who, "enterprises/lists.html", {"summary": summary})


@router.post("/lists/dry-run", response_class=HTMLResponse)
async def dry_run(request: Request, who: SignedIn = Depends(signed_in),
                  session: Session = Depends(transaction, scope="function")):
    """Check the uploaded workbook and write nothing; a valid one is kept for the import."""
    who.actor.require(Action.IMPORT_LISTS)  # before a byte of the upload is stored
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _answer(request, who, problem="lists.problem.no_file")
    folder = _folder(request)
    staged = await run_in_threadpool(staging.keep, folder, who.user.id, upload.filename, upload.file)
    if problem := await run_in_threadpool(_unreadable, staged.path):
        staging.discard(folder, staged.token)
        return _answer(request, who, problem=problem, name=staged.path.name)
    result = await run_in_threadpool(lambda: service.preview(session, _run(request, session, who, staged.path, True)))
    if result.plan.errors:
        staging.discard(folder, staged.token)
    return _answer(request, who, result=result, token=None if result.plan.errors else staged.token,
                   name=staged.path.name)


@router.post("/lists/import", response_model=None)
def import_now(request: Request, token: str = Form("", max_length=100), who: SignedIn = Depends(signed_in),
               session: Session = Depends(transaction, scope="function")) -> Response:
    """Import the workbook of the user's dry run for real; its file is removed once the import is committed."""
    who.actor.require(Action.IMPORT_LISTS)
    folder = _folder(request)
    staged = staging.claim(folder, who.user.id, token)
    if staged is None:
        return _answer(request, who, problem="lists.problem.expired", status=410)
    result = _run(request, session, who, staged.path, False)
    if result.plan.errors:  # the stored lists changed since the dry run
        staging.discard(folder, staged.token)
        return _answer(request, who, result=result, name=staged.path.name)
    return RedirectResponse(f"/lists?imported={result.import_id}", status_code=303,
                            background=BackgroundTask(staging.discard, folder, staged.token))


@router.get("/lists/template.xlsx")
def template(request: Request, who: SignedIn = Depends(signed_in)) -> FileResponse:
    """The blank workbook: headers, drop-downs and an example row a sheet (anyone signed in)."""
    path = _scratch()
    write_template(path, context_of(request).rules)
    return _download(path, _t(request, who)("lists.file_template"))


@router.get("/lists/export.xlsx")
def export_lists(request: Request, who: SignedIn = Depends(signed_in),
                 session: Session = Depends(transaction, scope="function")) -> FileResponse:
    """The current lists of the user's area in the workbook layout."""
    path = _scratch()
    try:
        export.export(session=session, actor=who.actor, path=path, rules=context_of(request).rules)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    today = f"{_local_now(request):%Y-%m-%d}"
    return _download(path, _t(request, who)("lists.file_export", date=today))


def _run(request: Request, session: Session, who: SignedIn, path: Path, dry_run: bool) -> ImportResult:
    context = context_of(request)
    return service.import_lists(session=session, actor=who.actor, path=path, rules=context.rules,
                                grade_scheme=context.config.grade_scheme, dry_run=dry_run, limits=context.config.lists)


def _unreadable(path: Path) -> str | None:
    """The key of what is wrong with a file that is no workbook at all, else None."""
    with path.open("rb") as f:
        head = f.read(len(ZIP_MAGIC))
    if not head:
        return "lists.problem.empty"
    return None if head == ZIP_MAGIC else "lists.problem.not_xlsx"


def _answer(request: Request, who: SignedIn, *, problem: str | None = None, result: ImportResult | None = None,
            token: str | None = None, name: str = "", status: int | None = None) -> HTMLResponse:
    """The dry run's outcome: the result panel for htmx (always 200, or htmx would not show it),
    else the whole page, 422 when the workbook is refused."""
    t = _t(request, who)
    outcome = {"problem": problem, "name": name, "token": token, "result": result and _shown(result, t)}
    if request.headers.get("HX-Request") == "true":
        return staff(request, who, "enterprises/_dry_run.html", outcome)
    refused = problem is not None or (result is not None and bool(result.plan.errors))
    return staff(request, who, "enterprises/lists.html", outcome, status or (422 if refused else 200))


def _shown(result: ImportResult, t: i18n.Translator) -> dict:
    return {**result.counts(), "errors": [_located(i, t) for i in result.plan.errors],
            "warnings": [_located(i, t) for i in result.plan.warnings]}


def _located(issue: Issue, t: i18n.Translator) -> dict:
    """Where and what, in the user's language; sheet and column keep the workbook's own (Chinese)
    names, with the English key beside them on the English page."""
    english = t.language == "en"
    spec = next((s for s in SHEETS if issue.sheet in (s.name, s.key)), None)
    column = next((c for c in spec.columns if issue.column == c.header), None) if spec else None
    sheet = issue.sheet or t("lists.issue.workbook")
    return {"sheet": f"{sheet} ({spec.key})" if english and spec else sheet, "row": issue.row or None,
            "column": f"{issue.column} ({column.key})" if english and column else issue.column,
            "message": issue.message if english else issue.message_zh}


def _folder(request: Request) -> Path:
    return staging.folder_for(settings_of(request).database_url)


def _t(request: Request, who: SignedIn) -> i18n.Translator:
    return i18n.Translator(language_of(request, who.user))


def _scratch() -> Path:
    handle, name = tempfile.mkstemp(prefix="emergency-", suffix=".xlsx")
    os.close(handle)
    return Path(name)


def _download(path: Path, filename: str) -> FileResponse:
    return FileResponse(path, media_type=XLSX, filename=filename, headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(path.unlink, missing_ok=True))


def _local_now(request: Request) -> datetime:
    return utcnow().astimezone(settings_of(request).tz)
