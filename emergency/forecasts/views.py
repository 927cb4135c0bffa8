"""The forecasts API: import a forecast CSV (dry run first), and the assessment per area."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from areas.models import Area
from emergency.forecasts.importer import import_text
from emergency.forecasts.service import NoForecast, assess
from emergency.web.deps import actor, context_of, transaction
from emergency.web.errors import ApiError, error_response
from emergency.web.uploads import read_upload

router = APIRouter(prefix="/forecasts", tags=["forecasts"])
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[Actor, Depends(actor)]
CSV_BODY = {"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}},
                                        "multipart/form-data": {"schema": {"type": "object", "properties": {
                                            "file": {"type": "string", "format": "binary"}}}}}}}


@router.post("", status_code=201, openapi_extra=CSV_BODY,
             responses={200: {"description": "dry run: valid"}, 401: {}, 403: {}, 413: {}, 415: {}, 422: {}})
async def import_forecast(request: Request, session: Tx, who: Who, dry_run: bool = False):
    """Store a forecast CSV (duty officer), all rows or none: the answer of `forecast import --json`.
    A rejected file answers 422 with the located errors in `details`."""
    name, data = await read_upload(request, accept=("text/csv", "text/plain", "application/csv"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "not_utf8", "the file is not UTF-8 text: save the CSV as UTF-8", "文件不是 UTF-8 文本，请另存为 UTF-8",
                       [{"field": "file", "message": "not UTF-8"}]) from None
    result = import_text(session=session, text=text, source=name, actor=who, zone=context_of(request).settings.tz,
                         dry_run=dry_run)
    document = result.to_json()
    if result.errors:
        return error_response(422, "rejected_forecast", f"forecast rejected, nothing stored: {len(result.errors)} error(s)",
                              f"预报被拒绝，未写入任何数据：{len(result.errors)} 处错误", document["errors"])
    return JSONResponse(document, status_code=200 if dry_run else 201)


@router.get("/assessment", responses={401: {}, 404: {}})
def assessment(request: Request, session: Tx, who: Who,
               area: Annotated[str | None, Query(max_length=200)] = None) -> list[dict]:
    """The recommended level per area from the latest forecast (as `forecast assess --json`), for the
    areas that concern you (yours, inside it, or containing it)."""
    context = context_of(request)
    try:
        results = assess(session=session, rules=context.rules, area=area)
    except NoForecast:
        return []
    except LookupError as exc:
        raise ApiError(404, "unknown_area", str(exc), "未知区域") from None
    paths = dict(session.query(Area.name, Area.path).filter(Area.name.in_([r.area for r in results])).all())
    visible = [r for r in results if who.sees_warning(paths.get(r.area, ""))]
    if area is not None and not visible:
        raise ApiError(404, "unknown_area", f"unknown area {area!r}", "未知区域")
    return [r.to_json() for r in visible]
