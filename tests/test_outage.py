"""The dispatch worker outlives its database: connections cut mid-send (PostgreSQL behind a proxy
that drops every connection and refuses new ones for a while), and it goes on, losing nothing and
sending nothing twice."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.engine import make_url

from alerts.models import Status
from config.db import make_engine, make_sessionmaker
from tests.notifying import FakeTransport, make_world
from tests.tcp_proxy import Proxy


class CuttingTransport(FakeTransport):
    """Sends like the fake, and cuts the database away right after its `at`-th send, for `seconds`."""

    def __init__(self, channel: str, proxy: Proxy, at: int, seconds: float):
        super().__init__(channel)
        self.proxy, self.at, self.seconds = proxy, at, seconds

    def send(self, message):
        sent = super().send(message)
        if len(self.sent) == self.at:
            self.proxy.cut()
            threading.Timer(self.seconds, self.proxy.restore).start()
        return sent


def test_the_worker_rides_out_a_database_outage_mid_batch_and_sends_everything_once(db_url, tmp_path):
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a connection to cut needs a server: PostgreSQL")
    world = make_world(db_url, tmp_path)
    world.clock = time_now = __import__("config.db", fromlist=["utcnow"]).utcnow  # real time: backoff is real
    world.issue("orange", start_hours=16)
    expected = len(world.deliveries(channel="sms"))
    proxy = Proxy((url.host, url.port))
    try:
        through = make_engine(url.set(port=proxy.port).render_as_string(hide_password=False), pool_pre_ping=True)
        fakes = dict(world.fakes, sms=CuttingTransport("sms", proxy, at=3, seconds=3.0))
        # A short lease: rows claimed just as the connection died (the claim's answer lost, or the
        # render after it failed) are held by nobody and come back when it runs out.
        worker = world.dispatcher(transports=fakes, batch=5, concurrency=1, claim_timeout_seconds=10)
        worker.sessions, worker.clock = make_sessionmaker(through), time_now
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, kwargs={"stop": stop, "idle": 0.2}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(d.status not in (Status.PENDING, Status.SENDING) for d in world.deliveries()):
                break
            time.sleep(0.3)
        assert thread.is_alive()  # it did not exit on the lost connection
        stop.set()
        thread.join(timeout=30)
        worker.close()
    finally:
        proxy.close()
    sms = world.deliveries(channel="sms")
    assert len(sms) == expected and {d.status for d in sms} == {Status.SENT}
    sent_ids = [m.delivery_id for m in fakes["sms"].sent]
    assert sorted(sent_ids) == sorted(d.id for d in sms)  # each exactly once: the outcomes waited for the database
    through.dispose()
