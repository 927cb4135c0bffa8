"""Times from notice to receipt and to confirmation, for the summary and the reports: median and
90th percentile in minutes, overall and by town.

The notice time is the notice's approval (`Activation.created_at`), when the district issued it:
the time a message waited in the queue is part of what the command center must allow for before a
start time (the escalation ladder, which must not remind anyone before the notice reaches them,
counts from each enterprise's hand-over instead). It also keeps the times a read of the enterprises'
rows alone, without a pass over their messages. Only enterprises this notice told count
(`changed`), since the others' receipts answer an earlier notice. Percentiles interpolate as
PostgreSQL's percentile_cont, which computes them there; SQLite has no such function, so the
durations (one column pair, read in one query) are sorted in Python."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, func, literal, select, true
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import UTCDateTime
from emergency.warnings.models import ActivatedEnterprise, Activation
from lists.models import Area, Enterprise
from lists.service import in_area

PERCENTILES = (("median", 0.5), ("p90", 0.9))


def empty_times() -> dict:
    return {"acknowledged": _quantiles([]), "confirmed": _quantiles([]), "by_town": []}


def times(session: Session, activation: Activation, actor: Actor) -> dict:
    """{"acknowledged": {"n", "median", "p90"}, "confirmed": {…}, "by_town": [{"area", "acknowledged", "confirmed"}]}
    for the enterprises of the notice in the actor's area (towns without a receipt are left out)."""
    state = ActivatedEnterprise
    scope = [] if actor.area_path is None else [in_area(actor.area_path)]
    since = literal(activation.created_at, UTCDateTime)
    dialect = session.get_bind().dialect.name
    ack, conf = (minutes_between(since, column, dialect) for column in (state.acknowledged_at, state.confirmed_at))
    rows = (select(Enterprise.town_id, ack.label("ack"), conf.label("conf"))
            .select_from(state).join(Enterprise, Enterprise.id == state.enterprise_id)
            .where(state.activation_id == activation.id, state.changed == true(), state.acknowledged_at.is_not(None),
                   *scope))
    found = _percentiles_sql(session, rows) if dialect == "postgresql" else _percentiles_python(session, rows)
    towns = [k for k in found if k is not None]
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(towns))).all())
    overall = found.pop(None, None) or {"acknowledged": _quantiles([]), "confirmed": _quantiles([])}
    by_town = sorted(({"area": names.get(town, "?"), **figures} for town, figures in found.items()),
                     key=lambda row: row["area"])
    return overall | {"by_town": by_town}


def minutes_between(start, end, dialect: str):
    """`end - start` in minutes (NULL when either is), in the database's own arithmetic."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _percentiles_sql(session: Session, rows: Select) -> dict:
    """PostgreSQL: percentile_cont per town and overall (ROLLUP), one query."""
    durations = rows.subquery()
    figures = [func.count(durations.c.ack), func.count(durations.c.conf)]
    for column in (durations.c.ack, durations.c.conf):
        figures += [func.percentile_cont(p).within_group(column) for _, p in PERCENTILES]
    query = select(durations.c.town_id, func.grouping(durations.c.town_id), *figures).group_by(
        func.rollup(durations.c.town_id))
    found = {}
    for town_id, overall, n_ack, n_conf, ack_median, ack_p90, conf_median, conf_p90 in session.execute(query):
        found[None if overall else town_id] = {
            "acknowledged": _shaped(n_ack, ack_median, ack_p90), "confirmed": _shaped(n_conf, conf_median, conf_p90)}
    return found


def _percentiles_python(session: Session, rows: Select) -> dict:
    """SQLite has no percentile function: the durations (one column pair, no per-row query) are sorted here."""
    by_town: dict = defaultdict(lambda: ([], []))
    for town_id, ack, conf in session.execute(rows):
        for key in (town_id, None):
            by_town[key][0].append(ack)
            if conf is not None:
                by_town[key][1].append(conf)
    return {town: {"acknowledged": _quantiles(acks), "confirmed": _quantiles(confs)}
            for town, (acks, confs) in by_town.items()}


def _quantiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return _shaped(len(ordered), *(_percentile_cont(ordered, p) for _, p in PERCENTILES))


def _percentile_cont(ordered: list[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation at position p·(n−1) of the sorted values."""
    if not ordered:
        return None
    position = p * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _shaped(n: int, median: float | None, p90: float | None) -> dict:
    rounded = lambda v: None if v is None else round(max(float(v), 0.0), 1)  # noqa: E731
    return {"n": n, "median": rounded(median), "p90": rounded(p90)}
