"""The parameters of every SMS purpose: flat text variables, the same a provider's registered
template is filled with. Each SMS template (templates/{lang}/sms_{purpose}.j2) is the mirror of
the registered one and renders from these alone plus `base`, the fixed base URL the registered
template holds, so that what the simulator shows and the length checks count is what a template
provider sends.

A notice has four wordings (to an enterprise, to a unit, a change, a lift), and a registered
template has no branches: each is a purpose of its own. The link is the fixed base followed by the
recipient's path, which is the parameter (the providers' review refuses URLs inside variables).

Mainland carriers count every character and the 【signature】 (70 a message): the notices to
enterprises and units say the level, the time and the link, not the area, which the sender's
signature names — with a signature of nine characters and a base URL of 21 there is no room for
more in one message."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from emergency.notices.render import Context

Params = dict[str, str]


def zh_time(t: datetime) -> str:
    return f"{t.month}月{t.day}日" + (f"{t:%H:%M}" if t.minute else f"{t.hour}时")


def en_time(t: datetime) -> str:
    return f"{t:%d %b %H:%M}"


def purpose(channel: str, purpose: str, context: Context) -> str:
    """The message's purpose: a delivery's, or for an SMS notice the wording of its kind."""
    if channel != "sms" or purpose != "notice":
        return purpose
    if context.kind in ("change", "lift"):
        return context.kind
    return "notice" if context.enterprise else "notice_unit"


def _pick(c: Context, lang: str, *names: str) -> Params:
    time = zh_time if lang == "zh" else en_time
    common = {"area": lambda: c.area, "level": lambda: c.level_zh if lang == "zh" else c.level_en,
              "start": lambda: time(c.start), "end": lambda: time(c.end), "lifted": lambda: time(c.lift_at or c.end),
              "warning": lambda: str(c.warning_id), "unit": lambda: c.unit or "", "path": lambda: c.path}
    return {name: common[name]() for name in names}


def _notice(c: Context, lang: str) -> Params:
    return _pick(c, lang, "level", "start", "path")


def _change(c: Context, lang: str) -> Params:
    return _pick(c, lang, "level", "end", "path")


def _lift(c: Context, lang: str) -> Params:
    return _pick(c, lang, "level", "lifted", "path")


def _reminder(c: Context, lang: str) -> Params:
    # The time it was queued makes every reminder's text differ: providers refuse a third identical
    # text to a number within 24 h.
    return _pick(c, lang, "level", "path") | {"time": f"{c.queued or c.start:%H:%M}"}


def _town(c: Context, lang: str) -> Params:
    return _pick(c, lang, "area", "level", "unit") | {"count": str(c.params["count"])}


def _command(c: Context, lang: str) -> Params:
    p = c.params
    return _pick(c, lang, "area", "level", "warning") | {"count": str(p["count"]), "total": str(p["total"]),
                                                          "after": str(p["after"])}


def _report(c: Context, lang: str) -> Params:
    p = c.params
    daily = p["report"] == "daily"
    title = ("日报" + p["date"][5:] if daily else "总结评估") if lang == "zh" else (
        "daily " + p["date"][5:] if daily else "assessment")
    return _pick(c, lang, "area", "level", "warning") | {
        "report": title, "confirmed": str(p["confirmed"]), "enterprises": str(p["enterprises"]),
        "met": str(sum(1 for r in p["reduction"] if r["ok"])), "cuts": str(len(p["reduction"])),
        "path": _path(p["url"])}


def _path(url: str) -> str:
    """The URL's path and query: the link is rebuilt on the base configured when it is sent."""
    parts = urlsplit(url)
    return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")


def _violation(c: Context, lang: str) -> Params:
    p = c.params
    count = len(p["measures"]) + p["more"]
    if lang == "zh":
        finding = f"{count}项措施未落实" if count else "未按清单落实减排措施"
    else:
        finding = f", {count} measure(s) not in place" if count else ""
    return _pick(c, lang, "area", "unit") | {"enterprise": p["enterprise"][:30], "at": p["at"], "finding": finding}


SMS: dict[str, Callable[[Context, str], Params]] = {
    "notice": _notice, "notice_unit": _notice, "change": _change, "lift": _lift, "reminder": _reminder,
    "town": _town, "command": _command, "report": _report, "violation": _violation}


def sms(purpose: str, context: Context, lang: str) -> Params:
    """The template variables of an SMS of this purpose. Raises KeyError for a purpose with none."""
    return SMS[purpose](context, lang)
