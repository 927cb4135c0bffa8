"""How many SMS segments a text takes, and how much room it has.

Mainland China (+86) counts differently from the GSM standard: the carriers and the providers in
front of them (Aliyun, Tencent) count every character as one — Chinese, Latin, digit, punctuation
or emoji alike — and the 【signature】 the provider puts in front is part of the text: 70 characters
for a single message, 67 per part beyond. Everywhere else the GSM rule holds: GSM 7-bit texts
160 characters, 153 per part; anything else (Chinese) is UCS-2, 70, 67 per part, counted in UTF-16
code units."""
from __future__ import annotations

import math

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAINLAND = "+86"


def signed(text: str, signature: str | None) -> str:
    """The text as the phone shows it: behind 【signature】 when there is one."""
    return f"【{signature}】{text}" if signature else text


def mainland(address: str) -> bool:
    return address.startswith(MAINLAND)


def segments(text: str, address: str = "") -> int:
    """The number of segments the text is sent in to `address` (1 for an empty text)."""
    if mainland(address):
        units, single, part = len(text), 70, 67
    elif all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = len(text) + sum(c in GSM7_EXTENDED for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


def length(text: str, address: str = "") -> int:
    """Characters as the SMS to `address` counts them (UCS-2 code units outside the mainland)."""
    return len(text) if mainland(address) else len(text.encode("utf-16-le")) // 2
