"""Recording inspections: the rules of who may record what, photos, assignments, and the notice a
violation sends to the supervising town office and the command center.

An inspector records visits to enterprises of their own area only (another area's answers 404, as
if it did not exist), during a warning in force or ended less than WINDOW ago; the office may
record anywhere in its area. What was checked is the enterprise's list at the level of the notice
in force: the measures of the version that notice pinned. Every write is one transaction and one
event; a visit sent twice by a phone (the same `client_key`) is recorded once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.permissions import Action, Actor, Forbidden, Role
from config.events import EventKind, record as log
from config.settings import AppConfig
from emergency.inspections import media
from emergency.inspections.models import Assignment, Finding, Inspection, Photo, Result
from emergency.notices.schedule import deliveries
from emergency.warnings import queries
from emergency.warnings.documents import shown_status
from emergency.warnings.models import ActivatedEnterprise, Activation, Kind, Recipient, Status, Warning
from emergency.warnings.service import BIDI, Invalid, NotFound, Refused
from lists.models import Area, Enterprise, Measure, Unit, UnitKind
from lists.service import in_area

WINDOW = timedelta(hours=24)  # after its end, a warning's last night checks may still be recorded
CLOCK_SKEW = timedelta(minutes=10)  # a phone's clock a little ahead is not a visit in the future
MAX_NOTE = 2000
MAX_PHOTOS = 20
# A photo uploaded for a visit that was never sent (the phone lost the draft) is removed after this.
ABANDONED = timedelta(days=3)


@dataclass(frozen=True)
class FindingIn:
    measure_id: int
    ok: bool
    note: str | None = None


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None = None


def record(session: Session, *, actor: Actor, warning_id: int, credit_code: str, at: datetime, result: str,
           findings: list[FindingIn], note: str | None, location: Location | None, photos: list[int],
           client_key: str | None, config: AppConfig, zone: ZoneInfo, now: datetime) -> tuple[Inspection, bool]:
    """Record one visit; returns it and whether it is new (False: the same client_key was sent
    before). Raises Forbidden (role), NotFound (warning or enterprise outside the actor's area, or
    not in the warning's notice), Refused (the warning is not in force), Invalid (a field)."""
    actor.require(Action.INSPECT)
    if client_key and (earlier := _sent_before(session, actor, client_key)) is not None:
        return earlier, False
    warning = queries.one(session, warning_id, actor)
    _check_window(warning, now)
    enterprise = enterprise_in_scope(session, actor, credit_code)
    notice = latest_notice(session, warning)
    if notice is None or session.get(ActivatedEnterprise, (notice.id, enterprise.id)) is None:
        raise NotFound(f"企业 {enterprise.credit_code} 不在第 {warning.id} 号预警的减排清单内",
                       f"enterprise {enterprise.credit_code} is not in warning {warning.id}'s notice", code="not_in_notice")
    _check_time(at, notice, now)
    measures = _measures(session, notice, enterprise)
    _check_findings(findings, measures)
    _check_result(result, findings, note)
    inspection = Inspection(warning_id=warning.id, activation_id=notice.id, enterprise_id=enterprise.id,
                            inspector_id=actor.user_id, inspector=actor.username, at=at, result=result,
                            note=_text(note, "note"), client_key=client_key, created_at=now,
                            lat=location.lat if location else None, lon=location.lon if location else None,
                            accuracy_m=location.accuracy_m if location else None)
    session.add(inspection)
    try:
        session.flush()
    except IntegrityError as exc:  # the same visit sent twice at once: the other one recorded it
        raise Refused("这次检查已经提交过", "this visit was already sent", code="duplicate") from exc
    session.add_all(Finding(inspection_id=inspection.id, measure_id=f.measure_id, ok=f.ok, note=_text(f.note, "findings"))
                    for f in findings)
    _attach(session, actor, inspection, photos)
    failed = [(measures[f.measure_id], f.note) for f in findings if not f.ok]
    log(session, kind=EventKind.INSPECTION_RECORDED, actor=actor, subject_type="warning", subject_id=warning.id, at=now,
        detail={"inspection": inspection.id, "credit_code": enterprise.credit_code, "enterprise": enterprise.name,
                "result": result, "at": at.isoformat(), "violated": [m.id for m, _ in failed], "photos": len(photos)})
    if result == Result.VIOLATION:
        _notify(session, notice, enterprise, inspection, failed, config, zone, now)
    session.flush()
    return inspection, True


def upload(session: Session, *, actor: Actor, data: bytes, name: str, media_dir: Path, now: datetime,
           inspection_id: int | None = None) -> Photo:
    """Store a photo: taken for a visit not sent yet (`inspection_id` None: the visit attaches it),
    or added to a recorded inspection by its author or the office. Raises Forbidden, NotFound,
    Invalid (not a photo, damaged), TooLarge."""
    actor.require(Action.INSPECT)
    inspection = None
    if inspection_id is not None:
        inspection = inspection_in_scope(session, actor, inspection_id)
        if actor.role == Role.INSPECTOR and inspection.inspector_id != actor.user_id:
            raise Forbidden("只能为自己记录的检查补充照片", "only its author or the office may add photos to an inspection")
        if _photo_count(session, inspection.id) >= MAX_PHOTOS:
            raise Invalid(f"每次检查最多 {MAX_PHOTOS} 张照片", f"at most {MAX_PHOTOS} photos per inspection",
                          code="too_many_photos", field="file")
    stored = media.store(media_dir, data, name)
    photo = Photo(inspection_id=inspection.id if inspection else None, sha256=stored.sha256,
                  content_type=stored.content_type, bytes=stored.bytes, width=stored.width, height=stored.height,
                  uploaded_by_id=actor.user_id, uploaded_by=actor.username, uploaded_at=now)
    session.add(photo)
    session.flush()
    if inspection is not None:
        log(session, kind=EventKind.INSPECTION_RECORDED, actor=actor, subject_type="warning",
            subject_id=inspection.warning_id, at=now, detail={"inspection": inspection.id, "photo": photo.id,
                                                             "sha256": stored.sha256})
    return photo


def photo_in_scope(session: Session, actor: Actor, photo_id: int) -> Photo:
    """A photo the actor may see: of an inspection in their area, or one they uploaded and have not
    yet attached. NotFound otherwise (the id says nothing to someone outside)."""
    photo = session.get(Photo, photo_id)
    if photo is not None:
        if photo.inspection_id is None and photo.uploaded_by_id == actor.user_id:
            return photo
        if photo.inspection_id is not None:
            try:
                inspection_in_scope(session, actor, photo.inspection_id)
                return photo
            except NotFound:
                pass
    raise NotFound(f"没有编号为 {photo_id} 的照片", f"there is no photo {photo_id}", code="not_found")


def inspection_in_scope(session: Session, actor: Actor, inspection_id: int) -> Inspection:
    query = (select(Inspection).join(Enterprise, Enterprise.id == Inspection.enterprise_id)
             .where(Inspection.id == inspection_id))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    inspection = session.scalars(query).first()
    if inspection is None:
        raise NotFound(f"没有编号为 {inspection_id} 的检查记录", f"there is no inspection {inspection_id}", code="not_found")
    return inspection


def enterprise_in_scope(session: Session, actor: Actor, credit_code: str) -> Enterprise:
    query = select(Enterprise).where(Enterprise.credit_code == (credit_code or "").strip().upper())
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    enterprise = session.scalars(query).first()
    if enterprise is None:
        raise NotFound(f"您的辖区内没有统一社会信用代码为 {credit_code} 的企业",
                       f"there is no enterprise {credit_code} in your area", code="not_found")
    return enterprise


def latest_notice(session: Session, warning: Warning) -> Activation | None:
    """The notice in force: the warning's latest activation that is not its lift."""
    return session.scalars(select(Activation).where(Activation.warning_id == warning.id, Activation.kind != Kind.LIFT)
                           .order_by(Activation.id.desc()).limit(1)).first()


def open_for_inspection(warning: Warning, now: datetime) -> bool:
    """In force, scheduled (inspectors check the preparations), or ended less than WINDOW ago."""
    status = shown_status(warning, now)
    if status in (Status.SCHEDULED, Status.ACTIVE):
        return True
    ended = warning.lifted_at if status == Status.LIFTED else warning.end_at if status == Status.EXPIRED else None
    return ended is not None and now - ended <= WINDOW


def assign(session: Session, *, actor: Actor, warning_id: int, credit_codes: list[str], inspector: str | None,
           now: datetime) -> int:
    """Ask an inspector to visit these enterprises of the warning's notice (None: take the
    assignment back). The office's. Returns how many enterprises. Raises Forbidden, NotFound (an
    enterprise not in the notice within the actor's area), Invalid (no choice; an inspector who is
    not one, or whose area does not hold an enterprise). Checks everything before writing."""
    actor.require(Action.ASSIGN)
    warning = queries.one(session, warning_id, actor)
    codes = sorted({c.strip().upper() for c in credit_codes if c and c.strip()})
    if not codes:
        raise Invalid("请先选择企业", "choose the enterprises first", code="nothing_chosen", field="credit_codes")
    notice = latest_notice(session, warning)
    query = (select(Enterprise.id, Enterprise.credit_code, Area.path).join(Area, Area.id == Enterprise.town_id)
             .join(ActivatedEnterprise, ActivatedEnterprise.enterprise_id == Enterprise.id)
             .where(ActivatedEnterprise.activation_id == (notice.id if notice else -1), Enterprise.credit_code.in_(codes)))
    found = session.execute(query.where(*([in_area(actor.area_path)] if actor.area_path else []))).all()
    missing = sorted(set(codes) - {code for _, code, _ in found})
    if missing:
        raise NotFound(f"第 {warning.id} 号预警的减排清单中（您的辖区内）没有这些企业：{'、'.join(missing[:5])}",
                       f"not in warning {warning.id}'s notice within your area: {', '.join(missing[:5])}",
                       code="not_found")
    who = _inspector(session, inspector, found) if inspector else None
    ids = [i for i, _, _ in found]
    session.execute(Assignment.__table__.delete().where(Assignment.warning_id == warning.id,
                                                         Assignment.enterprise_id.in_(ids)))
    if who is not None:
        session.execute(Assignment.__table__.insert(), [
            {"warning_id": warning.id, "enterprise_id": i, "inspector_id": who.id, "assigned_by": actor.username,
             "assigned_at": now} for i in ids])
    log(session, kind=EventKind.INSPECTION_ASSIGNED, actor=actor, subject_type="warning", subject_id=warning.id, at=now,
        detail={"inspector": who.username if who else None, "credit_codes": codes[:200], "enterprises": len(ids)})
    session.flush()
    return len(ids)


def _inspector(session: Session, username: str, enterprises) -> User:
    """The active inspector of that name whose area holds every one of these enterprises."""
    who = session.scalars(select(User).where(User.username == username.strip())).first()
    if who is None or who.role != Role.INSPECTOR or not who.active:
        raise Invalid(f"{username} 不是可用的督查员账号", f"{username} is not an active inspector",
                      code="not_an_inspector", field="inspector")
    area = session.get(Area, who.area_id) if who.area_id else None
    outside = [code for _, code, path in enterprises if area is not None and not path.startswith(area.path)]
    if outside:
        raise Invalid(f"企业 {'、'.join(outside[:5])} 不在督查员 {who.username} 的辖区内",
                      f"{', '.join(outside[:5])} lie outside inspector {who.username}'s area",
                      code="outside_inspector_area", field="inspector")
    return who


def prune(session: Session, *, media_dir: Path, now: datetime) -> int:
    """Remove photos uploaded for visits never sent, ABANDONED ago, and their files when no other
    photo shares them. Returns how many."""
    old = select(Photo.id, Photo.sha256).where(Photo.inspection_id.is_(None), Photo.uploaded_at < now - ABANDONED)
    rows = session.execute(old).all()
    if not rows:
        return 0
    session.execute(Photo.__table__.delete().where(Photo.id.in_([i for i, _ in rows])))
    digests = {sha for _, sha in rows}
    kept = set(session.scalars(select(Photo.sha256).where(Photo.sha256.in_(digests))))
    for sha in digests - kept:
        for variant in ("original", *media.SIZES):
            media.path(media_dir, sha, variant).unlink(missing_ok=True)
    return len(rows)


def _sent_before(session: Session, actor: Actor, client_key: str) -> Inspection | None:
    return session.scalars(select(Inspection).where(Inspection.inspector_id == actor.user_id,
                                                    Inspection.client_key == client_key)).first()


def _check_window(warning: Warning, now: datetime) -> None:
    if not open_for_inspection(warning, now):
        raise Refused(f"第 {warning.id} 号预警不在执行期内（或结束已超过 24 小时），不能记录检查",
                      f"warning {warning.id} is not in force (or ended more than 24 hours ago): no inspection can be "
                      "recorded", code="not_in_force")


def _check_time(at: datetime, notice: Activation, now: datetime) -> None:
    if at > now + CLOCK_SKEW:
        raise Invalid("检查时间晚于当前时间，请检查手机时间", "the visit's time is in the future: check the phone's clock",
                      code="in_future", field="at")
    if at < notice.created_at - CLOCK_SKEW:
        raise Invalid("检查时间早于本次预警通知发布时间", "the visit's time is before the notice went out",
                      code="before_notice", field="at")


def _measures(session: Session, notice: Activation, enterprise: Enterprise) -> dict[int, Measure]:
    """The enterprise's measures at the notice's level, of the list version the notice pinned."""
    rows = session.scalars(select(Measure).join(ActivatedEnterprise, and_(
        ActivatedEnterprise.list_version_id == Measure.list_version_id, ActivatedEnterprise.activation_id == notice.id,
        ActivatedEnterprise.enterprise_id == enterprise.id)).where(Measure.level == notice.level)
        .order_by(Measure.position))
    return {m.id: m for m in rows}


def _check_findings(findings: list[FindingIn], measures: dict[int, Measure]) -> None:
    seen = set()
    for i, f in enumerate(findings):
        if f.measure_id not in measures:
            raise Invalid(f"第 {i + 1} 项检查结果所指措施（{f.measure_id}）不属于该企业本级别的清单",
                          f"findings[{i}]: measure {f.measure_id} is not one of the enterprise's measures at this level",
                          code="unknown_measure", field=f"findings[{i}].measure_id")
        if f.measure_id in seen:
            raise Invalid(f"措施 {f.measure_id} 重复填写", f"findings[{i}]: measure {f.measure_id} is given twice",
                          code="duplicate_measure", field=f"findings[{i}].measure_id")
        seen.add(f.measure_id)


def _check_result(result: str, findings: list[FindingIn], note: str | None) -> None:
    if result not in tuple(Result):
        raise Invalid("检查结论应为“合规”或“违规”", "result must be compliant or violation", code="invalid_result",
                      field="result")
    if result == Result.COMPLIANT and any(not f.ok for f in findings):
        raise Invalid("有措施未落实，结论应为“违规”", "a measure was found not in place: the result is a violation",
                      code="contradictory_result", field="result")
    if result == Result.VIOLATION and all(f.ok for f in findings) and not (note or "").strip():
        raise Invalid("结论为违规：请标出未落实的措施，或在备注中写明违规情况",
                      "a violation: mark the measures not in place, or describe it in the note",
                      code="violation_unexplained", field="findings")


def _text(value: str | None, field: str) -> str | None:
    value = (value or "").translate(BIDI).strip()
    if len(value) > MAX_NOTE:
        raise Invalid(f"备注不能超过 {MAX_NOTE} 字", f"a note is at most {MAX_NOTE} characters", code="too_long", field=field)
    return value or None


def _attach(session: Session, actor: Actor, inspection: Inspection, photo_ids: list[int]) -> None:
    """Attach the photos this actor uploaded for the visit (each once)."""
    ids = list(dict.fromkeys(photo_ids))
    if len(ids) > MAX_PHOTOS:
        raise Invalid(f"每次检查最多 {MAX_PHOTOS} 张照片", f"at most {MAX_PHOTOS} photos per inspection",
                      code="too_many_photos", field="photos")
    if not ids:
        return
    attached = session.execute(update(Photo).where(Photo.id.in_(ids), Photo.uploaded_by_id == actor.user_id,
                                                   Photo.inspection_id.is_(None))
                               .values(inspection_id=inspection.id).execution_options(synchronize_session=False)).rowcount
    if attached != len(ids):
        raise Invalid("部分照片不存在或已用于其他检查，请重新上传", "some photos do not exist, are not yours or belong to "
                      "another inspection: upload them again", code="unknown_photo", field="photos")


def _photo_count(session: Session, inspection_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Photo).where(Photo.inspection_id == inspection_id)) or 0


def _notify(session: Session, notice: Activation, enterprise: Enterprise, inspection: Inspection,
            failed: list[tuple[Measure, str | None]], config: AppConfig, zone: ZoneInfo, now: datetime) -> None:
    """The supervising town office and the command center hear of the violation (the normal
    delivery path: the recipients of the notice in force, the units' configured channels)."""
    params = {"inspection": inspection.id, "enterprise": enterprise.name, "credit_code": enterprise.credit_code,
              "inspector": inspection.inspector, "at": f"{inspection.at.astimezone(zone):%m-%d %H:%M}",
              "measures": [f"{m.target}：{m.description}" + (f"（{note.strip()[:100]}）" if note and note.strip() else "")
                           for m, note in failed][:10], "more": max(len(failed) - 10, 0),
              "note": (inspection.note or "")[:200]}
    offices = select(Unit.id).where(or_(and_(Unit.kind == UnitKind.TOWN, Unit.area_id == enterprise.town_id),
                                        Unit.kind == UnitKind.COMMAND))
    for channel in config.notify.channels.get("unit", []):
        deliveries(session, channel=channel, purpose="violation", now=now, params=params,
                   where=and_(Recipient.activation_id == notice.id, Recipient.unit_id.in_(offices)))
