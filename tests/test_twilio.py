"""The whole path with real parts: the real twilio client against a local server that speaks
Twilio's API, the web application served by uvicorn receiving signed callbacks, SMS replies and
the call's keypress, the company confirming on its page, and the counts in `warning show`."""
from __future__ import annotations

import json
from collections import Counter
import re

import pytest
import requests
from click.testing import CliRunner

from alerts import service as alerts
from alerts.providers.base import Message, Sent, TransportError
from alerts.providers.settings import ProviderSettings
from alerts.providers.twilio.settings import TwilioSettings
from alerts.providers.twilio.transport import TwilioSms, make_client
from emergency.cli import main
from emergency.web.app import create_app
from tests.fake_twilio import Behaviour, FakeTwilio
from tests.notifying import LiveServer, free_port, make_world

SID, TOKEN = "AC" + "0" * 32, "twilio-auth-token"


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server


@pytest.fixture
def live(db_url, tmp_path, fake):
    port = free_port()
    twilio = TwilioSettings(account_sid=SID, auth_token=TOKEN, from_="+15005550006", api_base=fake.url)
    world = make_world(db_url, tmp_path, ProviderSettings(twilio=twilio), public_url=f"http://127.0.0.1:{port}")
    with LiveServer(create_app(world.settings, world.providers), port) as server:
        world.server = server
        yield world


def real_transports(world):
    registry = world.transports()
    registry["email"] = world.fakes["email"]
    return registry


def signed_post(fake, world, path: str, params: dict, **kwargs):
    url = world.server.url + path
    return requests.post(url, data=params, headers={"X-Twilio-Signature": fake.sign(url, params)}, timeout=10, **kwargs)


def show(world, warning_id: int) -> dict:
    result = CliRunner().invoke(main, ["warning", "show", str(warning_id), "--json", "--db", world.settings.database_url],
                                env={"EMERGENCY_SECRET_KEY": "test-secret"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_issue_deliver_callback_reply_confirm_and_count(live, fake):
    world = live
    warning_id = world.issue("orange")
    worker = world.dispatcher(real_transports(world))
    worker.run(once=True)
    sms = world.deliveries(channel="sms")
    assert {d.status for d in sms} == {"sent"} and all(d.provider_id.startswith("SM") for d in sms)
    accepted = fake.accepted()
    assert len(accepted) == len(sms)
    assert all(r.form["From"] == "+15005550006" and "/a/" in r.form["Body"] for r in accepted)
    # Twilio builds its status callback URL itself, carrying the delivery id
    assert sorted(int(r.callback.split("/webhooks/twilio/status?d=")[1]) for r in accepted) == sorted(d.id for d in sms)

    for record in accepted:  # Twilio reports delivery, then a late and a repeated "sent" arrive
        assert fake.callback(record.sid, "delivered").status_code == 204
        assert fake.callback(record.sid, "sent").status_code == 204
        assert fake.callback(record.sid, "delivered").status_code == 204
    assert {d.status for d in world.deliveries(channel="sms")} == {"delivered"}
    assert fake.callback(accepted[0].sid, "failed", 30003).status_code == 204  # after delivered: ignored
    assert world.deliveries(channel="sms")[0].status == "delivered"

    contact = next(r for r in accepted if r.form["To"] == "+8613800000002")
    reply = signed_post(fake, world, "/webhooks/twilio/sms", {"From": "+8613800000002", "Body": "确认", "To": "+1500"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/xml")
    assert "已确认收到通知" in reply.text and "<Message>" in reply.text
    other = signed_post(fake, world, "/webhooks/twilio/sms", {"From": "+8613800000003", "Body": "什么意思"})
    assert "回复1" in other.text  # anything else: how to confirm

    link = re.search(r"(http://\S+/a/\S+)", contact.form["Body"]).group(1)
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "测试企业2有限公司" in page.text and "确认已落实" in page.text
    for measure in re.findall(r'name="measure" value="(\d+)"', page.text):
        done = requests.post(f"{link}/confirm", data={"measure": measure, "note": "已停产"}, timeout=10)
        assert done.status_code == 200  # followed the redirect back to the page
    assert "全部措施已落实" in requests.get(link, timeout=10).text

    doc = show(world, warning_id)
    assert doc["deliveries"]["delivered"] == len(sms) and doc["deliveries"]["pending"] == 0
    assert doc["deliveries"]["sent"] == len(world.deliveries(channel="email"))  # the fake email transport
    assert (doc["acknowledged"], doc["confirmed"]) == (1, 1)


def test_the_call_reads_the_notice_and_a_keypress_of_1_acknowledges(live, fake):
    world = live
    world.settings.app.notify.channels["enterprise"] = ["voice"]
    world.issue("orange")
    world.dispatcher(real_transports(world)).run(once=True)
    calls = fake.accepted("Calls")
    assert calls and all(c.form["Url"].startswith(world.server.url + "/webhooks/twilio/voice/") for c in calls)
    call = calls[0]
    path = call.form["Url"].removeprefix(world.server.url)
    script = signed_post(fake, world, path, {"CallSid": call.sid, "CallStatus": "in-progress"})
    assert script.status_code == 200
    assert '<Gather' in script.text and 'language="zh-CN"' in script.text and "确认收到请按1" in script.text
    action = re.search(r'action="([^"]+)"', script.text).group(1)
    pressed = signed_post(fake, world, action.removeprefix(world.server.url), {"CallSid": call.sid, "Digits": "1"})
    assert "已确认收到" in pressed.text
    assert fake.callback(call.sid, "completed").status_code == 204
    voice = {d.provider_id: d for d in world.deliveries(channel="voice")}
    assert voice[call.sid].status == "delivered"
    from sqlalchemy import func, select

    from alerts.models import Acknowledgment

    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Acknowledgment).where(Acknowledgment.channel == "voice")) == 1


@pytest.mark.parametrize("path", ["/webhooks/twilio/status?d=1", "/webhooks/twilio/sms", "/webhooks/twilio/voice/1",
                                  "/webhooks/twilio/voice/1/key"])
def test_forged_or_missing_signatures_are_refused(live, fake, path):
    world = live
    params = {"MessageSid": "SMx", "MessageStatus": "delivered", "From": "+8613800000001", "Body": "1", "Digits": "1"}
    url = world.server.url + path
    assert requests.post(url, data=params, timeout=10).status_code == 403
    forged = RequestValidatorFor("not-the-token").compute_signature(url, params)
    assert requests.post(url, data=params, headers={"X-Twilio-Signature": forged}, timeout=10).status_code == 403
    tampered = dict(params, Body="确认", MessageStatus="failed")
    good_for_other = fake.sign(url, params)
    assert requests.post(url, data=tampered, headers={"X-Twilio-Signature": good_for_other}, timeout=10).status_code == 403


def RequestValidatorFor(token):  # noqa: N802
    from twilio.request_validator import RequestValidator

    return RequestValidator(token)


def test_unknown_sids_are_answered_and_ignored(live, fake):
    world = live
    params = {"MessageSid": "SMdoesnotexist", "MessageStatus": "delivered"}
    assert signed_post(fake, world, "/webhooks/twilio/status", params).status_code == 204
    assert signed_post(fake, world, "/webhooks/twilio/status?d=999999", params).status_code == 204


def test_a_callback_before_the_worker_recorded_the_sid_still_lands(live, fake):
    """The status callback URL carries the delivery id: a callback that overtakes the worker's own
    record is kept, and the worker's late record does not undo it."""
    world = live
    world.issue("orange")
    with world.sessions() as session, session.begin():
        [claimed] = alerts.claim(session, worker="w", limit=1, now=world.clock.now)
    params = {"MessageSid": "SMearly", "MessageStatus": "delivered"}
    assert signed_post(fake, world, f"/webhooks/twilio/status?d={claimed.id}", params).status_code == 204
    assert (world.deliveries(id=claimed.id)[0].status, world.deliveries(id=claimed.id)[0].provider_id) == \
        ("delivered", "SMearly")
    with world.sessions() as session, session.begin():
        alerts.finish(session, [alerts.Outcome(claimed, sent=Sent("SMearly"))], now=world.clock.now, max_attempts=5,
                      backoff_seconds=30, worker="w")
    row = world.deliveries(id=claimed.id)[0]
    assert (row.status, row.provider_id, row.sent_at is not None) == ("delivered", "SMearly", True)
    forged_pair = {"MessageSid": "SMother", "MessageStatus": "failed"}  # a SID that is not this delivery's
    assert signed_post(fake, world, f"/webhooks/twilio/status?d={claimed.id}", forged_pair).status_code == 204
    assert world.deliveries(id=claimed.id)[0].status == "delivered"


def client(fake, timeout: float = 5.0) -> TwilioSms:
    return TwilioSms(make_client(account_sid=SID, auth_token=TOKEN, api_base=fake.url, timeout=timeout),
                     from_="+15005550006", messaging_service_sid=None, public_url="http://127.0.0.1:1")


def message(to: str) -> Message:
    return Message(delivery_id=1, channel="sms", address=to, text="测试")


@pytest.mark.parametrize(("behaviour", "permanent", "bad_address"), [
    (Behaviour(400, 21211), True, True),
    (Behaviour(400, 21610), True, True),
    (Behaviour(400, 21408), True, False),
    (Behaviour(401, 20003), True, False),
    (Behaviour(429, 20429), False, False),
    (Behaviour(500, 20500), False, False),
    (Behaviour(503, None), False, False),
])
def test_twilio_errors_are_translated(fake, behaviour, permanent, bad_address):
    fake.behaviour["+8613800000001"] = behaviour
    with pytest.raises(TransportError) as caught:
        client(fake).send(message("+8613800000001"))
    assert (caught.value.permanent, caught.value.bad_address) == (permanent, bad_address)
    assert str(behaviour.status) in caught.value.reason


def test_an_answer_that_comes_too_late_is_ambiguous_and_a_refused_connection_is_not(fake):
    fake.behaviour["+8613800000001"] = Behaviour(delay=1.5)
    with pytest.raises(TransportError) as caught:
        client(fake, timeout=0.5).send(message("+8613800000001"))
    # the request was written: Twilio may have it, so the worker must not simply send it again
    assert not caught.value.permanent and caught.value.ambiguous and "ReadTimeout" in caught.value.reason
    from tests.notifying import free_port

    nowhere = TwilioSms(make_client(account_sid=SID, auth_token=TOKEN, api_base=f"http://127.0.0.1:{free_port()}",
                                    timeout=2), from_="+15005550006", messaging_service_sid=None,
                       public_url="http://127.0.0.1:1")
    with pytest.raises(TransportError) as refused:
        nowhere.send(message("+8613800000001"))
    assert not refused.value.permanent and not refused.value.ambiguous
    fake.behaviour["+8613800000002"] = Behaviour(delay=0.3)
    assert client(fake, timeout=5).send(message("+8613800000002")).provider_id.startswith("SM")


def test_rate_limits_and_server_errors_retry_until_sent_and_a_bad_number_is_flagged(live, fake):
    world = live
    fake.behaviour["+8613800000002"] = Behaviour(429, 20429)
    fake.behaviour["+8613800000003"] = Behaviour(400, 21211)
    world.issue("orange")
    worker = world.dispatcher(real_transports(world), backoff_seconds=10)
    worker.run(once=True)
    by_address = {d.address: d for d in world.deliveries(channel="sms")}
    assert by_address["+8613800000002"].status == "pending" and "429" in by_address["+8613800000002"].error
    assert by_address["+8613800000003"].status == "failed" and "21211" in by_address["+8613800000003"].error
    del fake.behaviour["+8613800000002"]
    world.clock.advance(seconds=10)
    worker.run(once=True)
    assert world.deliveries(address="+8613800000002", channel="sms")[0].status == "sent"


def test_sends_whose_answer_was_lost_are_reconciled_with_twilio_not_resent_blindly(live, fake):
    """One message Twilio took but answered too late; one it never took (it hung before). Both end
    `unknown`; asking Twilio's message list then marks the first sent (its SID) and sends the
    second again, once. Nothing reaches a phone twice."""
    import threading

    world = live
    world.providers.twilio.timeout = 0.5
    fake.behaviour["+8613800000002"] = Behaviour(hang_after_accept=1.5)
    fake.behaviour["+8613800000003"] = Behaviour(delay=1.5)
    world.issue("orange")
    worker = world.dispatcher(real_transports(world), backoff_seconds=10)
    worker.run(once=True)
    two, three = (world.deliveries(address=a, channel="sms")[0] for a in ("+8613800000002", "+8613800000003"))
    assert (two.status, three.status) == ("unknown", "unknown") and "may have it" in two.error
    fake.behaviour.clear()
    world.clock.advance(seconds=30)
    from alerts.flow import Flow

    worker._reconcile(Flow(), threading.Event())
    two, three = (world.deliveries(address=a, channel="sms")[0] for a in ("+8613800000002", "+8613800000003"))
    taken = {r.form["To"]: r.sid for r in fake.accepted()}
    assert two.status == "sent" and two.provider_id == taken["+8613800000002"]
    assert three.status == "pending" and "never took it" in three.error
    world.clock.advance(seconds=11)
    worker.run(once=True)
    assert world.deliveries(address="+8613800000003", channel="sms")[0].status == "sent"
    assert Counter(r.form["To"] for r in fake.accepted())["+8613800000003"] == 1
    assert Counter(r.form["To"] for r in fake.accepted())["+8613800000002"] == 1
