"""Join paths from an entity table through links: the tables whose rows can be
aggregated for each entity (``drivers <- results -> races``)."""

from __future__ import annotations

from dataclasses import dataclass

from relgraph.db.schema import Link, Schema


@dataclass(frozen=True)
class Step:
    """One hop along a link. ``forward``: from the referencing table to the
    referenced one (results -> races); else the reverse (drivers -> results)."""

    link: Link
    forward: bool

    @property
    def source(self) -> str:
        return self.link.src_table if self.forward else self.link.dst_table

    @property
    def target(self) -> str:
        return self.link.dst_table if self.forward else self.link.src_table

    @property
    def source_column(self) -> str:
        return self.link.src_column if self.forward else self.link.dst_column

    @property
    def target_column(self) -> str:
        return self.link.dst_column if self.forward else self.link.src_column


@dataclass(frozen=True)
class JoinPath:
    """Steps from the entity table to ``end``, with a readable unique ``name``:
    tables joined by ``>``, with the link column where two links join the same
    pair of tables (``orders[seller_id]``).

    Example:
        >>> from relgraph.db.schema import Link, Schema
        >>> link = Link("results", "driverId", "drivers", "driverId")
        >>> [p.name for p in join_paths(Schema({}, [link]), "drivers", max_hops=1)]
        ['results']
    """

    entity_table: str
    steps: tuple[Step, ...]
    name: str

    @property
    def end(self) -> str:
        return self.steps[-1].target if self.steps else self.entity_table

    @property
    def tables(self) -> list[str]:
        return [self.entity_table] + [s.target for s in self.steps]

    @property
    def hops(self) -> int:
        return len(self.steps)


def join_paths(schema: Schema, entity_table: str, max_hops: int) -> list[JoinPath]:
    """All paths of 1..``max_hops`` steps from ``entity_table`` that never walk
    straight back along the link they came by (that would only return to the
    same rows)."""
    pair_count: dict[tuple[str, str], int] = {}
    for link in schema.links:
        key = (link.src_table, link.dst_table)
        pair_count[key] = pair_count.get(key, 0) + 1

    def label(step: Step) -> str:
        shared = pair_count[(step.link.src_table, step.link.dst_table)] > 1
        return f"{step.target}[{step.link.src_column}]" if shared else step.target

    out: list[JoinPath] = []
    frontier = [JoinPath(entity_table, (), "")]
    for _ in range(max_hops):
        grown = []
        for path in frontier:
            for link in schema.links:
                for forward in (True, False):
                    step = Step(link, forward)
                    if step.source != path.end:
                        continue
                    if path.steps and path.steps[-1].link == link:
                        continue  # straight back
                    name = f"{path.name}>{label(step)}" if path.name else label(step)
                    grown.append(JoinPath(entity_table, (*path.steps, step), name))
        out += grown
        frontier = grown
    return out
