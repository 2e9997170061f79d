"""The tier-registry scoring engine: pure Python, no Django.

Profiles and rulesets in, dataclass results out. Everything else in the system (API, admin, Celery jobs, the
``evaluate`` command) calls these names.
"""

from .advice import advise
from .errors import ProfileError, RulesetError, UnknownRuleset, UnknownTier
from .evaluator import evaluate
from .profile import (
    CONFIRMABLE_FIELDS,
    DECLARATION_VALUE_FIELDS,
    ENTERPRISE_VALUE_FIELDS,
    FINANCIAL_VALUE_FIELDS,
    TIER_CODES,
    Profile,
    apply_changes,
    parse_profile,
    profile_from_values,
    profile_to_dict,
    values_to_dict,
)
from .results import EvaluationResult, TierResult
from .rulesets import Ruleset, available_rulesets, load_ruleset, ruleset_for_date, ruleset_from_dict
from .size import known_sectors, size_class

__all__ = [
    "CONFIRMABLE_FIELDS",
    "DECLARATION_VALUE_FIELDS",
    "ENTERPRISE_VALUE_FIELDS",
    "FINANCIAL_VALUE_FIELDS",
    "TIER_CODES",
    "EvaluationResult",
    "Profile",
    "ProfileError",
    "Ruleset",
    "RulesetError",
    "TierResult",
    "UnknownRuleset",
    "UnknownTier",
    "advise",
    "apply_changes",
    "available_rulesets",
    "evaluate",
    "known_sectors",
    "load_ruleset",
    "parse_profile",
    "profile_from_values",
    "profile_to_dict",
    "ruleset_for_date",
    "ruleset_from_dict",
    "size_class",
    "values_to_dict",
]
