"""How many SMS segments a text takes. GSM 7-bit texts: 160 characters, 153 per part; anything
else (Chinese) is UCS-2: 70 characters, 67 per part, counted in UTF-16 code units."""
from __future__ import annotations

import math

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def segments(text: str) -> int:
    """The number of segments the text is sent in (1 for an empty text)."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = len(text) + sum(c in GSM7_EXTENDED for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


def length(text: str) -> int:
    """Characters as a UCS-2 SMS counts them."""
    return len(text.encode("utf-16-le")) // 2
