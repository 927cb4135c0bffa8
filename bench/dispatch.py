"""Dispatch benchmark: a red warning over N enterprises (the lists benchmark's workbook) approved on
PostgreSQL, its SMS sent through the real twilio client to the local Twilio-speaking server by one
worker process, then by four; and the webhook intake (signed status callbacks per second).

    .venv/bin/python bench/dispatch.py [--enterprises 100000] [--postgres ADMIN_URL] [--callbacks 5000]

Reported: messages handed over per second, the latency from approval to the last hand-off, and the
fake server's own capacity measured in the same run (the same client, as many threads, no database)."""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accounts.permissions import Actor  # noqa: E402
from lists_import import OUT, _import, fresh_database, generate  # noqa: E402

SID, TOKEN = "AC" + "0" * 32, "bench-token"
THREADS = 16


def serve_fake(port_queue) -> None:
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio(SID, TOKEN)
    port_queue.put(fake.url)
    fake.server.serve_forever()


def settings(url: str, public: str):
    from config.settings import Settings

    s = Settings(database_url=url, public_url=public, secret_key="bench")
    s.app.notify.channels = {"enterprise": ["sms"], "unit": ["sms"]}
    s.app.notify.rate = {"sms": 1e6, "voice": 1e6, "email": 1e6}  # measure capacity, not the configured pace
    s.app.notify.per_recipient_per_day = 10**6
    s.app.notify.concurrency, s.app.notify.batch = THREADS, 500
    return s


def work(url: str, api: str, name: str) -> None:
    from alerts import providers
    from alerts.providers.settings import ProviderSettings
    from alerts.providers.twilio.settings import TwilioSettings
    from alerts.worker import Dispatcher
    from config.db import make_engine, make_sessionmaker
    from emergency.notices.render import Renderer

    s = settings(url, "http://127.0.0.1:9")
    sessions = make_sessionmaker(make_engine(url))
    twilio = TwilioSettings(account_sid=SID, auth_token=TOKEN, from_="+15005550006", api_base=api)
    registry = providers.build(ProviderSettings(twilio=twilio), sessions, public_url=s.public_url, pool=THREADS)
    worker = Dispatcher(sessions=sessions, transports=registry,
                        render=Renderer(s), config=s.app.notify, name=name)
    worker.run(once=True)
    worker.close()


def dispatch(url: str, api: str, workers: int) -> dict:
    from sqlalchemy import func, select, text

    from alerts.models import Delivery
    from config.db import make_engine, make_sessionmaker

    sessions = make_sessionmaker(make_engine(url))
    with sessions() as session, session.begin():
        session.execute(text("UPDATE deliveries SET status = 'pending', attempts = 0, provider_id = NULL, sent_at = NULL, "
                             "claimed_at = NULL, claimed_by = NULL, finished_at = NULL, error = NULL, next_attempt_at = now()"))
        ready = datetime.now(timezone.utc)
    started = time.perf_counter()
    procs = [mp.Process(target=work, args=(url, api, f"w{i}")) for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - started
    with sessions() as session:
        sent, last, statuses = session.execute(select(func.count(Delivery.sent_at), func.max(Delivery.sent_at),
                                                      func.count(func.distinct(Delivery.status)))).one()
        by_status = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        twice = session.scalar(select(func.count()).where(Delivery.attempts > 1))
    return {"workers": workers, "messages": sent, "seconds": round(seconds, 2), "per_second": round(sent / seconds),
            "approval_to_last_handoff_s": round((last - ready).total_seconds(), 2), "statuses": by_status,
            "claimed_twice": twice}


def capacity(api: str, count: int = 20000) -> dict:
    """The fake server alone: the same client, the same threads × processes, no database."""
    started = time.perf_counter()
    with mp.Pool(4) as pool:
        failed = sum(pool.starmap(_hammer, [(api, count // 4)] * 4))
    seconds = time.perf_counter() - started
    return {"messages": count, "failed": failed, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def _hammer(api: str, count: int) -> int:
    from alerts.providers.base import Message, TransportError
    from alerts.providers.twilio.transport import TwilioSms, make_client

    sms = TwilioSms(make_client(account_sid=SID, auth_token=TOKEN, api_base=api, pool=THREADS), from_="+15005550006",
                    messaging_service_sid=None, public_url="http://127.0.0.1:9")
    m = Message(delivery_id=1, channel="sms", address="+8613800000000", text="【大兴区】红色预警" * 3)
    def send(_) -> int:
        try:
            sms.send(m)
            return 0
        except TransportError:
            return 1

    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(send, range(count)))


def intake(url: str, callbacks: int) -> dict:
    """Signed status callbacks into `emergency serve` (uvicorn, one process), from 16 threads."""
    import subprocess

    import requests
    from sqlalchemy import select
    from twilio.request_validator import RequestValidator

    from alerts.models import Delivery
    from config.db import make_engine, make_sessionmaker
    from tests.notifying import free_port

    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = os.environ | {"EMERGENCY_DATABASE_URL": url, "EMERGENCY_PUBLIC_URL": public, "EMERGENCY_TWILIO__ACCOUNT_SID": SID,
                        "EMERGENCY_TWILIO__AUTH_TOKEN": TOKEN, "EMERGENCY_TWILIO__FROM": "+15005550006"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/emergency"), "serve", "--port", str(port)], env=env,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                requests.get(f"{public}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        with make_sessionmaker(make_engine(url))() as session:
            rows = session.execute(select(Delivery.id, Delivery.provider_id).where(Delivery.provider_id.is_not(None))
                                   .limit(callbacks)).all()
        validator = RequestValidator(TOKEN)
        http = requests.Session()
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=THREADS))

        def post(row):
            u = f"{public}/webhooks/twilio/status?d={row.id}"
            params = {"MessageSid": row.provider_id, "MessageStatus": "delivered", "AccountSid": SID}
            return http.post(u, data=params, headers={"X-Twilio-Signature": validator.compute_signature(u, params)},
                             timeout=30).status_code

        def bare(_):
            return http.get(f"{public}/healthz", timeout=30).status_code

        # The floor: the same number of requests, same threads, to an endpoint that does nothing.
        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(bare, rows))
        floor_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            codes = list(pool.map(post, rows))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    return {"callbacks": len(rows), "seconds": round(seconds, 2), "per_second": round(len(rows) / seconds),
            "status_codes": sorted(set(codes)), "floor_healthz_per_second": round(len(rows) / floor_seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("EMERGENCY_BENCH_POSTGRES_URL"))
    parser.add_argument("--callbacks", type=int, default=5000)
    parser.add_argument("--intake-only", action="store_true",
                        help="Send with 4 workers only (to have callbacks to make), then measure the webhook intake.")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("give --postgres ADMIN_URL or EMERGENCY_BENCH_POSTGRES_URL")
    from config import rulesets
    from config.db import make_engine, make_sessionmaker
    from emergency.warnings import service

    path = OUT / f"lists-{args.enterprises}.xlsx"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        generate(path, args.enterprises)
    url = fresh_database("postgresql", args.postgres)
    _import(path, url)
    queue = mp.Queue()
    fake = mp.Process(target=serve_fake, args=(queue,), daemon=True)
    fake.start()
    api = queue.get(timeout=30)
    s = settings(url, "http://127.0.0.1:9")
    sessions, now = make_sessionmaker(make_engine(url)), datetime.now(timezone.utc)
    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=rulesets.load("national-2024"), config=s.app, area="大兴区",
                                level="red", start=now + timedelta(hours=12), end=now + timedelta(days=3),
                                reason="bench", actor=Actor("duty", "duty_officer"), now=now)
    started = time.perf_counter()
    with sessions() as session, session.begin():
        service.approve(session=session, rules=rulesets.load("national-2024"), config=s.app,
                        warning_id=request.warning_id, actor=Actor("chief", "commander"), now=now)
    approve_seconds = time.perf_counter() - started
    if args.intake_only:
        result = {"enterprises": args.enterprises, "runs": [dispatch(url, api, 4)],
                  "webhook_intake": intake(url, args.callbacks)}
    else:
        result = {"enterprises": args.enterprises, "approve_with_deliveries_s": round(approve_seconds, 2),
                  "fake_server_capacity": capacity(api), "runs": [dispatch(url, api, 1), dispatch(url, api, 4)],
                  "webhook_intake": intake(url, args.callbacks)}
    fake.terminate()
    OUT.mkdir(exist_ok=True)
    (OUT / "dispatch.json").write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
