"""Every join path from an entity table through links up to a length: the
tables whose rows the features aggregate for each entity (``drivers <- results
-> races``). Paths and hops: :mod:`relgraph.db.paths`.

Example:
    >>> from relgraph.db.schema import Link, Schema
    >>> link = Link("results", "driverId", "drivers", "driverId")
    >>> [p.name for p in join_paths(Schema({}, [link]), "drivers", max_hops=1)]
    ['results']
    >>> boss = Link("employee", "reports_to", "employee", "id")  # a self-link: both ways named
    >>> [p.name for p in join_paths(Schema({}, [boss]), "employee", max_hops=1)]
    ['employee[reports_to]', 'employee[by reports_to]']
"""

from __future__ import annotations

from relgraph.db.paths import Hop, JoinPath
from relgraph.db.schema import Schema


def join_paths(schema: Schema, entity_table: str, max_hops: int) -> list[JoinPath]:
    """All paths of 1..``max_hops`` steps from ``entity_table`` that never walk
    straight back along the link they came by (that would only return to the
    same rows)."""
    pair_count: dict[tuple[str, str], int] = {}
    for link in schema.links:
        key = (link.src_table, link.dst_table)
        pair_count[key] = pair_count.get(key, 0) + 1

    def label(hop: Hop) -> str:
        link = hop.link
        if link.src_table == link.dst_table:
            # both ways lead to the same table: to the row named (an employee's
            # manager) and to the rows naming it (those reporting to it)
            by = "by " if hop.to_children else ""
            return f"{hop.to_table}[{by}{link.src_column}]"
        shared = pair_count[(link.src_table, link.dst_table)] > 1
        return f"{hop.to_table}[{link.src_column}]" if shared else hop.to_table

    out: list[JoinPath] = []
    frontier = [JoinPath(entity_table, (), "")]
    for _ in range(max_hops):
        grown = []
        for path in frontier:
            for link in schema.links:
                for to_children in (False, True):
                    hop = Hop(link, to_children)
                    if hop.from_table != path.end:
                        continue
                    if path.hops and path.hops[-1].link == link:
                        continue  # straight back
                    name = f"{path.name}>{label(hop)}" if path.name else label(hop)
                    grown.append(JoinPath(entity_table, (*path.hops, hop), name))
        out += grown
        frontier = grown
    return out
