"""Compare the schema relgraph finds with a corpus database's truth: keys,
time columns and links, each right or wrong, and a list of every mistake.

Example:
    >>> from benchmarks.corpus.truth import LinkTruth, TableTruth, Truth
    >>> truth = Truth("shop", "", "", {"orders": TableTruth(("id",), "at")},
    ...               (LinkTruth("orders", ("cid",), "customers", ("id",)),))
    >>> found = Found(keys={"orders": ("id",)}, times={"orders": "at"}, links=set())
    >>> s = score(truth, found)
    >>> s.keys_right, s.times_right, s.link_recall
    (1, 1, 0.0)
    >>> s.mistakes
    ['missed link orders(cid) -> customers(id)']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.corpus.truth import LinkTruth, Truth

#: A link as compared: (source table, target table, its (src, dst) column pairs).
LinkId = tuple[str, str, frozenset[tuple[str, str]]]


def link_id(src_table: str, src: tuple[str, ...], dst_table: str, dst: tuple[str, ...]) -> LinkId:
    """Order-free identity of a link: a composite link's columns match pairwise,
    in any order (``(a, b) -> (x, y)`` equals ``(b, a) -> (y, x)``)."""
    return (src_table, dst_table, frozenset(zip(src, dst, strict=True)))


def show_link(link: LinkId) -> str:
    src_table, dst_table, pairs = link
    ordered = sorted(pairs)
    src = ", ".join(s for s, _ in ordered)
    dst = ", ".join(d for _, d in ordered)
    return f"{src_table}({src}) -> {dst_table}({dst})"


@dataclass(frozen=True)
class Found:
    """What relgraph found: key columns and time column per table, and links."""

    keys: dict[str, tuple[str, ...]]
    times: dict[str, str]
    links: set[LinkId]


def found_time(table: Any) -> str:
    """A table's own time column as relgraph found it ("" = static).

    An inherited time (``time_origin`` set, e.g. ``"orders.ordered_at"``)
    counts as the table's own column only when the origin names a column of
    the same table; a time taken from another table leaves the table static.

    Example:
        >>> from types import SimpleNamespace as T
        >>> found_time(T(name="items", time_column="_row_time", time_origin="orders.at"))
        ''
        >>> found_time(T(name="Teams", time_column="_row_time", time_origin="Teams.yearID"))
        'yearID'
        >>> found_time(T(name="s", time_column="_row_time", time_origin="s.(year, month)"))
        'year, month'
    """
    if table.time_origin:
        origin_table, _, origin_column = table.time_origin.partition(".")
        return origin_column.strip("()") if origin_table == table.name else ""
    return table.time_column or ""


def found_from_schema(schema: Any) -> Found:
    """Read keys, times and links from a ``relgraph`` schema (``db.schema``)."""
    keys = {name: tuple(t.key_parts) for name, t in schema.tables.items()}
    times = {name: found_time(t) for name, t in schema.tables.items()}
    links = set()
    for link in schema.links:
        src, dst = schema.link_parts(link)
        links.add(link_id(link.src_table, tuple(src), link.dst_table, tuple(dst)))
    return Found(keys=keys, times=times, links=links)


def _true_link_id(link: LinkTruth) -> LinkId:
    return link_id(link.src_table, link.src_columns, link.dst_table, link.dst_columns)


@dataclass
class Score:
    """One database's figures; ``mistakes`` lists each wrong answer in words."""

    tables: int = 0
    keys_right: int = 0
    times_total: int = 0
    times_right: int = 0
    composite_keys: int = 0
    composite_keys_right: int = 0
    links_true: int = 0
    links_found: int = 0
    links_right: int = 0
    composite_links: int = 0
    composite_links_found: int = 0
    missing_tables: list[str] = field(default_factory=list)
    extra_tables: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)

    @property
    def link_precision(self) -> float:
        return self.links_right / self.links_found if self.links_found else 0.0

    @property
    def link_recall(self) -> float:
        return self.links_right / self.links_true if self.links_true else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        out["link_precision"] = self.link_precision
        out["link_recall"] = self.link_recall
        return out


def _cols(cols: tuple[str, ...]) -> str:
    return "(" + ", ".join(cols) + ")" if cols else "none"


def score(truth: Truth, found: Found) -> Score:
    """Score ``found`` against ``truth``.

    A key is right iff its set of columns equals the truth's (no key = empty);
    a time column iff it is the same column ("" = static); links are compared
    as sets of :func:`link_id`. A table relgraph did not load counts wrong.
    """
    s = Score(tables=len(truth.tables), times_total=len(truth.tables))
    for name, table in truth.tables.items():
        composite = len(table.key) > 1
        s.composite_keys += composite
        if name not in found.keys:
            s.missing_tables.append(name)
            s.mistakes.append(f"table {name} not loaded")
            continue
        got_key = found.keys[name]
        if set(got_key) == set(table.key):
            s.keys_right += 1
            s.composite_keys_right += composite
        else:
            s.mistakes.append(f"key {name}: expected {_cols(table.key)}, found {_cols(got_key)}")
        got_time = found.times.get(name, "")
        if got_time == table.time:
            s.times_right += 1
        else:
            s.mistakes.append(
                f"time {name}: expected {table.time or 'static'}, found {got_time or 'static'}"
            )
    s.extra_tables = sorted(set(found.keys) - set(truth.tables))
    s.mistakes.extend(f"extra table {name}" for name in s.extra_tables)

    true_links = {_true_link_id(link): link for link in truth.links}
    s.links_true = len(true_links)
    s.links_found = len(found.links)
    s.links_right = len(found.links & set(true_links))
    for lid, link in true_links.items():
        if link.is_composite:
            s.composite_links += 1
            s.composite_links_found += lid in found.links
        if lid not in found.links:
            s.mistakes.append(f"missed link {link}")
    for lid in sorted(found.links - set(true_links), key=show_link):
        s.mistakes.append(f"extra link {show_link(lid)}")
    return s
