"""The providers' settings and registry: nested variables per provider, the channel's provider from
configuration (else the simulator), clear errors at start naming the variable, secrets kept out of
reprs, and the layering (alerts knows nothing of the workflow; the workflow names no provider)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts import providers
from alerts.providers.base import TransportError
from alerts.providers.settings import ProviderSettings, load
from alerts.providers.simulator.transport import SimulatorTransport
from alerts.providers.smtp.transport import SmtpEmail
from alerts.providers.templates import Templates
from alerts.providers.twilio.transport import TwilioSms, TwilioVoice
from config.settings import ConfigError
from emergency.cli import main

ROOT = Path(__file__).resolve().parent.parent
SID = "AC" + "0" * 32
TWILIO = {"EMERGENCY_TWILIO__ACCOUNT_SID": SID, "EMERGENCY_TWILIO__AUTH_TOKEN": "very-secret-token",
          "EMERGENCY_TWILIO__FROM": "+15005550006"}


@pytest.fixture
def env(monkeypatch):
    def set_(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    return set_


def test_without_providers_every_channel_goes_to_the_simulator():
    settings = load()
    assert settings.routes() == {"sms": ["simulator"], "voice": ["simulator"], "email": ["simulator"]}
    assert providers.simulated(settings)
    built = providers.build(settings, None, public_url="http://x")
    assert all(isinstance(t, SimulatorTransport) and t.channel == c for c, t in built.items())


def test_nested_variables_configure_each_provider_and_its_channels(env):
    env(**TWILIO, EMERGENCY_TWILIO__SIGNATURE="北京市大兴区应急办", EMERGENCY_SMTP__HOST="mail.example.org",
        EMERGENCY_SMTP__PORT="2525", EMERGENCY_SMTP__PASSWORD="mail-secret", EMERGENCY_SMTP__FROM="yj@example.org")
    settings = load()
    assert settings.routes() == {"sms": ["twilio"], "voice": ["twilio"], "email": ["smtp"]}
    assert not providers.simulated(settings) and not settings.uses("simulator")
    built = providers.build(settings, None, public_url="http://x")
    assert isinstance(built["sms"], TwilioSms) and isinstance(built["voice"], TwilioVoice)
    assert built["sms"].signature == "北京市大兴区应急办" and built["sms"].client is built["voice"].client
    assert isinstance(built["email"], SmtpEmail)
    assert (built["email"].port, built["email"].sender) == (2525, "yj@example.org")
    shown = repr(settings) + str(settings) + repr(built)
    assert "very-secret-token" not in shown and "mail-secret" not in shown


def test_a_channel_can_be_kept_on_the_simulator_while_its_provider_is_configured(env):
    env(**TWILIO, EMERGENCY_CHANNELS__VOICE="simulator")
    assert load().routes() == {"sms": ["twilio"], "voice": ["simulator"], "email": ["simulator"]}


@pytest.mark.parametrize(("values", "message"), [
    ({"EMERGENCY_TWILIO__ACCOUNT_SID": SID, "EMERGENCY_TWILIO__FROM": "+1500"},
     "EMERGENCY_TWILIO__AUTH_TOKEN: Field required"),
    ({**TWILIO, "EMERGENCY_TWILIO__ACCOUNT_SID": "nope"}, "EMERGENCY_TWILIO__ACCOUNT_SID: String should match"),
    ({"EMERGENCY_TWILIO__ACCOUNT_SID": SID, "EMERGENCY_TWILIO__AUTH_TOKEN": "t"}, "EMERGENCY_TWILIO__FROM"),
    ({**TWILIO, "EMERGENCY_TWILIO__API_BASE": "ftp://x"}, "EMERGENCY_TWILIO__API_BASE: 'ftp://x' is not an http(s) URL"),
    ({**TWILIO, "EMERGENCY_TWILIO__SIGNATURE": "【大兴区应急办 值班室】"}, "EMERGENCY_TWILIO__SIGNATURE: the SMS signature"),
    ({"EMERGENCY_SMTP__PORT": "25"}, "EMERGENCY_SMTP__HOST: Field required"),
    ({"EMERGENCY_CHANNELS__SMS": "aliyun"}, "EMERGENCY_CHANNELS__SMS: unknown provider 'aliyun'"),
    ({"EMERGENCY_CHANNELS__SMS": "smtp"}, "EMERGENCY_CHANNELS__SMS: smtp does not serve sms"),
    ({"EMERGENCY_CHANNELS__SMS": "twilio"}, "EMERGENCY_CHANNELS__SMS names twilio, which is not configured"),
    ({**TWILIO, "EMERGENCY_CHANNELS__SMS": "twilio,simulator"}, "name exactly one provider (failover"),
    ({"EMERGENCY_CHANNELS__FAX": "simulator"}, "EMERGENCY_CHANNELS__FAX: unknown channel"),
    ({"EMERGENCY_TWILIO_ACCOUNT_SID": SID}, "EMERGENCY_TWILIO_ACCOUNT_SID is no longer read: provider settings are "
                                            "nested, use EMERGENCY_TWILIO__ACCOUNT_SID"),
])
def test_bad_provider_settings_fail_at_start_naming_the_variable(env, values, message):
    env(**values)
    with pytest.raises(ConfigError) as caught:
        load()
    assert message in str(caught.value)
    assert "very-secret-token" not in str(caught.value)


def test_a_command_with_bad_provider_settings_exits_1_with_the_message(tmp_path):
    result = CliRunner().invoke(main, ["notify", "run", "--once", "--db", f"sqlite:///{tmp_path}/x.db"],
                                env={"EMERGENCY_CHANNELS__EMAIL": "smtp"})
    assert result.exit_code == 1
    assert "EMERGENCY_CHANNELS__EMAIL names smtp, which is not configured" in result.output


def test_registered_templates_name_the_missing_code_and_take_a_signature_without_brackets():
    templates = Templates(signature="【北京市大兴区应急办】", sms={"notice": "SMS_123456789"})
    assert templates.signature == "北京市大兴区应急办"
    assert templates.code("sms", "notice", provider="aliyun") == "SMS_123456789"
    with pytest.raises(TransportError) as caught:
        templates.code("sms", "reminder", provider="aliyun")
    assert caught.value.permanent and "EMERGENCY_ALIYUN__TEMPLATES__SMS__REMINDER" in caught.value.reason
    with pytest.raises(ValueError, match="2 to 12"):
        Templates(signature="北京市大兴区空气重污染应急指挥部")


def imports(folder: str) -> set[str]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
    return found


def test_alerts_imports_only_config_of_the_project_and_the_workflow_names_no_provider():
    assert imports("alerts") & {"emergency", "lists", "areas", "accounts"} == set()
    assert "alerts" not in imports("config")
    for path in (ROOT / "emergency").rglob("*.py"):
        text = path.read_text()
        assert "twilio" not in text.lower() and "/webhooks/" not in text, path
    for path in (ROOT / "emergency").rglob("*.j2"):
        assert "webhooks" not in path.read_text(), path


def test_the_app_mounts_a_providers_callbacks_only_when_it_is_configured(tmp_path):
    from fastapi.testclient import TestClient

    from alerts.providers.twilio.settings import TwilioSettings
    from config.settings import Settings
    from emergency.web.app import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db", secret_key="k")
    twilio = ProviderSettings(twilio=TwilioSettings(account_sid=SID, auth_token="t", from_="+1500"))
    for path in ("/webhooks/twilio/status", "/webhooks/twilio/sms", "/webhooks/twilio/voice/1",
                 "/webhooks/twilio/voice/1/key"):
        with TestClient(create_app(settings, ProviderSettings())) as client:
            assert client.post(path, data={"Body": "1"}).status_code == 404
        with TestClient(create_app(settings, twilio)) as client:
            assert client.post(path, data={"Body": "1"}).status_code == 403  # there, and unsigned
