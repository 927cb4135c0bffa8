"""POST /api/v1/warnings/{id}/remind: remind now (office, admin). The route only translates; the
service (emergency.notices.remind) checks the role, the area and the warning's state."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from emergency.notices import remind as service
from emergency.web.deps import actor, context_of, transaction

router = APIRouter(prefix="/warnings", tags=["warnings"])
Short = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
ERRORS = {401: {"description": "not signed in"}, 403: {"description": "role may not remind"},
          404: {"description": "no such warning in your area"},
          409: {"description": "the warning is not in force, or is being lifted"},
          422: {"description": "no enterprise chosen, too many, or a field is invalid"}}


class Reminder(BaseModel):
    """Whom to remind: chosen credit codes, or everyone the filters match (all of the notice when
    none is given); of them, only those still unconfirmed are reminded."""

    credit_codes: list[Annotated[str, Field(max_length=18, pattern=r"^[^\x00]*$")]] | None = Field(
        None, max_length=service.MAX_CODES)
    town: Short | None = None
    status: Literal["unconfirmed", "unacknowledged", "confirmed"] | None = None
    industry: Short | None = None
    grade: Short | None = None
    q: Short | None = None


@router.post("/{warning_id}/remind", responses=ERRORS)
def remind(request: Request, warning_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
           session: Annotated[Session, Depends(transaction, scope="function")], who: Annotated[Actor, Depends(actor)],
           body: Reminder | None = None) -> dict:
    """Queue one reminder SMS per number of the chosen enterprises still unconfirmed. Answers
    `queued` (messages) and `enterprises` reminded, and what was skipped: `skipped_confirmed`
    (enterprises), `skipped_recent` (numbers with a message on its way or reminded within
    `quiet_minutes`), `at_cap` (numbers that had `per_day` messages in 24 h), `invalid` (numbers a
    provider flagged), `no_mobile` (enterprises without a number), `not_found` (credit codes not in
    the notice, your area or the filter). Pressing twice queues once."""
    return service.remind(session, warning_id=warning_id, actor=who, **(body or Reminder()).model_dump(),
                          per_day=context_of(request).config.notify.per_recipient_per_day, now=utcnow())
