"""The hand-written truth of a corpus database: each table's key and time
column, and every link, as one TOML file beside this module documents them.

Example:
    >>> truth = parse_truth({
    ...     "database": {"name": "shop", "source": "s", "docs": "d"},
    ...     "tables": {"orders": {"key": ["id"], "time": "at"},
    ...                "items": {"key": ["order_id", "line"], "time": ""}},
    ...     "links": [{"from": ["items", "order_id"], "to": ["orders", "id"]}],
    ... })
    >>> truth.tables["items"].key, truth.links[0].pairs
    (('order_id', 'line'), (('order_id', 'id'),))
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TableTruth:
    """A table's true key columns (empty: no key) and time column ("" = static)."""

    key: tuple[str, ...]
    time: str


@dataclass(frozen=True)
class LinkTruth:
    """A link from ``src_columns`` of ``src_table`` to ``dst_columns`` of
    ``dst_table``; several columns each for a composite link."""

    src_table: str
    src_columns: tuple[str, ...]
    dst_table: str
    dst_columns: tuple[str, ...]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The ``(source column, target column)`` pairs, in the documented order."""
        return tuple(zip(self.src_columns, self.dst_columns, strict=True))

    @property
    def is_composite(self) -> bool:
        return len(self.src_columns) > 1

    def __str__(self) -> str:
        src = ", ".join(self.src_columns)
        dst = ", ".join(self.dst_columns)
        return f"{self.src_table}({src}) -> {self.dst_table}({dst})"


@dataclass(frozen=True)
class Truth:
    """One database's documented schema and where it comes from."""

    name: str
    source: str
    docs: str
    tables: dict[str, TableTruth]
    links: tuple[LinkTruth, ...]


def parse_truth(data: dict[str, Any]) -> Truth:
    """Build a :class:`Truth` from a parsed TOML document (see the module example).

    Raises:
        ValueError: a link names a table the file does not list, or its two
            sides have different numbers of columns.
    """
    head = data["database"]
    tables = {
        name: TableTruth(key=tuple(spec.get("key", ())), time=_time_text(spec.get("time", "")))
        for name, spec in data.get("tables", {}).items()
    }
    links = []
    for spec in data.get("links", []):
        src, dst = list(spec["from"]), list(spec["to"])
        if len(src) != len(dst) or len(src) < 2:
            raise ValueError(
                f"Expected a link as [table, col, ...] on both sides with as many columns "
                f"(got from={src}, to={dst}) in {head['name']}."
            )
        for table in (src[0], dst[0]):
            if table not in tables:
                raise ValueError(f"Link {src} -> {dst} names table {table!r}, not listed.")
        links.append(LinkTruth(src[0], tuple(src[1:]), dst[0], tuple(dst[1:])))
    return Truth(
        name=head["name"],
        source=head["source"],
        docs=head["docs"],
        tables=tables,
        links=tuple(links),
    )


def load_truth(path: Path) -> Truth:
    """Read and parse one truth TOML file."""
    with path.open("rb") as f:
        return parse_truth(tomllib.load(f))


def _time_text(time: str | list[str]) -> str:
    """A time column, or a date made of several columns (``["year", "month",
    "day"]``) as ``"year, month, day"``."""
    return ", ".join(time) if isinstance(time, list) else str(time)
