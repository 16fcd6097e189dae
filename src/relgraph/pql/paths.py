"""The join paths a query aggregates over (paths and hops:
:mod:`relgraph.db.paths`). PQL aggregates over the rows at the end of the shortest path;
when several shortest paths exist, the query must pick one with ``VIA``.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> db = rg.connect({
    ...     "customers": pd.DataFrame({"customer_id": [1]}),
    ...     "orders": pd.DataFrame({"order_id": [1], "customer_id": [1]}),
    ...     "order_items": pd.DataFrame({"order_item_id": [1], "order_id": [1]}),
    ... })
    >>> [str(p) for p in find_paths(db.schema, "customers", "order_items")]
    ['customers -> orders (orders.customer_id) -> order_items (order_items.order_id)']
"""

from __future__ import annotations

from collections.abc import Iterable

from relgraph.db.paths import Hop, JoinPath
from relgraph.db.schema import Link, Schema

#: Longest path searched (in hops).
MAX_HOPS = 5


def _steps(schema: Schema, table: str) -> Iterable[Hop]:
    for link in schema.links:
        if link.dst_table == table:
            yield Hop(link, to_children=True)
        if link.src_table == table:
            yield Hop(link, to_children=False)


def find_paths(
    schema: Schema,
    start: str,
    end: str,
    via: Iterable[Link] = (),
    max_hops: int = MAX_HOPS,
) -> list[JoinPath]:
    """The shortest simple paths from ``start`` to ``end`` that use every link in ``via``.

    A path never visits a table twice; ``start == end`` gives the empty path
    (when ``via`` is empty). Returns ``[]`` when none exists; more than one
    path means the choice is ambiguous.
    """
    need = set(via)
    if start == end and not need:
        return [JoinPath(start)]
    found: list[JoinPath] = []
    frontier: list[tuple[Hop, ...]] = [()]
    for _ in range(max_hops):
        nxt: list[tuple[Hop, ...]] = []
        for hops in frontier:
            here = hops[-1].to_table if hops else start
            seen = {start, *(h.to_table for h in hops)}
            for hop in _steps(schema, here):
                if hop.to_table in seen:
                    continue
                path = (*hops, hop)
                if hop.to_table == end:
                    if need <= {h.link for h in path}:
                        found.append(JoinPath(start, path))
                else:
                    nxt.append(path)
        if found:
            return found
        frontier = nxt
    return found


def distinguishing_links(paths: list[JoinPath]) -> list[list[Link]]:
    """For each path, links that pick it out among ``paths`` with ``VIA``:
    its first link used by no other path, or else all of its links."""
    out = []
    for i, path in enumerate(paths):
        others = {link for j, p in enumerate(paths) if j != i for link in p.links}
        own = [link for link in path.links if link not in others]
        out.append(own[:1] or path.links)
    return out
