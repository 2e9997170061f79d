"""Spreadsheet formula injection: text that a spreadsheet would run as a formula never leaves as one.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, WPS and
LibreOffice as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``-2+3``), so an enterprise's contact name could
run in a reviewer's spreadsheet. Every export goes through ``write_table``, which asks this module what to write:

- CSV has no types, so such text is written with a leading apostrophe (the spreadsheets' "this is text" mark);
- XLSX cells are typed: such text is written as a string cell with the quote-prefix style, so it is shown and
  edited as text, character for character.

Numbers are never touched (a negative revenue stays a number). The importer strips the apostrophe again
(``restore``), so an exported file still imports back to the same data.
"""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would evaluate; never for numbers, dates or booleans."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def neutralise_text(value: Any) -> Any:
    """The value as it may go into a CSV cell: formula-like text gets a leading apostrophe."""
    return QUOTE + value if is_formula_like(value) else value


def restore(value: Any) -> Any:
    """An imported cell without the apostrophe an export put in front of formula-like text."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value
