"""Error classes of the scoring engine.

Every error names the field it is about, so the API, the admin and the command line can point the user at
the exact place to fix (``financials[0].operating_revenue``, ``financials for 2024``, ``ruleset``).
"""

from __future__ import annotations


class ProfileError(ValueError):
    """A profile (or an argument describing what to evaluate) is not valid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownRuleset(ProfileError):
    """A ruleset code that is not built in."""

    def __init__(self, message: str) -> None:
        super().__init__("ruleset", message)


class UnknownTier(ProfileError):
    """A tier code that is not one of ``TIER_CODES``."""

    def __init__(self, message: str, field: str = "tiers") -> None:
        super().__init__(field, message)


class RulesetError(ValueError):
    """Ruleset data (a file or a stored draft) the engine cannot interpret; ``field`` is its JSON path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
