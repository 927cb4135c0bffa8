"""Delivery bookkeeping: claiming due rows atomically, writing outcomes back (retry with backoff
kept in the row, give up, flag bad addresses), taking back rows a dead worker left in `sending`,
provider status callbacks, and acknowledgments. Each function works in the caller's transaction."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import Session

from alerts.models import FINAL, Acknowledgment, Delivery, FlaggedAddress, Status
from alerts.providers.base import Sent, TransportError
from config.db import UTCDateTime
from config.events import EventKind, record

RANK = {Status.PENDING: 0, Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3, Status.CANCELLED: 3}


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed delivery: sent, failed (TransportError) or cancelled (a reason)."""

    delivery: Delivery
    sent: Sent | None = None
    error: TransportError | None = None
    cancelled: str | None = None
    released: bool = False  # never sent: the worker is stopping; due again at once, the attempt not counted


def claim(session: Session, *, worker: str, limit: int, now: datetime) -> list[Delivery]:
    """Mark up to `limit` due deliveries as `sending` by this worker and return them.

    One conditional UPDATE: on PostgreSQL the candidate rows are locked with SKIP LOCKED, so that
    concurrent workers take disjoint sets; SQLite has a single writer, and the status condition
    makes a row taken by someone else in between drop out."""
    due = (select(Delivery.id).where(Delivery.status == Status.PENDING, Delivery.next_attempt_at <= now)
           .order_by(Delivery.priority, Delivery.created_at.desc(), Delivery.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # A materialised CTE: as a plain IN (subquery … LIMIT) PostgreSQL may run the subquery
        # more than once and claim more rows than asked (seen here: 17 for 4).
        due = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        chosen = Delivery.id.in_(select(due.c.id))
    else:
        chosen = Delivery.id.in_(due.scalar_subquery())
    ids = session.scalars(
        update(Delivery).where(chosen, Delivery.status == Status.PENDING)
        .values(status=Status.SENDING, claimed_at=now, claimed_by=worker, attempts=Delivery.attempts + 1)
        .returning(Delivery.id).execution_options(synchronize_session=False)).all()
    if not ids:
        return []
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
                                .execution_options(populate_existing=True)))


def claim_unknown(session: Session, *, worker: str, channels: list[str], settled_before: datetime,
                  limit: int, now: datetime) -> list[Delivery]:
    """Claim `unknown` deliveries of these channels, settled a while, not yet checked with their
    provider: as `sending` by this worker, for reconciliation."""
    if not channels:
        return []
    ids = session.scalars(
        update(Delivery).where(Delivery.id.in_(
            select(Delivery.id).where(Delivery.status == Status.UNKNOWN, Delivery.provider_status.is_(None),
                                      Delivery.channel.in_(channels), Delivery.finished_at < settled_before)
            .order_by(Delivery.id).limit(limit).scalar_subquery()), Delivery.status == Status.UNKNOWN)
        .values(status=Status.SENDING, claimed_at=now, claimed_by=worker, finished_at=None)
        .returning(Delivery.id).execution_options(synchronize_session=False)).all()
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
                                .execution_options(populate_existing=True))) if ids else []


def unreconciled(session: Session, *, ids: list[int], reason: str, now: datetime) -> None:
    """The provider could not say: the deliveries stay `unknown`, for a person, and are not asked again."""
    session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == Status.SENDING)
                    .values(status=Status.UNKNOWN, provider_status="unreconciled", finished_at=now,
                            error=func.coalesce(Delivery.error, "") + f"; the provider could not say: {reason}"[:300])
                    .execution_options(synchronize_session=False))


def sent_today(session: Session, addresses: Iterable[str], now: datetime) -> Counter:
    """Messages handed to a provider per address in the last 24 hours (one grouped query)."""
    addresses = sorted(set(addresses))
    counts: Counter = Counter()
    for start in range(0, len(addresses), 1000):
        rows = session.execute(select(Delivery.address, func.count()).where(
            Delivery.address.in_(addresses[start:start + 1000]), Delivery.sent_at >= now - timedelta(hours=24))
            .group_by(Delivery.address))
        counts.update(dict(rows.all()))
    return counts


def finish(session: Session, outcomes: list[Outcome], *, now: datetime, max_attempts: int, backoff_seconds: int,
           worker: str) -> Counter:
    """Write the outcomes back in bulk; returns how many ended in each status."""
    tally: Counter = Counter()
    sent, retry, failed, released = [], [], [], []
    for o in outcomes:
        d = o.delivery
        if o.released:
            released.append({"i": d.id})
            tally["released"] += 1
        elif o.sent is not None:
            sent.append({"i": d.id, "pid": o.sent.provider_id, "s": o.sent.status,
                         "fin": now if o.sent.status in FINAL else None})
            tally[o.sent.status] += 1
        elif o.cancelled is not None:
            failed.append({"i": d.id, "s": Status.CANCELLED, "err": o.cancelled})
            tally[Status.CANCELLED] += 1
        elif o.error.ambiguous:
            failed.append({"i": d.id, "s": Status.UNKNOWN, "err": "not retried: the provider may have it already "
                                                             f"(its answer was lost): {o.error.reason}"})
            tally[Status.UNKNOWN] += 1
        elif o.error.permanent or d.attempts >= max_attempts:
            why = o.error.reason if o.error.permanent else f"gave up after {d.attempts} attempts: {o.error.reason}"
            failed.append({"i": d.id, "s": Status.FAILED, "err": why})
            tally[Status.FAILED] += 1
        else:
            delay = timedelta(seconds=backoff_seconds * 2 ** (d.attempts - 1))
            retry.append({"i": d.id, "err": o.error.reason, "at": now + delay})
            tally["retry"] += 1
    _write(session, sent, retry, failed, released, now)
    _flag(session, [o for o in outcomes if o.error is not None and o.error.bad_address], now, worker)
    if failed:
        record(session, kind=EventKind.DELIVERIES_FAILED, actor=worker, subject_type="delivery", at=now,
               detail={"failed": [f["i"] for f in failed if f["s"] == Status.FAILED],
                       "cancelled": [f["i"] for f in failed if f["s"] == Status.CANCELLED],
                       "unknown": [f["i"] for f in failed if f["s"] == Status.UNKNOWN]})
    return tally


def _write(session: Session, sent: list[dict], retry: list[dict], failed: list[dict], released: list[dict],
           now: datetime) -> None:
    table = Delivery.__table__
    mine = and_(table.c.id == bindparam("i"), table.c.status == Status.SENDING)
    if sent:
        # The provider id and hand-off time always; the status only if no callback got there first.
        session.execute(update(table).where(table.c.id == bindparam("i"))
                        .values(provider_id=bindparam("pid"), sent_at=func.coalesce(table.c.sent_at, literal(now, UTCDateTime)), error=None), sent)
        session.execute(update(table).where(mine).values(status=bindparam("s"), finished_at=bindparam("fin")), sent)
    if retry:
        session.execute(update(table).where(mine).values(status=Status.PENDING, error=bindparam("err"),
                                                         next_attempt_at=bindparam("at"), claimed_at=None), retry)
    if failed:
        session.execute(update(table).where(mine).values(status=bindparam("s"), error=bindparam("err"),
                                                         finished_at=now), failed)
    if released:
        session.execute(update(table).where(mine).values(status=Status.PENDING, claimed_at=None, next_attempt_at=now,
                                                         attempts=table.c.attempts - 1), released)


def _flag(session: Session, outcomes: list[Outcome], now: datetime, worker: str) -> None:
    for o in outcomes:
        flag(session, address=o.delivery.address, channel=o.delivery.channel, reason=o.error.reason, now=now,
             actor=worker)


def flag(session: Session, *, address: str, channel: str, reason: str, now: datetime, actor: str) -> None:
    """Remember that a provider refused this address (once per address), in the event log too."""
    if session.get(FlaggedAddress, address) is not None:
        return
    session.add(FlaggedAddress(address=address, channel=channel, reason=reason, at=now))
    session.flush()
    record(session, kind=EventKind.ADDRESS_FLAGGED, actor=actor, subject_type="address", at=now,
           detail={"address": address, "channel": channel, "reason": reason})


def renew(session: Session, *, worker: str, ids: list[int], now: datetime) -> int:
    """A live worker's lease on the deliveries it really holds (in flight, or sent and not yet
    written): they stay its own. A row it claimed and then lost hold of (the database went away
    between the claim and the send) is not renewed, so it goes back when the lease runs out."""
    if not ids:
        return 0
    return session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.claimed_by == worker,
                                                  Delivery.status == Status.SENDING)
                           .values(claimed_at=now).execution_options(synchronize_session=False)).rowcount or 0


def recover(session: Session, *, now: datetime, timeout_seconds: int, max_attempts: int, actor: str) -> list[int]:
    """Take back deliveries whose lease ran out (their worker died; a live one renews it): due
    again, or failed when out of attempts. Logged. Returns their ids."""
    table = Delivery.__table__
    stale = and_(table.c.status == Status.SENDING, table.c.claimed_at < now - timedelta(seconds=timeout_seconds))
    rows = session.execute(update(table).where(stale).values(
        status=Status.PENDING, claimed_at=None, next_attempt_at=now,
        error="taken back: its worker stopped while sending (it may have reached the provider)")
        .returning(table.c.id, table.c.claimed_by, table.c.attempts)).all()
    if not rows:
        return []
    exhausted = [r.id for r in rows if r.attempts >= max_attempts]
    if exhausted:
        session.execute(update(table).where(table.c.id.in_(exhausted)).values(
            status=Status.FAILED, finished_at=now, error="gave up: its worker stopped while sending, attempts used up"))
    by_worker: dict[str, list[int]] = {}
    for r in rows:
        by_worker.setdefault(r.claimed_by or "?", []).append(r.id)
    record(session, kind=EventKind.DELIVERIES_RECOVERED, actor=actor, subject_type="delivery", at=now,
           detail={"ids": [r.id for r in rows], "workers": sorted(by_worker), "by_worker": by_worker,
                   "failed": exhausted})
    return [r.id for r in rows]


def apply_status(session: Session, *, delivery_id: int | None, provider_id: str | None, status: Status | None,
                 provider_status: str, error: str | None, now: datetime) -> Delivery | None:
    """A provider's word on a delivery (a status callback). Moves it only forward: a repeated or
    late callback changes nothing. Returns the delivery, or None when it is not ours."""
    delivery = None
    if delivery_id is not None:
        delivery = session.get(Delivery, delivery_id, with_for_update=True)
        if delivery is not None and provider_id and delivery.provider_id not in (None, provider_id):
            delivery = None  # a forged or mistaken pairing: trust neither
    elif provider_id:
        delivery = session.scalars(select(Delivery).where(Delivery.provider_id == provider_id).with_for_update()).first()
    if delivery is None:
        return None
    if delivery.status in FINAL:
        return delivery
    if delivery.provider_id is None and provider_id:
        delivery.provider_id = provider_id
    delivery.provider_status = provider_status[:30]
    if status is not None and RANK[status] > RANK[Status(delivery.status)]:
        delivery.status = status
        delivery.sent_at = delivery.sent_at or now
        if status in FINAL:
            delivery.finished_at, delivery.error = now, error
    session.flush()
    return delivery


def acknowledge(session: Session, *, recipient_id: int, delivery_id: int | None, channel: str,
                now: datetime) -> Acknowledgment:
    """Record that a recipient has the message (each time they say so; the first one counts)."""
    ack = Acknowledgment(recipient_id=recipient_id, delivery_id=delivery_id, channel=channel, at=now)
    session.add(ack)
    session.flush()
    return ack


def counts(session: Session, recipient_ids) -> dict[str, int]:
    """Deliveries per status for the recipients selected by `recipient_ids` (a subquery)."""
    rows = session.execute(select(Delivery.status, func.count()).where(Delivery.recipient_id.in_(recipient_ids))
                           .group_by(Delivery.status)).all()
    found = dict(rows)
    return {s.value: found.get(s.value, 0) for s in Status}


def schedule(session: Session, rows) -> None:
    """Insert pending deliveries from a SELECT of (recipient_id, channel, address, purpose, params,
    status, attempts, next_attempt_at, created_at, priority)."""
    session.execute(insert(Delivery).from_select(
        ["recipient_id", "channel", "address", "purpose", "params", "status", "attempts", "next_attempt_at",
         "created_at", "priority"], rows))
