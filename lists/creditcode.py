"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):
registration authority (1), entity type (1), administrative division (6 digits),
organization code (9), check character (1). The check character makes the weighted sum of
all 18 positions a multiple of 31, with weights 3^i mod 31."""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28

# GB 11714-1997 organization code (positions 9–17) check, used to generate realistic codes.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters; raises ValueError on a bad character."""
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> tuple[str, str] | None:
    """What is wrong with the code, in Chinese and English, or None when it is valid."""
    if len(code) != 18:
        return (f"应为18位，实际{len(code)}位", f"must be 18 characters, got {len(code)}")
    bad = sorted({ch for ch in code if ch not in VALUES})
    if bad:
        shown = "、".join(bad)
        return (f"含有不允许的字符：{shown}（不使用I、O、S、V、Z）",
                f"contains characters not allowed: {', '.join(bad)} (I, O, S, V, Z are never used)")
    if not code[2:8].isdigit():
        return ("第3–8位（行政区划码）应为数字", "characters 3–8 (administrative division) must be digits")
    expected = check_character(code[:17])
    if code[17] != expected:
        return (f"校验码错误：第18位应为“{expected}”，实际为“{code[17]}”",
                f"wrong check character: the 18th character should be '{expected}', not '{code[17]}'")
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def make(authority_type: str, division: str, org_body: str) -> str:
    """A valid code from a 2-character prefix, a 6-digit division and 8 digits of organization code."""
    org_total = sum(int(d) * w for d, w in zip(org_body, _ORG_WEIGHTS, strict=True))
    org_check = (11 - org_total % 11) % 11
    first17 = authority_type + division + org_body + ("X" if org_check == 10 else str(org_check))
    return first17 + check_character(first17)
