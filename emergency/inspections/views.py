"""The inspections API (../shared/spec/api.md) and the photo files. Routes only translate: the
service checks the role, the area and the warning's state.

Beside the spec, `POST /api/v1/inspections/photos` stores a photo taken for a visit not sent yet
(a phone uploads each photo as it is taken, on a slow connection, before the visit exists); the
visit's `photos` lists their ids."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from emergency.inspections import media, queries, service
from emergency.warnings.queries import at_time
from emergency.web.deps import actor, context_of, settings_of, transaction
from emergency.web.uploads import read_upload

router = APIRouter(tags=["inspections"])
files = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Field(max_length=service.MAX_NOTE, pattern=r"^[^\x00]*$")]
IMAGES = ("image/jpeg", "image/png", "image/heic", "image/heif", "application/octet-stream")
ERRORS = {401: {"description": "not signed in"}, 403: {"description": "role may not record inspections"},
          404: {"description": "no such warning or enterprise in your area"},
          409: {"description": "the warning is not in force"}, 422: {"description": "a field is invalid"}}


class FindingBody(BaseModel):
    measure_id: int = Field(ge=1, le=2**31 - 1)
    ok: bool
    note: Text | None = None


class LocationBody(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1e6)


class InspectionBody(BaseModel):
    warning_id: int = Field(ge=1, le=2**31 - 1)
    credit_code: str = Field(min_length=1, max_length=18, pattern=r"^[^\x00]*$")
    at: datetime | None = Field(None, description="when the visit took place (default: now); local time without an offset")
    result: Literal["compliant", "violation"]
    findings: list[FindingBody] = Field(default_factory=list, max_length=200)
    note: Text | None = None
    location: LocationBody | None = None
    photos: list[int] = Field(default_factory=list, max_length=service.MAX_PHOTOS,
                              description="ids of photos uploaded by POST /api/v1/inspections/photos")
    client_key: str | None = Field(None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="the phone's key for this visit: sending it again records it once")


@router.post("/inspections", status_code=201, responses=ERRORS)
def record(request: Request, body: InspectionBody, session: Annotated[Session, Depends(transaction, scope="function")],
           who: Annotated[Actor, Depends(actor)]) -> dict:
    """Record a visit: per measure in place or not, the overall result, a note, the location, the
    photos already uploaded. A violation notifies the town office and the command center."""
    settings, now = settings_of(request), utcnow()
    at = at_time(body.at, settings.tz, "at") if body.at else now
    inspection, _ = service.record(
        session, actor=who, warning_id=body.warning_id, credit_code=body.credit_code, at=at, result=body.result,
        findings=[service.FindingIn(f.measure_id, f.ok, f.note) for f in body.findings], note=body.note,
        location=service.Location(**body.location.model_dump()) if body.location else None, photos=body.photos,
        client_key=body.client_key, config=context_of(request).config, zone=settings.tz, now=now)
    return queries.documents(session, [inspection.id], settings.tz)[0]


@router.post("/inspections/photos", status_code=201, responses=ERRORS | {413: {"description": "over 10 MB"}})
async def photo_for_visit(request: Request, session: Annotated[Session, Depends(transaction, scope="function")],
                          who: Annotated[Actor, Depends(actor)]) -> dict:
    """Store a photo for a visit not sent yet: multipart `file` (JPEG, PNG or HEIC by content, ≤ 10 MB)."""
    name, data = await read_upload(request, accept=IMAGES)
    photo = service.upload(session, actor=who, data=data, name=name, media_dir=settings_of(request).media_dir, now=utcnow())
    return queries.photo_json(photo)


@router.post("/inspections/{inspection_id}/photos", status_code=201, responses=ERRORS | {413: {"description": "over 10 MB"}})
async def photo(request: Request, inspection_id: Id, session: Annotated[Session, Depends(transaction, scope="function")],
                who: Annotated[Actor, Depends(actor)]) -> dict:
    """Add a photo to a recorded inspection (its author, the office)."""
    name, data = await read_upload(request, accept=IMAGES)
    found = service.upload(session, actor=who, data=data, name=name, media_dir=settings_of(request).media_dir,
                           now=utcnow(), inspection_id=inspection_id)
    return queries.photo_json(found)


@router.get("/inspections/{inspection_id}", responses=ERRORS)
def one(request: Request, inspection_id: Id, session: Annotated[Session, Depends(transaction, scope="function")],
        who: Annotated[Actor, Depends(actor)]) -> dict:
    return queries.one(session, who, inspection_id, settings_of(request).tz)


@router.get("/warnings/{warning_id}/inspections", responses=ERRORS)
def of_warning(request: Request, warning_id: Id, session: Annotated[Session, Depends(transaction, scope="function")],
               who: Annotated[Actor, Depends(actor)], result: Literal["compliant", "violation"] | None = None,
               town: Annotated[str | None, Query(max_length=200)] = None,
               inspector: Annotated[str | None, Query(max_length=100)] = None,
               q: Annotated[str | None, Query(max_length=200)] = None,
               page: Annotated[int, Query(ge=1, le=100000)] = 1, per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """The warning's inspections in your area, newest first, with findings and photos."""
    return queries.for_warning(session, who, warning_id, settings_of(request).tz, result=result, town=town,
                               inspector=inspector, q=q, page=page, per_page=per_page)


@files.get("/inspections/photos/{photo_id}/{variant}")
def photo_file(request: Request, photo_id: Id, variant: Literal["thumb", "view", "original"],
               session: Annotated[Session, Depends(transaction, scope="function")],
               who: Annotated[Actor, Depends(actor)]) -> FileResponse:
    """A photo to signed-in staff whose area holds its enterprise (or to its uploader before the
    visit is sent); 404 to anyone else. Never cached by shared caches."""
    found = service.photo_in_scope(session, who, photo_id)
    kind = found.content_type if variant == "original" else "image/jpeg"
    suffix = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}.get(kind, "bin")
    return FileResponse(media.path(settings_of(request).media_dir, found.sha256, variant), media_type=kind,
                        filename=f"inspection-photo-{found.id}.{suffix}",
                        headers={"Cache-Control": "private, max-age=86400", "ETag": f'"{found.sha256}-{variant}"'},
                        content_disposition_type="inline")

