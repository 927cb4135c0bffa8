"""Property-based run of the JSON API's OpenAPI document (schemathesis), signed in as the duty officer.

Every operation of /api/v1/openapi.json is one test per backend; it gets generated requests (schema
examples, coverage cases and ~25 Hypothesis examples, valid and invalid) and each response must be no
5xx, carry a documented status code and content type, and match its documented schema (where one is
documented: most answers are free-form JSON). The data is the real CLI's demo
(20 enterprises, the staff users).

The document is read at import from an application that is never called (its engine never connects):
schemathesis' fixture-loaded schemas (`schemathesis.pytest.from_fixture`) fail on pytest 9.2
(`'Function' object has no attribute '_nodeid'`). Each case is sent to the application on the demo
database of its backend (`app=`)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from accounts import service as accounts
from accounts.models import TokenKind, User
from config.db import utcnow
from config.settings import Settings
from emergency.web.app import create_app
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from tests.test_cli import run

STAFF = re.compile(r"staff login 员工账号: (\S+) / (\S+)")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class Api:
    """The application on a demo database and the duty officer's API token."""

    def __init__(self, url: str):
        assert run("init", "--db", url).exit_code == 0
        demo = run("demo", "--enterprises", "20", "--db", url)
        assert demo.exit_code == 0, demo.stderr
        self.passwords = dict(STAFF.findall(demo.stderr))
        self.app = create_app(Settings(database_url=url, public_url="http://testserver"))
        with TestClient(self.app) as client:
            answer = client.post("/api/v1/tokens", json={"username": "duty", "password": self.passwords["duty"]})
        assert answer.status_code == 201, answer.text
        self.token = answer.json()["token"]

    def spare_token(self) -> str:
        """A fresh token for the duty officer, for a case that revokes the one it came with. Minted in
        the service layer: by then the fuzzed POST /tokens may have throttled this client's sign-ins."""
        context = self.app.state.context
        with context.sessions() as session, session.begin():
            user = session.scalars(select(User).where(User.username == "duty")).one()
            secret, _ = accounts.start(session=session, user=user, kind=TokenKind.API, client="fuzz", now=utcnow(),
                                       limits=context.limits)
        return secret


@pytest.fixture(scope="module")
def api(databases) -> Iterator[Api]:
    api = Api(databases.new_url())
    yield api
    api.app.state.context.engine.dispose()


schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json", create_app(Settings(database_url="sqlite://", public_url="http://testserver")))


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_answers_every_generated_request_as_documented(case, api):
    revokes = (case.method.upper(), case.path) == ("DELETE", "/api/v1/tokens/current")
    token = api.spare_token() if revokes else api.token
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, app=api.app)
