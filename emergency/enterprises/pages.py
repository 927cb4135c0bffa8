"""The enterprise pages: search the enterprises of the user's area, and one enterprise with its
contacts, its list per level and what changed between two of its versions. The lists page (upload,
import, export) is in list_pages.py and mounted with these."""
from __future__ import annotations

from math import ceil
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from config.settings import POLLUTANTS
from emergency.enterprises import list_pages, service, versions
from emergency.warnings.service import Invalid
from emergency.web.console import staff
from emergency.web.deps import SignedIn, context_of, settings_of, signed_in, transaction

router = APIRouter(include_in_schema=False)
router.include_router(list_pages.router)
PER_PAGE = 25
Text = Annotated[str | None, Query(max_length=200)]
Version = Annotated[int | None, Query(ge=1, le=1_000_000)]
# A measure's columns as the diff shows them (after its level and target), with their words.
MEASURE_COLUMNS = (("action", "enterprises.measure.action"), ("description", "enterprises.measure.description"),
                   ("limit_pct", "enterprises.measure.limit_pct"),
                   *((f"{p}_cut", f"enterprises.cut.{p}") for p in POLLUTANTS))


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises(request: Request, q: Text = None, town: Text = None, industry: Text = None, grade: Text = None,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1, who: SignedIn = Depends(signed_in),
                session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    filters = {"q": (q or "").strip(), "town": town or "", "industry": industry or "", "grade": grade or ""}
    found = service.listing(session, who.actor, page=page, per_page=PER_PAGE,
                            **{k: v or None for k, v in filters.items()})
    pages = max(1, ceil(found["total"] / PER_PAGE))
    return staff(request, who, "enterprises/index.html", {
        "found": found, "filters": filters, "choices": service.choices(session, who.actor), "pages": pages,
        "ungraded": service.UNGRADED, "previous": _page_link(filters, page - 1) if page > 1 else None,
        "next": _page_link(filters, page + 1) if page < pages else None})


@router.get("/enterprises/{credit_code}", response_class=HTMLResponse)
def enterprise(request: Request, credit_code: Annotated[str, PathParam(min_length=1, max_length=18)],
               old: Annotated[Version, Query(alias="from")] = None, new: Annotated[Version, Query(alias="to")] = None,
               who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")):
    """Raises OutOfScope (a 404 page) for an enterprise outside the user's area or unknown."""
    found = service.one(session, who.actor, credit_code, settings_of(request).tz)
    numbers = [v["version"] for v in found["versions"]]
    old = old or (numbers[-2] if len(numbers) > 1 else None)
    new = new or numbers[-1]
    diff, problem = None, None
    if old is not None and old != new:
        try:
            diff = versions.compare(session, who.actor, found["credit_code"], old, new)
        except Invalid as exc:
            problem = {"zh": exc.zh, "en": exc.en}
    levels = [level.key for level in context_of(request).rules.levels]
    return staff(request, who, "enterprises/enterprise.html", {
        "e": found, "levels": levels, "totals": _totals(found), "pollutants": POLLUTANTS,
        "diff": diff, "problem": problem, "old": old, "new": new,
        "measure_columns": MEASURE_COLUMNS})


def _page_link(filters: dict, page: int) -> str:
    return "/enterprises?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": page})


def _totals(found: dict) -> dict[str, dict]:
    """Per level, each pollutant's total cut and its share of the enterprise's baseline."""
    totals = {}
    for level, measures in found["measures"].items():
        cuts = {p: sum(m[f"{p}_cut"] for m in measures) for p in POLLUTANTS}
        totals[level] = {p: {"cut": cut, "share": cut / found["baseline"][p] if found["baseline"][p] else None}
                         for p, cut in cuts.items()}
    return totals
