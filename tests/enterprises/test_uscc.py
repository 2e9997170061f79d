"""The Unified Social Credit Code is checked with its check digit wherever an enterprise is created."""

import random

import pytest
from django.core.exceptions import ValidationError

from enterprises.uscc import make_uscc
from enterprises.validators import validate_uscc


def test_generated_codes_carry_a_valid_check_digit():
    rng = random.Random(7)
    for _ in range(200):
        validate_uscc(make_uscc("330106", rng))


def test_a_wrong_check_digit_is_refused_with_a_message_saying_so():
    code = make_uscc("330106", random.Random(1))
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        validate_uscc(wrong)
    assert caught.value.code == "uscc_checksum"
    assert "check digit" in caught.value.messages[0]


@pytest.mark.parametrize(
    ("value", "code"),
    [("91330106MA2B3C4D5", "uscc_length"), ("91330106MA2B3C4D5EX", "uscc_length"),
     ("9133010IMA2B3C4D5E", "uscc_format"), ("91330106MA2B3C4DOE", "uscc_format")],
)
def test_malformed_codes_are_refused(value, code):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(value)
    assert caught.value.code == code


def test_a_known_real_world_code_is_accepted():
    # 中国石油天然气股份有限公司's code as published on its annual report.
    validate_uscc("91110000710925462X")
