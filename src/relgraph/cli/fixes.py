"""Messages for command-line users: the library words its fixes as Python
calls (``db.set_primary_key('t', ...)``); on the command line each becomes the
schema-file line or option that does the same, so no advice needs Python.

Example:
    >>> cli_fixes("Set one with db.set_primary_key('flights', ...).")
    'Set one with [tables.flights] primary_key = "<column>" in a schema file (--schema FILE).'
"""

from __future__ import annotations

import re

_SCHEMA_FILE = "in a schema file (--schema FILE)"
_Q = r"""['"]([^'"]+)['"]"""

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(rf"db\.set_primary_key\({_Q},\s*\.\.\.\)"),
        rf'[tables.\1] primary_key = "<column>" {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.set_primary_key\({_Q},\s*{_Q}\)"),
        rf'[tables.\1] primary_key = "\2" {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.set_primary_key\({_Q},\s*(\[[^\]]*\])\)"),
        rf"[tables.\1] primary_key = \2 {_SCHEMA_FILE}",
    ),
    (
        re.compile(rf"db\.set_time_column\({_Q},\s*None\)"),
        rf'[tables.\1] time_column = "" {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.set_time_column\({_Q},\s*{_Q}\)"),
        rf'[tables.\1] time_column = "\2" {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.set_time_column\({_Q},\s*(?:<column>|\.\.\.)\)"),
        rf'[tables.\1] time_column = "<column>" {_SCHEMA_FILE}',
    ),
    (
        re.compile(r"db\.set_time_column\(table, column\)"),
        f'[tables.<table>] time_column = "<column>" {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.link\({_Q},\s*{_Q}\)"),
        rf'add_links = [{{from = "\1", to = "\2"}}] {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.link\({_Q},\s*\.\.\.\)"),
        rf'add_links = [{{from = "\1", to = "<table.key>"}}] {_SCHEMA_FILE}',
    ),
    (
        re.compile(r"db\.link\('table\.column', 'other\.key'\)"),
        f'add_links = [{{from = "table.column", to = "other.key"}}] {_SCHEMA_FILE}',
    ),
    (
        re.compile(rf"db\.set_stype\({_Q},\s*{_Q},\s*{_Q}\)"),
        rf'[tables.\1.columns] \2 = "\3" {_SCHEMA_FILE}',
    ),
    (
        re.compile(r"db\.set_stype\(table, column, '?([a-z]+|\.\.\.)'?\)"),
        rf'[tables.<table>.columns] <column> = "\1" {_SCHEMA_FILE}',
    ),
    (re.compile(r"dedupe=True(?: \(CLI: --dedupe\))?"), "--dedupe"),
]


def cli_fixes(message: str) -> str:
    """``message`` with each Python fix replaced by its command-line form."""
    for pattern, replacement in _RULES:
        message = pattern.sub(replacement, message)
    return message
