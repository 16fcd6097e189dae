"""Join paths: how rows of one table reach rows of another through links.

A :class:`Hop` follows one link, either from the referenced row to the rows
that reference it (one-to-many, ``to_children``) or from a referencing row to
the row it references (many-to-one). A :class:`JoinPath` is the hops from a
start table (the entity table of a query or of a feature plan). PQL picks the
shortest paths to an aggregated table (:mod:`relgraph.pql.paths`); the
relational features enumerate every path up to a length
(:mod:`relgraph.features.paths`).

Example:
    >>> from relgraph.db.schema import Link
    >>> placed = Link("orders", "customer_id", "customers", "customer_id")
    >>> path = JoinPath("customers", (Hop(placed, to_children=True),))
    >>> str(path), path.end, len(path), path.is_single_row
    ('customers -> orders (orders.customer_id)', 'orders', 1, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from relgraph.db.schema import Link


@dataclass(frozen=True)
class Hop:
    """One step along a link."""

    link: Link
    to_children: bool  # True: referenced row -> referencing rows (one-to-many)

    @property
    def from_table(self) -> str:
        return self.link.dst_table if self.to_children else self.link.src_table

    @property
    def to_table(self) -> str:
        return self.link.src_table if self.to_children else self.link.dst_table

    @property
    def from_column(self) -> str:
        return self.link.dst_column if self.to_children else self.link.src_column

    @property
    def to_column(self) -> str:
        return self.link.src_column if self.to_children else self.link.dst_column

    def __str__(self) -> str:
        return f"{self.to_table} ({self.link.source})"


@dataclass(frozen=True)
class JoinPath:
    """Hops from ``start``; ``name``: a readable unique name where one is
    given (the feature plans name their paths, ``orders>order_items``)."""

    start: str
    hops: tuple[Hop, ...] = ()
    name: str = ""

    @property
    def tables(self) -> list[str]:
        return [self.start, *(h.to_table for h in self.hops)]

    @property
    def end(self) -> str:
        return self.tables[-1]

    @property
    def is_single_row(self) -> bool:
        """True when every hop is many-to-one: at most one row per entity."""
        return not any(h.to_children for h in self.hops)

    @property
    def links(self) -> list[Link]:
        return [h.link for h in self.hops]

    def __str__(self) -> str:
        return " -> ".join([self.start, *(str(h) for h in self.hops)])

    def __len__(self) -> int:
        return len(self.hops)
