"""A picture of the schema graph: tables as boxes, links as arrows from the
referencing table to the referenced one. Dimension tables (referenced, not
referencing) stand on the right, event tables on the left."""

from __future__ import annotations

from pathlib import Path

from relgraph.db.schema import Schema


def table_levels(schema: Schema) -> dict[str, int]:
    """Longest chain of links leaving each table (0 for tables that reference
    nothing); cycles are cut so every table gets a finite level."""
    levels: dict[str, int] = {}
    visiting: set[str] = set()

    def level(table: str) -> int:
        if table in levels:
            return levels[table]
        if table in visiting:
            return 0
        visiting.add(table)
        targets = [x.dst_table for x in schema.links_from(table) if x.dst_table != table]
        value = 1 + max((level(t) for t in targets), default=-1)
        visiting.discard(table)
        levels[table] = value
        return value

    for name in schema.tables:
        level(name)
    return levels


def plot_schema(schema: Schema, path: str | Path, title: str | None = None) -> Path:
    """Draw the schema graph and save it (format from the suffix: .svg, .png, .pdf).

    Example:
        >>> import pandas as pd, relgraph as rg, tempfile, os
        >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1]})})
        >>> out = plot_schema(db.schema, os.path.join(tempfile.mkdtemp(), "s.svg"))
        >>> out.suffix
        '.svg'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    path = Path(path)
    levels = table_levels(schema)
    max_level = max(levels.values(), default=0)
    columns: dict[int, list[str]] = {}
    for name in schema.tables:
        columns.setdefault(max_level - levels[name], []).append(name)
    height = max((len(v) for v in columns.values()), default=1)
    box_w, box_h, gap_x, gap_y = 3.2, 1.3, 1.6, 0.6
    positions: dict[str, tuple[float, float]] = {}
    for col, names in columns.items():
        offset = (height - len(names)) * (box_h + gap_y) / 2
        for row, name in enumerate(sorted(names)):
            positions[name] = (col * (box_w + gap_x), -(offset + row * (box_h + gap_y)))

    width = (max_level + 1) * (box_w + gap_x)
    fig, ax = plt.subplots(figsize=(max(6, width * 0.9), max(3, height * (box_h + gap_y) * 0.9)))
    for name, (x, y) in positions.items():
        t = schema.tables[name]
        color = "#dbe9f6" if t.time_column else "#eeeeee"
        ax.add_patch(
            FancyBboxPatch(
                (x, y - box_h),
                box_w,
                box_h,
                boxstyle="round,pad=0.02,rounding_size=0.1",
                facecolor=color,
                edgecolor="#34495e",
                linewidth=1.2,
                zorder=2,
            )
        )
        ax.text(
            x + box_w / 2,
            y - 0.3,
            name,
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            zorder=3,
        )
        key = t.primary_key + (" (row number)" if t.generated_key else "")
        detail = [
            f"{t.num_rows:,} rows",
            f"key: {key}" if t.primary_key else "no key",
            f"time: {t.time_column}" if t.time_column else "static",
        ]
        ax.text(
            x + box_w / 2,
            y - 0.85,
            "\n".join(detail),
            ha="center",
            va="center",
            fontsize=7,
            zorder=3,
        )
    for link in schema.links:
        (x0, y0), (x1, y1) = positions[link.src_table], positions[link.dst_table]
        start = (x0 + box_w, y0 - box_h / 2) if x1 > x0 else (x0, y0 - box_h / 2)
        end = (x1, y1 - box_h / 2) if x1 > x0 else (x1 + box_w, y1 - box_h / 2)
        if link.src_table == link.dst_table:
            start, end = (x0 + box_w * 0.7, y0), (x0 + box_w * 0.3, y0)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#2c3e50",
                "lw": 1.0,
                "connectionstyle": "arc3,rad=0.08",
            },
            zorder=1,
        )
        # Label near the source end, where arrows from one table have not merged yet.
        lx, ly = start[0] + 0.22 * (end[0] - start[0]), start[1] + 0.22 * (end[1] - start[1])
        ax.text(
            lx, ly + 0.08, link.src_column, fontsize=6.5, ha="center", color="#555555", zorder=1
        )
    ax.set_xlim(-0.5, width)
    ax.set_ylim(-height * (box_h + gap_y), 0.8)
    ax.axis("off")
    ax.set_title(title or "schema: tables (blue = timed, grey = static) and links", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
