"""Showing where in a query something is wrong: the line, and a caret under it."""

from __future__ import annotations


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset.

    Example:
        >>> line_column("PREDICT x\\nFOR EACH y", 11)
        (2, 2)
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def caret_snippet(text: str, start: int | None, end: int | None = None) -> str:
    """The line of ``text`` holding ``start``, with ``^`` under ``start:end``.

    Multi-line queries get line numbers.

    Example:
        >>> print(caret_snippet("PREDICT COUNT(orderz.*, 0, 30) > 0", 14, 20))
          PREDICT COUNT(orderz.*, 0, 30) > 0
                        ^^^^^^
    """
    if not text or start is None:
        return ""
    start = max(0, min(start, len(text)))
    end = start + 1 if end is None or end <= start else end
    line_no, column = line_column(text, start)
    lines = text.split("\n")
    line = lines[line_no - 1]
    width = max(1, min(end - start, len(line) - (column - 1)))
    prefix = f"  {line_no} | " if len(lines) > 1 else "  "
    pad = " " * len(prefix) if len(lines) == 1 else " " * (len(prefix) - 2) + "| "
    return f"{prefix}{line}\n{pad}{' ' * (column - 1)}{'^' * width}"


def located(message: str, text: str, start: int | None, end: int | None, hint: str = "") -> str:
    """``message`` with the caret snippet and the hint below it."""
    parts = [message]
    snippet = caret_snippet(text, start, end)
    if snippet:
        parts.append(snippet)
    if hint:
        parts.append(f"Hint: {hint}")
    return "\n".join(parts)
