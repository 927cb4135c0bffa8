"""Twilio's calls to us: status callbacks, inbound SMS, and the voice call's script and keypress.
Every request is checked against its X-Twilio-Signature for the public URL it was sent to; what a
reply or a key means, and what a call says, the workflow answers (`Inbound`)."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from alerts import service as alerts
from alerts import sms
from alerts.providers.base import CALL_WORDS, Inbound
from alerts.providers.twilio.errors import callback_outcome
from alerts.providers.twilio.settings import TwilioSettings
from alerts.providers.twilio.transport import PREFIX
from config.db import utcnow

VOICE_LANG = {"zh": "zh-CN", "en": "en-US"}


def xml(body: object) -> Response:
    return Response(str(body), media_type="application/xml")


def router(config: TwilioSettings, *, public_url: str, inbound: Inbound, transaction: Callable) -> APIRouter:
    """The webhooks, for the account of `config`, reached at `public_url`."""
    api = APIRouter(prefix=PREFIX, include_in_schema=False)
    validator = RequestValidator(config.auth_token.get_secret_value())

    async def signed(request: Request) -> dict[str, str]:
        """The form parameters, once the signature proves Twilio sent them. 403 otherwise."""
        form = {k: v for k, v in (await request.form()).multi_items()}
        url = public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            raise HTTPException(403, "bad signature")
        return form

    db = Depends(transaction, scope="function")

    @api.post("/status")
    def status(request: Request, form: dict = Depends(signed), session: Session = db) -> Response:
        raw = form.get("MessageStatus") or form.get("CallStatus") or ""
        ours, error, bad = callback_outcome(raw, form.get("ErrorCode"))
        delivery_id = request.query_params.get("d")
        delivery = alerts.apply_status(session, delivery_id=int(delivery_id) if delivery_id and delivery_id.isdigit()
                                       else None, provider_id=form.get("MessageSid") or form.get("CallSid"),
                                       status=ours, provider_status=raw, error=error, now=utcnow())
        if delivery is not None and bad:
            alerts.flag(session, address=delivery.address, channel=delivery.channel, reason=error, now=utcnow(),
                        actor="twilio")
        return Response(status_code=204)

    @api.post("/sms")
    def reply(form: dict = Depends(signed), session: Session = db) -> Response:
        answer = inbound.reply(session, sender=form.get("From", ""), body=form.get("Body", ""), now=utcnow())
        response = MessagingResponse()
        response.message(sms.signed(answer, config.signature))
        return xml(response)

    @api.post("/voice/{delivery_id}")
    def voice(delivery_id: int, form: dict = Depends(signed), session: Session = db) -> Response:
        """The call's script, then press 1 to acknowledge."""
        words, lang = CALL_WORDS[inbound.lang], VOICE_LANG[inbound.lang]
        call = VoiceResponse()
        script = inbound.script(session, delivery_id=delivery_id)
        if script is None:
            call.say(words["gone"], language=lang)
            return xml(call)
        gather = Gather(num_digits=1, action=f"{public_url}{PREFIX}/voice/{delivery_id}/key", method="POST", timeout=8)
        gather.say(script, language=lang)
        call.append(gather)
        call.say(words["silent"], language=lang)
        return xml(call)

    @api.post("/voice/{delivery_id}/key")
    def key(delivery_id: int, form: dict = Depends(signed), session: Session = db) -> Response:
        done = inbound.keypress(session, delivery_id=delivery_id, digits=form.get("Digits", ""), now=utcnow())
        call = VoiceResponse()
        call.say(CALL_WORDS[inbound.lang]["acknowledged" if done else "not_acknowledged"],
                 language=VOICE_LANG[inbound.lang])
        return xml(call)

    return api
