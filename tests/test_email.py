"""Email over SMTP against a real local SMTP server (aiosmtpd)."""
from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller

from alerts.providers.base import Message, TransportError
from alerts.providers.smtp.transport import SmtpEmail
from tests.notifying import free_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def mail(to: str) -> Message:
    return Message(delivery_id=42, channel="email", address=to, subject="【大兴区】红色预警", text="请落实：http://x/a/1",
                   html="<p>请落实</p>")


def test_email_goes_out_as_html_with_a_plain_text_alternative(smtp):
    inbox, port = smtp
    sent = SmtpEmail(host="127.0.0.1", port=port, sender="yj@example.org").send(mail("c1@example.com"))
    [received] = inbox.messages
    assert received["Subject"] == "【大兴区】红色预警" and received["To"] == "c1@example.com"
    assert received.get_body(("plain",)).get_content().strip() == "请落实：http://x/a/1"
    assert "<p>请落实</p>" in received.get_body(("html",)).get_content()
    assert sent.provider_id == received["Message-ID"].strip("<>")


def test_a_refused_mailbox_is_permanent_and_a_bad_address(smtp):
    _, port = smtp
    with pytest.raises(TransportError) as caught:
        SmtpEmail(host="127.0.0.1", port=port, sender="yj@example.org").send(mail("nobody@example.com"))
    assert caught.value.permanent and caught.value.bad_address and "550" in caught.value.reason


def test_a_temporary_refusal_is_transient(smtp):
    _, port = smtp
    with pytest.raises(TransportError) as caught:
        SmtpEmail(host="127.0.0.1", port=port, sender="yj@example.org").send(mail("busy@example.com"))
    assert not caught.value.permanent and "451" in caught.value.reason


def test_an_unreachable_server_is_transient():
    with pytest.raises(TransportError) as caught:
        SmtpEmail(host="127.0.0.1", port=free_port(), sender="yj@example.org", timeout=2).send(mail("c1@example.com"))
    assert not caught.value.permanent and "unreachable" in caught.value.reason
