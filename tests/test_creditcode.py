import pytest

from lists import creditcode

# Published codes of real companies (business licences are public in China).
REAL = [
    "91350100M000100Y43",  # the example printed in GB 32100-2015 guidance
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91110000802100433B",  # Beijing Baidu Netcom Science and Technology Co., Ltd.
    "91110108551385082Q",  # Beijing Xiaomi Technology Co., Ltd.
    "91330100799655058B",  # Alibaba (China) Co., Ltd.
    "9144030071526726XG",  # Tencent Technology (Shenzhen) Co., Ltd.
    "91440300708461136T",  # Shenzhen Tencent Computer Systems Co., Ltd.
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert creditcode.problem(code) is None


@pytest.mark.parametrize("code", REAL)
def test_any_other_check_character_is_refused_and_the_right_one_named(code):
    for wrong in creditcode.ALPHABET.replace(code[17], ""):
        zh, en = creditcode.problem(code[:17] + wrong)
        assert f"should be '{code[17]}'" in en and code[17] in zh


def test_a_changed_body_character_is_caught():
    code = REAL[1]
    assert creditcode.problem(code[:10] + ("1" if code[10] != "1" else "2") + code[11:]) is not None


@pytest.mark.parametrize("code,words", [
    ("91110000802100433", "18 characters"),
    ("91110000802100433BB", "18 characters"),
    ("9111000080210O433B", "not allowed"),  # letter O is never used
    ("91AB0000802100433B", "must be digits"),
])
def test_malformed_codes_are_refused(code, words):
    assert words in creditcode.problem(code)[1]


def test_made_codes_are_valid():
    for body in ("00000000", "12345678", "99999999", "80210043"):
        assert creditcode.is_valid(creditcode.make("91", "110115", body))
