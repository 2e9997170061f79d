"""Validators for identifiers the registry keys on."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError


def normalize_uscc(value: str) -> str:
    return uscc.compact(value or "")


def validate_uscc(value: str) -> None:
    """The Unified Social Credit Code (统一社会信用代码), GB 32100-2015, including its check digit."""
    try:
        uscc.validate(value)
    except InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    except InvalidChecksum:
        raise ValidationError(_("The check digit of this unified social credit code is wrong."), code="uscc_checksum")
    except (InvalidFormat, InvalidComponent):
        raise ValidationError(
            _("This is not a valid unified social credit code: only digits and capital letters other than "
              "I, O, S, V and Z are allowed."),
            code="uscc_format",
        )
    except StdnumError:
        raise ValidationError(_("This is not a valid unified social credit code."), code="uscc_invalid")
