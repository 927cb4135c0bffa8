"""A local HTTP server that speaks Twilio's Messages and Calls API (2010-04-01) for the real twilio
client, answers per destination number as told (success, an error code, slowness), and sends
status callbacks signed the way Twilio signs them."""
from __future__ import annotations

import email.utils
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests
from twilio.request_validator import RequestValidator


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default 5 drops connections under a benchmark's load


@dataclass
class Behaviour:
    status: int = 201
    code: int | None = None
    delay: float = 0.0  # before anything: a request that times out was never taken
    hang_after_accept: float = 0.0  # the message is taken, and the answer comes this late


@dataclass
class Record:
    kind: str  # Messages or Calls
    sid: str
    form: dict
    callback: str | None
    statuses: list = field(default_factory=list)
    created: str = field(default_factory=lambda: email.utils.formatdate(usegmt=True))  # RFC 2822, as Twilio


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, *, auto: tuple[str, ...] = ()):
        self.account_sid, self.validator = account_sid, RequestValidator(auth_token)
        self.behaviour: dict[str, Behaviour] = {}
        self.records: dict[str, Record] = {}
        self.auto = auto  # statuses to call back with after each accepted message, in order
        self.decide = None  # optional: form → Behaviour, for every request (a misbehaving provider)
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.callbacks = requests.Session()

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self, kind: str = "Messages") -> list[Record]:
        with self.lock:
            return [r for r in self.records.values() if r.kind == kind]

    def sign(self, url: str, params: dict) -> str:
        return self.validator.compute_signature(url, params)

    def callback(self, sid: str, status: str, error_code: int | None = None, *, signature: str | None = None):
        """POST a status callback for a message or call, as Twilio does; returns the response."""
        record = self.records[sid]
        key = "MessageSid" if record.kind == "Messages" else "CallSid"
        params = {key: sid, "AccountSid": self.account_sid, "To": record.form.get("To", ""),
                  ("MessageStatus" if record.kind == "Messages" else "CallStatus"): status}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        record.statuses.append(status)
        return self.callbacks.post(record.callback, data=params, timeout=10,
                                   headers={"X-Twilio-Signature": signature or self.sign(record.callback, params)})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                """The Messages list, filtered by To, newest first (what reconciliation reads)."""
                path, _, query = self.path.partition("?")
                if not path.endswith("/Messages.json") or f"/Accounts/{fake.account_sid}/" not in path:
                    return self._json(404, {"code": 20404, "message": "not found", "status": 404})
                to = dict(parse_qsl(query)).get("To")
                with fake.lock:
                    found = [r for r in fake.records.values() if r.kind == "Messages" and (to is None or r.form.get("To") == to)]
                items = [{"sid": r.sid, "to": r.form.get("To"), "body": r.form.get("Body"), "status": "queued",
                          "date_created": r.created, "date_sent": r.created} for r in reversed(found)]
                self._json(200, {"messages": items, "next_page_uri": None, "page": 0, "page_size": 50,
                                 "uri": path, "first_page_uri": path, "previous_page_uri": None, "start": 0, "end": len(items)})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                kind = self.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
                if kind not in ("Messages", "Calls") or f"/Accounts/{fake.account_sid}/" not in self.path:
                    return self._json(404, {"code": 20404, "message": "The requested resource was not found",
                                            "status": 404})
                behaviour = fake.decide(form) if fake.decide else fake.behaviour.get(form.get("To", ""), Behaviour())
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                if behaviour.status >= 300:
                    return self._json(behaviour.status, {"code": behaviour.code, "status": behaviour.status,
                                                         "message": f"fake error {behaviour.code}",
                                                         "more_info": f"https://www.twilio.com/docs/errors/{behaviour.code}"})
                sid = ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
                with fake.lock:
                    fake.records[sid] = Record(kind, sid, form, form.get("StatusCallback"))
                if behaviour.hang_after_accept:
                    time.sleep(behaviour.hang_after_accept)
                self._json(201, {"sid": sid, "account_sid": fake.account_sid, "to": form.get("To"),
                                 "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                                 "messaging_service_sid": form.get("MessagingServiceSid"), "num_segments": "1",
                                 "uri": f"/2010-04-01/Accounts/{fake.account_sid}/{kind}/{sid}.json"})
                if fake.auto and form.get("StatusCallback"):
                    threading.Thread(target=lambda: [fake.callback(sid, s) for s in fake.auto], daemon=True).start()

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
