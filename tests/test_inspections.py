"""Recording inspections through the API: who may record what (own area, a warning in force, the
notice's measures), photos checked by content and stored by SHA-256 outside the database (nothing
stored when refused), served only in scope; a violation queues the town office's and the command
center's notice; a visit sent twice is recorded once. Both databases."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from alerts.models import Delivery
from config.db import utcnow
from config.events import Event, EventKind
from emergency.inspections.models import Finding, Inspection, Photo
from emergency.warnings.models import Recipient, Warning
from emergency.web.app import create_app
from lists.models import Area, Enterprise, Measure, Unit
from tests.console import cheap_passwords  # noqa: F401
from tests.factories import add_user, code
from tests.notifying import make_world


@pytest.fixture
def world(db_url, tmp_path, cheap_passwords):  # noqa: F811
    """Five enterprises of 大兴区 (enterprise 4 in 西红门镇, the others in 黄村镇), an inspector of
    黄村镇, an office user and a viewer; photos go to a folder of the test."""
    world = make_world(db_url, tmp_path, media_dir=tmp_path / "media")
    world.clock.now = utcnow()
    world.passwords = {}
    with world.sessions() as session, session.begin():
        hc = session.scalar(select(Area).where(Area.name == "黄村镇"))
        for name, role, area in (("insp", "inspector", hc), ("insp2", "inspector", hc), ("office", "office", None),
                                 ("viewer", "viewer", None)):
            world.passwords[name] = add_user(session, name, role, area)[1]
    return world


@pytest.fixture
def client(world):
    with TestClient(create_app(world.settings)) as client:
        yield client


def bearer(client, world, username: str) -> dict:
    token = client.post("/api/v1/tokens", json={"username": username, "password": world.passwords[username]})
    return {"Authorization": f"Bearer {token.json()['token']}"}


def jpeg(color=(200, 60, 40), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 120, 220)).save(out, "PNG")
    return out.getvalue()


def measures_of(world, n: int, level: str = "orange") -> list[int]:
    with world.sessions() as session:
        return list(session.scalars(select(Measure.id).join(Enterprise, Enterprise.current_version_id == Measure.list_version_id)
                                    .where(Enterprise.credit_code == code(n), Measure.level == level)
                                    .order_by(Measure.position)))


def upload(client, headers, data: bytes, name: str = "photo.jpg", kind: str = "image/jpeg"):
    return client.post("/api/v1/inspections/photos", files={"file": (name, data, kind)}, headers=headers)


def count(world, model) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored_files(world) -> list:
    folder = world.settings.media_dir
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_an_inspector_records_a_visit_with_two_photos_in_its_town(world, client):
    warning_id = world.issue("orange")
    insp = bearer(client, world, "insp")
    photos = [upload(client, insp, jpeg()), upload(client, insp, png(), "IMG_0002.png", "image/png")]
    assert [p.status_code for p in photos] == [201, 201], [p.text for p in photos]
    first, second = (p.json() for p in photos)
    assert first["sha256"] == hashlib.sha256(jpeg()).hexdigest() and first["content_type"] == "image/jpeg"
    assert (first["width"], first["height"]) == (640, 480) and second["content_type"] == "image/png"
    measure = measures_of(world, 2)[0]
    answer = client.post("/api/v1/inspections", headers=insp, json={
        "warning_id": warning_id, "credit_code": code(2), "result": "compliant", "note": "夜查",
        "findings": [{"measure_id": measure, "ok": True, "note": "公示牌在位"}],
        "location": {"lat": 39.72, "lon": 116.33, "accuracy_m": 12}, "photos": [first["id"], second["id"]]})
    assert answer.status_code == 201, answer.text
    doc = answer.json()
    assert doc["credit_code"] == code(2) and doc["result"] == "compliant" and doc["inspector"] == "insp"
    assert [p["id"] for p in doc["photos"]] == [first["id"], second["id"]]
    assert doc["findings"][0]["measure_id"] == measure and doc["location"]["lat"] == 39.72
    for p in doc["photos"]:  # the files are on disk under their digest, with two renditions
        assert (world.settings.media_dir / p["sha256"][:2] / p["sha256"]).is_file()
    assert client.get(f"/api/v1/inspections/{doc['id']}", headers=bearer(client, world, "viewer")).json() == doc
    listed = client.get(f"/api/v1/warnings/{warning_id}/inspections", headers=insp).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == doc["id"]
    with world.sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == EventKind.INSPECTION_RECORDED)).one()
        assert event.actor == "insp" and event.subject_id == warning_id and event.detail["photos"] == 2


def test_another_towns_enterprise_answers_404_and_nothing_is_written(world, client):
    warning_id = world.issue("orange")
    answer = client.post("/api/v1/inspections", headers=bearer(client, world, "insp"), json={
        "warning_id": warning_id, "credit_code": code(4), "result": "compliant"})  # 4 lies in 西红门镇
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert count(world, Inspection) == 0


def test_a_viewer_may_not_record_and_the_office_may_anywhere(world, client):
    warning_id = world.issue("orange")
    body = {"warning_id": warning_id, "credit_code": code(4), "result": "compliant"}
    assert client.post("/api/v1/inspections", headers=bearer(client, world, "viewer"), json=body).status_code == 403
    assert upload(client, bearer(client, world, "viewer"), jpeg()).status_code == 403
    assert client.post("/api/v1/inspections", headers=bearer(client, world, "office"), json=body).status_code == 201
    assert stored_files(world) == []


@pytest.mark.parametrize("name, data, kind, status, code_", [
    ("photo.jpg", "这不是照片，只是改了扩展名的文本。\n".encode() * 20, "image/jpeg", 422, "not_a_photo"),
    ("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024), "image/jpeg", 413, "too_large"),
    ("cut.jpg", None, "image/jpeg", 422, "damaged_photo"),
])
def test_a_file_that_is_not_a_whole_photo_is_refused_with_a_clear_error_and_nothing_stored(world, client, name, data,
                                                                                          kind, status, code_):
    data = data if data is not None else jpeg(size=(800, 600))[:6000]  # a truncated JPEG
    answer = upload(client, bearer(client, world, "insp"), data, name, kind)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code_ and error["message_zh"] and error["details"][0]["field"] == "file"
    assert count(world, Photo) == 0 and stored_files(world) == []


def test_a_violation_queues_the_town_office_and_command_center_notices(world, client):
    warning_id = world.issue("orange")
    world.dispatcher().run(once=True)  # the notices go out first
    bad, good = measures_of(world, 2)[:2] if len(measures_of(world, 2)) > 1 else (measures_of(world, 2)[0], None)
    findings = [{"measure_id": bad, "ok": False, "note": "2号线未停产"}] + ([{"measure_id": good, "ok": True}] if good else [])
    answer = client.post("/api/v1/inspections", headers=bearer(client, world, "insp"), json={
        "warning_id": warning_id, "credit_code": code(2), "result": "violation", "findings": findings})
    assert answer.status_code == 201, answer.text
    with world.sessions() as session:
        told = session.execute(select(Unit.name, Delivery.channel).join(Recipient, Recipient.unit_id == Unit.id)
                               .join(Delivery, Delivery.recipient_id == Recipient.id)
                               .where(Delivery.purpose == "violation")).all()
    assert {name for name, _ in told} == {"黄村镇人民政府", "大兴区空气重污染应急指挥部办公室"}  # not 西红门镇's office
    world.clock.now = utcnow()  # the web application queued them at its time
    world.dispatcher().run(once=True)
    texts = [m.text for m in world.fakes["sms"].sent + world.fakes["email"].sent if "违规" in m.text]
    assert texts and all("测试企业2有限公司" in t for t in texts)
    assert any("2号线未停产" in m.text for m in world.fakes["email"].sent)


def test_a_result_that_contradicts_its_findings_or_a_foreign_measure_is_refused(world, client):
    warning_id = world.issue("orange")
    insp = bearer(client, world, "insp")
    own, foreign = measures_of(world, 2)[0], measures_of(world, 3)[0]
    cases = [({"result": "compliant", "findings": [{"measure_id": own, "ok": False}]}, "contradictory_result"),
             ({"result": "violation", "findings": [{"measure_id": own, "ok": True}]}, "violation_unexplained"),
             ({"result": "compliant", "findings": [{"measure_id": foreign, "ok": True}]}, "unknown_measure"),
             ({"result": "compliant", "at": (utcnow() + timedelta(hours=2)).isoformat()}, "in_future")]
    for extra, expected in cases:
        answer = client.post("/api/v1/inspections", headers=insp,
                             json={"warning_id": warning_id, "credit_code": code(2)} | extra)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == expected, answer.text
    assert count(world, Inspection) == 0 and count(world, Finding) == 0


def test_a_visit_sent_twice_is_recorded_once_and_notifies_once(world, client):
    warning_id = world.issue("orange")
    body = {"warning_id": warning_id, "credit_code": code(2), "result": "violation", "note": "未张贴公示牌",
            "client_key": "visit-7f3a9c21"}
    insp = bearer(client, world, "insp")
    first = client.post("/api/v1/inspections", headers=insp, json=body)
    told = len(world.deliveries(purpose="violation"))
    again = client.post("/api/v1/inspections", headers=insp, json=body)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert count(world, Inspection) == 1 and told >= 2 and len(world.deliveries(purpose="violation")) == told


def test_photos_are_served_to_staff_in_scope_only(world, client):
    warning_id = world.issue("orange")
    insp = bearer(client, world, "insp")
    photo = upload(client, insp, jpeg()).json()
    # Before the visit is sent, only its uploader sees it.
    assert client.get(photo["thumb"], headers=insp).status_code == 200
    assert client.get(photo["thumb"], headers=bearer(client, world, "insp2")).status_code == 404
    client.post("/api/v1/inspections", headers=insp, json={"warning_id": warning_id, "credit_code": code(2),
                                                           "result": "compliant", "photos": [photo["id"]]})
    with world.sessions() as session, session.begin():
        xhm = session.scalar(select(Area).where(Area.name == "西红门镇"))
        world.passwords["xhm"] = add_user(session, "xhm", "office", xhm)[1]
    view = client.get(photo["view"], headers=bearer(client, world, "viewer"))
    assert view.status_code == 200 and view.headers["content-type"] == "image/jpeg"
    assert "private" in view.headers["cache-control"]
    original = client.get(photo["original"], headers=bearer(client, world, "office"))
    assert original.content == jpeg()
    assert client.get(photo["view"], headers=bearer(client, world, "xhm")).status_code == 404
    anonymous = TestClient(client.app, follow_redirects=False).get(photo["view"])
    assert anonymous.status_code in (303, 401)


def test_a_warning_ended_more_than_a_day_ago_takes_no_inspection(world, client):
    warning_id = world.issue("orange")
    with world.sessions() as session, session.begin():
        warning = session.get(Warning, warning_id)
        warning.status, warning.end_at = "expired", utcnow() - timedelta(hours=25)
    answer = client.post("/api/v1/inspections", headers=bearer(client, world, "insp"),
                         json={"warning_id": warning_id, "credit_code": code(2), "result": "compliant"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "not_in_force"


def test_a_heic_photo_from_an_iphone_is_accepted_and_shown_as_jpeg(world, client):
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 90, 30)).save(out, "HEIF")
    answer = upload(client, bearer(client, world, "insp"), out.getvalue(), "IMG_1234.HEIC", "image/heic")
    assert answer.status_code == 201 and answer.json()["content_type"] == "image/heic", answer.text
    view = client.get(answer.json()["view"], headers=bearer(client, world, "insp"))
    assert view.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(view.content)).size == (400, 300)


def test_photos_of_visits_never_sent_are_removed_after_three_days_but_shared_files_stay(world, client):
    from emergency.inspections import service

    warning_id = world.issue("orange")
    insp = bearer(client, world, "insp")
    kept = upload(client, insp, jpeg()).json()
    client.post("/api/v1/inspections", headers=insp, json={"warning_id": warning_id, "credit_code": code(2),
                                                           "result": "compliant", "photos": [kept["id"]]})
    same, alone = upload(client, insp, jpeg()).json(), upload(client, insp, png(), "a.png", "image/png").json()
    with world.sessions() as session, session.begin():
        assert service.prune(session, media_dir=world.settings.media_dir, now=utcnow() + timedelta(days=2)) == 0
        assert service.prune(session, media_dir=world.settings.media_dir, now=utcnow() + timedelta(days=4)) == 2
    with world.sessions() as session:
        assert list(session.scalars(select(Photo.id))) == [kept["id"]]
    assert (world.settings.media_dir / same["sha256"][:2] / same["sha256"]).is_file()  # the sent visit's photo
    assert not list(world.settings.media_dir.rglob(f"{alone['sha256']}*"))
