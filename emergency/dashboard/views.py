"""The command center's API (/api/v1/warnings/{id}/summary): the figures of one warning in the
reader's area. Any signed-in role may read; the area scope is that of `queries.one`."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from emergency.dashboard import service
from emergency.warnings import queries
from emergency.web.deps import actor, context_of, transaction

router = APIRouter(prefix="/warnings", tags=["warnings"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[Actor, Depends(actor)]
ERRORS = {401: {"description": "not signed in"}, 404: {"description": "no such warning in your area"},
          422: {"description": "a field is invalid"}}


@router.get("/{warning_id}/summary", responses=ERRORS)
def summary(request: Request, warning_id: Id, session: Tx, who: Who) -> dict:
    """Counts of the latest notice in your area (overall, by town, industry and grade), deliveries by
    status, units, escalation, inspections, and the times from notice to receipt and confirmation."""
    warning = queries.one(session, warning_id, who)
    return service.summary(session, warning, who, context_of(request).settings.tz, utcnow())
