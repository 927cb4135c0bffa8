from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from config import rulesets
from config.events import Event, EventKind
from config.settings import ConfigError, Settings
from accounts.passwords import hash_password, verify
from tests.factories import make_records, run_import, write_xlsx


def test_shipped_rule_sets_load_with_their_levels_and_ratios():
    national, legacy = rulesets.load("national-2024"), rulesets.load("legacy-2017")
    assert [(l.key, l.required) for l in national.levels] == [("yellow", 0.1), ("orange", 0.2), ("red", 0.3)]
    assert legacy.keys == ["blue", "yellow", "orange", "red"]
    assert national.level("红色").key == national.level("红").key == national.level("RED").key == "red"
    with pytest.raises(KeyError):
        national.level("蓝色")


def test_a_broken_rule_set_is_refused_with_its_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[[levels]]\nkey = "red"\nzh = "红色"\nrequired = 0.3\n'
                    'triggers = [{ days = 1, above = 200, from = 300 }]\n')
    with pytest.raises(ConfigError, match="mine.toml"):
        rulesets.load(str(path))
    with pytest.raises(ConfigError, match="national-2024"):
        rulesets.load("no-such-rules")


def test_config_file_overrides_the_shipped_defaults(tmp_path, monkeypatch):
    path = tmp_path / "site.toml"
    path.write_text('[areas."大兴区"]\ninventory = { so2 = 1200.0 }\nrequired = { red = 0.35 }\n')
    monkeypatch.setenv("EMERGENCY_CONFIG", str(path))
    app = Settings().app
    assert app.rules == "national-2024" and app.areas["大兴区"].inventory == {"so2": 1200.0}
    path.write_text('[areas."大兴区"]\ninventory = { co2 = 1.0 }\n')
    with pytest.raises(ConfigError, match="co2"):
        Settings().app


def test_unknown_time_zone_fails_fast(monkeypatch):
    monkeypatch.setenv("EMERGENCY_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings()


def test_passwords_are_stored_hashed_and_verified():
    stored = hash_password("s3cret-密码")
    assert stored.startswith("$argon2id$") and "s3cret" not in stored and stored != hash_password("s3cret-密码")
    assert verify("s3cret-密码", stored) == (True, False) and verify("wrong", stored) == (False, False)
    assert verify("x", "garbage") == (False, False) and verify("x", None) == (False, False)
    # a hash of the scrypt era still verifies, and asks to be replaced
    legacy = ("scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + __import__("base64").b64encode(__import__("hashlib").scrypt(
        b"old-pass", salt=bytes(16), n=16384, r=8, p=1)).decode())
    assert verify("old-pass", legacy) == (True, True) and verify("other", legacy) == (False, True)


def test_import_writes_one_event_with_who_and_what(session, tmp_path):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    result = run_import(session, write_xlsx(tmp_path / "ok.xlsx", make_records(2)))
    event = session.scalars(select(Event).where(Event.kind == EventKind.LISTS_IMPORTED)).one()
    assert (event.actor, event.subject_type, event.subject_id) == ("tester", "import", result.import_id)
    assert event.detail["versions_created"] == 2 and event.detail["source"] == "ok.xlsx"
    assert event.at.tzinfo is not None and event.at >= before  # stored in UTC, read back aware


def test_naive_datetimes_are_refused(session):
    session.add(Event(at=datetime(2026, 1, 1), actor="x", kind="k", detail={}))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
