"""A real worker process killed with SIGKILL in the middle of its sends (the real twilio client
against the local Twilio-speaking server): another worker finishes the work; nothing is lost, and
only what the dead one had in flight can reach a phone twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from config.db import utcnow
from tests.fake_twilio import Behaviour, FakeTwilio
from tests.notifying import make_world

SID, TOKEN = "AC" + "e" * 32, "fault-token"
EMERGENCY = str(Path(sys.executable).parent / "emergency")
CONCURRENCY = 4


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as server:
        yield server


def taken(fake) -> Counter:
    found = Counter()
    for record in fake.accepted():
        query = parse_qs(urlparse(record.callback or "").query)
        if "d" in query:
            found[int(query["d"][0])] += 1
    return found


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_at_most_its_sends_in_flight(db_url, tmp_path, fake):
    world = make_world(db_url, tmp_path)
    world.clock.now = utcnow()  # the workers run on the real clock
    world.issue("orange")
    config = tmp_path / "faults.toml"
    config.write_text(f"[notify]\nconcurrency = {CONCURRENCY}\nclaim_timeout_seconds = 10\n"
                      "channels = {{ enterprise = [\"sms\"], unit = [\"sms\"] }}\n".replace("{{", "{").replace("}}", "}"))
    env = os.environ | {"EMERGENCY_DATABASE_URL": db_url, "EMERGENCY_CONFIG": str(config), "EMERGENCY_SECRET_KEY": "t",
                        "EMERGENCY_TWILIO__ACCOUNT_SID": SID, "EMERGENCY_TWILIO__AUTH_TOKEN": TOKEN,
                        "EMERGENCY_TWILIO__FROM": "+15005550006", "EMERGENCY_TWILIO__API_BASE": fake.url}
    fake.decide = lambda form: Behaviour(hang_after_accept=0.4)  # every send takes its time
    dead = subprocess.Popen([EMERGENCY, "notify", "run", "--name", "dead"], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while sum(taken(fake).values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    dead.send_signal(signal.SIGKILL)
    dead.wait(timeout=10)
    fake.decide = None
    time.sleep(10.5)  # its lease runs out
    alive = subprocess.run([EMERGENCY, "notify", "run", "--once", "--name", "alive"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert alive.returncode == 0, alive.stderr[-500:]
    sms = world.deliveries(channel="sms")
    counts = taken(fake)
    assert {d.status for d in sms} == {"sent"}
    assert all(counts[d.id] >= 1 for d in sms)  # nothing lost
    twice = [i for i, n in counts.items() if n > 1]
    assert all(counts[i] == 2 for i in twice) and len(twice) <= CONCURRENCY  # only what was in flight at the kill
