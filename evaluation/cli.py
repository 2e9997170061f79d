"""The ``evaluate`` command's logic as plain functions, usable without Django (``python -m evaluation.cli``).

Everything is read and validated before anything is evaluated, and the whole output is built before it is
written, so a bad profile gives one clear message on stderr and a non-zero exit, never half an output.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from evaluation.engine import (
    ProfileError,
    available_rulesets,
    evaluate,
    load_ruleset,
    messages,
    parse_profile,
    ruleset_for_date,
)

FORMATS = ("json", "text")
MAX_REPORTED_ERRORS = 20


class CliError(Exception):
    """A problem with the input; ``str(error)`` is the message for stderr."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _nan(name: str) -> float:
    return float("nan")  # parse_profile then names the field holding NaN / Infinity


def read_profiles(source: str, stdin: TextIO | None = None) -> tuple[list[Any], bool]:
    """The profiles in ``source`` (a path, or ``-`` for stdin) and whether it held a single object."""
    try:
        if source == "-":
            text = (stdin or sys.stdin).read()
        else:
            text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {source}: {exc}") from None
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_nan)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source}: not valid JSON: {exc}") from None
    if isinstance(data, dict):
        return [data], True
    if isinstance(data, list):
        return data, False
    raise CliError(f"{source}: must hold one profile (a JSON object) or a list of them")


def run(
    source: str,
    *,
    ruleset: str | None = None,
    fmt: str = "json",
    stdin: TextIO | None = None,
    rereview: bool = False,
    advice: bool = False,
    today: datetime.date | None = None,
    lang: str = "en",
) -> str:
    """Evaluate every profile in ``source`` and return the complete output text; raises ``CliError``."""
    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    if lang not in messages.LANGUAGES:
        raise CliError(f"--lang must be one of {', '.join(messages.LANGUAGES)}")
    try:
        code = ruleset or ruleset_for_date(today or datetime.date.today())
        compiled = load_ruleset(code)
    except ProfileError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from None
    raw, single = read_profiles(source, stdin)
    profiles, errors = [], []
    for index, item in enumerate(raw):
        try:
            profiles.append(parse_profile(item))
        except ProfileError as exc:
            where = "profile" if single else f"profile[{index}]"
            errors.append(f"{where}: {exc.field}: {exc.message}")
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > len(shown):
            shown.append(f"... and {len(errors) - len(shown)} more invalid profiles")
        raise CliError("\n".join(shown))
    results = [evaluate(p, compiled, rereview=rereview, advice=advice) for p in profiles]
    if fmt == "json":
        return json.dumps([r.to_dict(lang) for r in results], ensure_ascii=False) + "\n"
    return render_text(profiles, results, lang)


def _num(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def render_text(profiles: list, results: list, lang: str = "en") -> str:
    """A readable breakdown: per profile, per tier, the verdict, the scores and every unmet rule."""
    lines: list[str] = []
    for number, (profile, result) in enumerate(zip(profiles, results, strict=True), start=1):
        name = profile.enterprise.name or profile.enterprise.uscc or "(unnamed)"
        lines.append(
            f"Profile {number}: {name}, fiscal year {result.year}, "
            f"size {messages.value_label(result.size_class, lang)}, "
            f"ruleset {result.ruleset}"
        )
        for code, tier in result.tiers.items():
            verdict = tier.status.upper()
            if tier.route:
                verdict += f" ({tier.route})"
            head = f"  {messages.tier_label(code, lang)}: {verdict}"
            if tier.score is not None:
                cats = ", ".join(f"{messages.category_label(c, lang)} {_num(v)}" for c, v in tier.categories.items())
                head += f"; score {_num(tier.score)}/{tier.max_score} ({cats})"
            lines.append(head)
            for ind in tier.indicators:
                value = messages.value_label(ind["value"], lang) if ind["value"] is not None else "missing"
                lines.append(
                    f"      {messages.indicator_label(ind['code'], lang):<16} {value:<26} "
                    f"{_num(ind['points']):>3}/{ind['max']:<3} "
                    f"{ind['source']}"
                )
            for prereq in tier.prerequisites:
                via = prereq["via"] or "not met"
                lines.append(f"      requires {messages.tier_label(prereq['tier'], lang)}: {via}")
            for direct in tier.direct:
                lines.append(f"      + {direct.text(lang)}")
            for unmet in tier.unmet:
                lines.append(f"      - {unmet.text(lang)}")
            for item in tier.advice or ():
                lines.append(f"      > {item.text(lang)}")
        lines.append("")
    return "\n".join(lines)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The command's arguments; shared by ``python -m evaluation.cli`` and ``manage.py evaluate``."""
    parser = parser or argparse.ArgumentParser(prog="evaluate", description=__doc__)
    parser.add_argument("file", help="JSON file with one profile or a list of profiles; '-' reads stdin")
    parser.add_argument(
        "--ruleset",
        default=None,
        help="ruleset code (default: the one in force today); one of: " + ", ".join(available_rulesets()),
    )
    parser.add_argument(
        "--format",
        dest="format",
        choices=FORMATS,
        default="json",
        help="json: one JSON array of results, in input order; text: a readable breakdown",
    )
    parser.add_argument("--rereview", action="store_true", help="apply the re-review (复核) rules")
    parser.add_argument("--advice", action="store_true", help="add advice for every tier not passed")
    parser.add_argument(
        "--lang",
        choices=messages.LANGUAGES,
        default=messages.EN,
        help="language of every message and label (codes never change): en (default) or zh-hans",
    )
    return parser


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Entry point without Django; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        output = run(
            args.file,
            ruleset=args.ruleset,
            fmt=args.format,
            stdin=stdin,
            rereview=args.rereview,
            advice=args.advice,
            lang=args.lang,
        )
    except CliError as exc:
        (stderr or sys.stderr).write(f"{exc}\n")
        return exc.exit_code
    (stdout or sys.stdout).write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
