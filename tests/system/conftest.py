"""Hooks of the hardening tests."""

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report how much the schema-driven fuzzing covered (the figures go into the hardening notes)."""
    import sys

    module = sys.modules.get("tests.system.test_schema_fuzz")
    stats = getattr(module, "STATS", None)
    if not stats or not stats["cases"]:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(stats["statuses"].items()))
    terminalreporter.write_line(
        f"schemathesis: {stats['cases']} cases over {len(stats['operations'])} operations ({statuses})"
    )
