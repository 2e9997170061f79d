"""Making valid Unified Social Credit Codes (for demo data and tests)."""

import random

from stdnum.cn import uscc

_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(region_code: str, rng: random.Random | None = None) -> str:
    """A well-formed code for a company (登记管理部门 9, 类别 1) registered in ``region_code``."""
    rng = rng or random.Random()
    body = "91" + region_code + "".join(rng.choice(_BODY_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)
