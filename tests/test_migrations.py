"""The schema migrates with the data in it: 0003 (two-level areas, free-text users) → head."""
from __future__ import annotations

import base64
import hashlib

from alembic import command
from sqlalchemy import text

from accounts import service as accounts
from config.db import make_engine, make_sessionmaker, utcnow
from emergency.database import alembic_config, upgrade

SCRYPT = ("scrypt$16384$8$1$" + base64.b64encode(bytes(16)).decode() + "$"
          + base64.b64encode(hashlib.scrypt(b"old-pass", salt=bytes(16), n=16384, r=8, p=1)).decode())


def test_areas_units_users_and_requests_of_revision_0003_survive_the_upgrade(db_url):
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0003")
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as c:
        c.execute(text("INSERT INTO areas (id, name, kind, parent_id) VALUES (1, '大兴区', 'district', NULL), "
                       "(2, '黄村镇', 'town', 1)"))
        c.execute(text("INSERT INTO units (id, name, kind, area_id, contact_name) VALUES (1, '区生态环境局', 'department', 1, '王五')"))
        c.execute(text("INSERT INTO users (id, username, display_name, role, password_hash, active, created_at) "
                       "VALUES (1, 'duty', '值班员', 'duty_officer', :h, true, :t)"), {"h": SCRYPT, "t": now})
        c.execute(text("INSERT INTO warnings (id, area_id, rules, level, status, start_at, end_at, created_by, created_at) "
                       "VALUES (1, 1, 'national-2024', 'red', 'draft', :t, :t, 'duty', :t)"), {"t": now})
        c.execute(text("INSERT INTO warning_requests (id, warning_id, seq, kind, status, level, start_at, end_at, reason, "
                       "requested_by, requested_at) VALUES (1, 1, 1, 'issue', 'pending', 'red', :t, :t, 'r', 'Duty', :t)"),
                  {"t": now})
        c.execute(text("INSERT INTO events (at, actor, kind, detail) VALUES (:t, 'duty', 'warning.drafted', '{}')"), {"t": now})
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT id, path FROM areas ORDER BY id")).all() == [(1, "/1/"), (2, "/1/2/")]
        assert c.execute(text("SELECT requested_by_id FROM warning_requests")).scalar() == 1
        assert c.execute(text("SELECT actor_id FROM events")).scalar() == 1
        # units are unique per area now: another district may have its own 区生态环境局
        c.execute(text("INSERT INTO areas (id, name, kind, parent_id, path) VALUES (3, '通州区', 'district', NULL, '/3/')"))
        c.execute(text("INSERT INTO units (id, name, kind, area_id, contact_name) VALUES (2, '区生态环境局', 'department', 3, '赵六')"))
        c.rollback()
    with make_sessionmaker(engine)() as session, session.begin():
        user = accounts.authenticate(session=session, username="duty", password="old-pass", client="t", now=utcnow(),
                                     limits=accounts.Limits())
        assert user.password_hash.startswith("$argon2id$")
    engine.dispose()
