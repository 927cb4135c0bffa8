"""Twilio's calls to us: status callbacks, inbound SMS, and the voice call's script and keypress.
Every request is checked against its X-Twilio-Signature for the public URL it was sent to."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from alerts import service as alerts
from alerts.models import Delivery
from alerts.transports.twilio import callback_outcome
from config.db import utcnow
from emergency.notices import inbound
from emergency.notices.render import Renderer
from emergency.web.deps import settings_of, transaction

router = APIRouter(prefix="/webhooks/twilio", include_in_schema=False)
VOICE_LANG = {"zh": "zh-CN", "en": "en-US"}


async def signed(request: Request) -> dict[str, str]:
    """The form parameters, once the signature proves Twilio sent them. 403 otherwise."""
    settings = settings_of(request)
    if not settings.twilio:
        raise HTTPException(403, "Twilio is not configured")
    form = {k: v for k, v in (await request.form()).multi_items()}
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
        raise HTTPException(403, "bad signature")
    return form


def xml(body: object) -> Response:
    return Response(str(body), media_type="application/xml")


@router.post("/status")
def status(request: Request, form: dict = Depends(signed), session: Session = Depends(transaction, scope="function")) -> Response:
    raw = form.get("MessageStatus") or form.get("CallStatus") or ""
    ours, error, bad = callback_outcome(raw, form.get("ErrorCode"))
    delivery_id = request.query_params.get("d")
    delivery = alerts.apply_status(session, delivery_id=int(delivery_id) if delivery_id and delivery_id.isdigit() else None,
                                   provider_id=form.get("MessageSid") or form.get("CallSid"), status=ours,
                                   provider_status=raw, error=error, now=utcnow())
    if delivery is not None and bad:
        alerts.flag(session, address=delivery.address, channel=delivery.channel, reason=error, now=utcnow(),
                    actor="twilio")
    return Response(status_code=204)


@router.post("/sms")
def sms(request: Request, form: dict = Depends(signed), session: Session = Depends(transaction, scope="function")) -> Response:
    answer = inbound.sms(session, settings_of(request), sender=form.get("From", ""), body=form.get("Body", ""),
                         now=utcnow())
    reply = MessagingResponse()
    reply.message(answer)
    return xml(reply)


@router.post("/voice/{delivery_id}")
def voice(request: Request, delivery_id: int, form: dict = Depends(signed),
          session: Session = Depends(transaction, scope="function")) -> Response:
    """The call's script: the notice read out, press 1 to acknowledge."""
    settings = settings_of(request)
    lang = VOICE_LANG[settings.app.notify.language]
    delivery = session.get(Delivery, delivery_id)
    call = VoiceResponse()
    message = Renderer(settings)(session, [delivery]).get(delivery_id) if delivery is not None else None
    if message is None or isinstance(message, str):
        call.say("通知已失效。" if lang == "zh-CN" else "This notice is no longer current.", language=lang)
        return xml(call)
    gather = Gather(num_digits=1, action=f"{settings.public_url}/webhooks/twilio/voice/{delivery_id}/key",
                    method="POST", timeout=8)
    gather.say(message.text, language=lang)
    call.append(gather)
    call.say("未收到按键，再见。" if lang == "zh-CN" else "No key pressed. Goodbye.", language=lang)
    return xml(call)


@router.post("/voice/{delivery_id}/key")
def key(request: Request, delivery_id: int, form: dict = Depends(signed),
        session: Session = Depends(transaction, scope="function")) -> Response:
    lang = VOICE_LANG[settings_of(request).app.notify.language]
    done = inbound.keypress(session, delivery_id=delivery_id, digits=form.get("Digits", ""), now=utcnow())
    call = VoiceResponse()
    zh = "已确认收到，谢谢。" if done else "未确认。请通过短信链接确认。"
    en = "Receipt confirmed, thank you." if done else "Not confirmed. Please use the link in your text message."
    call.say(zh if lang == "zh-CN" else en, language=lang)
    return xml(call)
