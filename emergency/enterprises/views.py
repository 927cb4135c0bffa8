"""The enterprises API: list imports (multipart, dry run first) and the enterprises of your area."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from emergency.enterprises import service
from emergency.web.deps import actor, context_of, transaction
from emergency.web.errors import ApiError, error_response
from emergency.web.uploads import read_upload

router = APIRouter(tags=["lists"])
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[Actor, Depends(actor)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = {"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                                         "properties": {"file": {"type": "string",
                                                                                                 "format": "binary"}}}}}}}


@router.post("/lists/imports", status_code=201, openapi_extra=UPLOAD,
             responses={200: {"description": "dry run: valid"}, 401: {}, 403: {}, 413: {}, 415: {}, 422: {}})
async def import_lists(request: Request, session: Tx, who: Who, dry_run: bool = False):
    """Import a reduction-list workbook (duty officer, admin), all or nothing: the answer of
    `lists import --json`. A rejected workbook answers 422 with every located error in `details`."""
    name, data = await read_upload(request, accept=(XLSX,))
    if not data.startswith(b"PK"):
        raise ApiError(422, "not_xlsx", "the file is not an .xlsx workbook", "文件不是 .xlsx 工作簿",
                       [{"field": "file", "message": "not an .xlsx workbook"}])
    context = context_of(request)
    with tempfile.TemporaryDirectory() as folder:
        safe = Path(name).name
        path = Path(folder) / (safe if safe not in ("", ".", "..") else "upload.xlsx")  # kept as the import's source
        path.write_bytes(data)
        result = service.import_lists(session=session, actor=who, path=path, rules=context.rules,
                                      grade_scheme=context.config.grade_scheme, dry_run=dry_run,
                                      limits=context.config.lists)
    document = result.to_json()
    if result.plan.errors:
        return error_response(422, "rejected_workbook", f"workbook rejected, nothing written: {len(result.plan.errors)} error(s)",
                              f"导入被拒绝，未写入任何数据：{len(result.plan.errors)} 处错误", document["errors"])
    return JSONResponse(document, status_code=200 if dry_run else 201)


@router.get("/enterprises", tags=["enterprises"], responses={401: {}})
def enterprises(session: Tx, who: Who, q: Annotated[str | None, Query(max_length=200)] = None,
                town: Annotated[str | None, Query(max_length=100)] = None,
                industry: Annotated[str | None, Query(max_length=100)] = None,
                grade: Annotated[str | None, Query(max_length=20, description="a grade, or `none` for ungraded")] = None,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Enterprises of your area with their current list: identity, grade, guarantee, version."""
    return service.listing(session, who, q=q, town=town, industry=industry, grade=grade, page=page, per_page=per_page)


@router.get("/enterprises/{credit_code}", tags=["enterprises"], responses={401: {}, 404: {}})
def enterprise(request: Request, session: Tx, who: Who,
               credit_code: Annotated[str, PathParam(min_length=1, max_length=18)]) -> dict:
    """One enterprise: identity, contacts, current list with measures per level, version history."""
    return service.one(session, who, credit_code, context_of(request).settings.tz)
