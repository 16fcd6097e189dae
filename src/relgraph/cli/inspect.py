"""``relgraph inspect``: tables, keys, time columns, stypes and links of a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from relgraph.cli.common import (
    DropOption,
    MissingOption,
    err,
    handle_errors,
    out,
    print_warnings,
    shown_source,
)
from relgraph.db.database import connect
from relgraph.db.overrides import schema_to_toml
from relgraph.db.schema import Schema, TableSchema, format_key_ref


@handle_errors
def inspect_command(
    source: Annotated[
        str,
        typer.Argument(
            help="DuckDB/SQLite file (a path, or sqlite:///relative/path, "
            "duckdb:////absolute/path), folder of CSV/Parquet, RelBench folder or "
            "postgresql:// URL."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the schema as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Draw the schema graph (.svg/.png/.pdf).")
    ] = None,
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    write_schema: Annotated[
        Path | None, typer.Option(help="Write the schema in force as TOML, for editing.")
    ] = None,
    dedupe: Annotated[bool, typer.Option(help="Keep the first row per duplicate key.")] = False,
    pg_schema: Annotated[str | None, typer.Option(help="PostgreSQL schema to read.")] = None,
) -> None:
    """Show the tables, keys, time columns, column types and links relgraph sees."""
    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(
            source,
            schema=schema,
            dedupe=dedupe,
            pg_schema=pg_schema,
            drop=drop or (),
            missing=missing or (),
        )
    s = db.schema
    if as_json:
        out.print_json(s.to_json())
    else:
        out.print(schema_tables(s, db.source))
        out.print(schema_links(s))
        if s.dropped:
            out.print(f"dropped (nothing reads them): {', '.join(s.dropped)}", highlight=False)
        for line in parallel_link_notes(s):
            out.print(line, highlight=False, markup=False)
    print_warnings(s.warnings)
    if write_schema is not None:
        write_schema.write_text(schema_to_toml(s))
        err.print(f"wrote schema to {write_schema}")
    if plot is not None:
        from relgraph.db.schema_plot import plot_schema

        plot_schema(s, plot, title=f"schema of {db.source}")
        err.print(f"wrote schema plot to {plot}")


def parallel_link_notes(schema: Schema) -> list[str]:
    """For each pair of tables joined by several links, the PQL that picks one."""
    notes = []
    for (src, dst), links in schema.parallel_links().items():
        roles = ", ".join(x.src_column for x in links)
        key = schema.tables[dst].primary_key
        first = links[0].source
        notes.append(
            f"{src} reaches {dst} by {len(links)} links ({roles}): a query over {src} for each "
            f"{dst} row says which, e.g. PREDICT COUNT({src}.* VIA {first}, 0, 7, days) "
            f"FOR EACH {dst}.{key}"
        )
    return notes


def schema_tables(schema: Schema, source: str) -> Table:
    title = f"{shown_source(source)}: {len(schema.tables)} tables"
    table = Table(title=title, title_justify="left")
    for column in ("table", "rows", "primary key", "time column", "columns by stype"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for name, t in schema.tables.items():
        by_stype: dict[str, list[str]] = {}
        for col, stype in t.columns.items():
            by_stype.setdefault(stype.value, []).append(col)
        cols = "; ".join(f"[bold]{k}[/]: {', '.join(v)}" for k, v in by_stype.items())
        key = escape(t.primary_key or "-") + (" [dim](row number)[/]" if t.generated_key else "")
        if t.key_columns:
            key = f"({escape(', '.join(t.key_columns))}) [dim]as {escape(t.primary_key or '')}[/]"
        if t.key_evidence and not t.generated_key:
            key += f"\n[dim]{escape(t.key_evidence)}[/]"
        table.add_row(name, f"{t.num_rows:,}", key, time_cell(t), cols)
    return table


def time_cell(t: TableSchema) -> str:
    """The time column as inspect shows it: inherited ones say where from."""
    if t.time_column is None:
        return "[dim]static[/]"
    if t.time_origin:
        return f"{escape(t.time_column)} [dim](from {escape(t.time_origin)})[/]"
    return escape(t.time_column)


def schema_links(schema: Schema) -> Table:
    table = Table(title=f"{len(schema.links)} links", title_justify="left")
    for column in ("from", "to", "origin", "evidence", "dangling"):
        table.add_column(column)
    for link in schema.links:
        info = schema.link_info[link]
        dangling = f"{info.dangling:,} ({info.dangling_share:.1%})" if info.dangling else "0"
        src, dst = schema.link_parts(link)
        table.add_row(
            escape(format_key_ref(link.src_table, src)),
            escape(format_key_ref(link.dst_table, dst)),
            info.origin,
            escape(info.evidence),
            dangling,
        )
    return table
