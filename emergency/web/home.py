"""The staff home page (the console's pages come with the console issue): who is signed in, where
to go, and signing out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from accounts.models import Role
from accounts.permissions import ROLE_ZH
from areas.models import Area
from emergency.web.console import staff
from emergency.web.deps import SignedIn, signed_in, transaction

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: SignedIn = Depends(signed_in), session=Depends(transaction, scope="function")) -> HTMLResponse:
    return staff(request, who, "home.html", {})
