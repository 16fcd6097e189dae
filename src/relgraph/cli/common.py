"""What every CLI verb shares: a stderr console for messages, the error
policy (a relgraph error prints its message and exits 1, no traceback)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from relgraph.cli.fixes import cli_fixes
from relgraph.errors import RelgraphError

if TYPE_CHECKING:
    import pandas as pd

    from relgraph.pql.task import Task

#: Results go to stdout; progress, warnings and errors to stderr.
out = Console(soft_wrap=True)
err = Console(stderr=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RelgraphError as exc:
            err.print(f"[bold red]error:[/] {escape(cli_fixes(str(exc)))}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def shown_source(source: str | Path) -> str:
    """``source`` for the terminal: a URL's password (in the user part or a
    ``password=`` parameter) masked, and no rich markup.

    Example:
        >>> shown_source("postgresql://ann:s3cret@db:5432/shop?password=x&schema=s")
        'postgresql://ann:***@db:5432/shop?password=***&schema=s'
    """
    text = str(source)
    if "://" in text:
        scheme, rest = text.split("://", 1)
        netloc, sep, tail = rest.partition("/")
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
        tail = re.sub(r"(?i)(password=)[^&]*", r"\1***", tail)
        text = f"{scheme}://{netloc}{sep}{tail}"
    return escape(text)


def print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        err.print(f"[yellow]warning:[/] {escape(cli_fixes(w))}", highlight=False)


# Options shared by every verb that builds a task from a query.
ValTimeOption = Annotated[
    str | None, typer.Option(help="Start of validation, e.g. 2024-06-01 (default: chosen).")
]
TestTimeOption = Annotated[
    str | None, typer.Option(help="Start of test, e.g. 2024-09-01 (default: chosen).")
]
HorizonOption = Annotated[
    str | None, typer.Option(help="Step between anchors, e.g. 30d, 2w, 1mo (default: window).")
]


class AnchorName(StrEnum):
    grid = "grid"
    entity = "entity"


AnchorOption = Annotated[
    AnchorName,
    typer.Option(
        "--anchor",
        help="grid: every entity at anchors one horizon apart; entity: each entity once, at "
        "its own time (will a new customer order within 30 days of signing up?).",
    ),
]
SchemaOption = Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")]
DropOption = Annotated[
    list[str] | None,
    typer.Option(
        "--drop",
        metavar="TABLE.COLUMN",
        help="A column nothing may read (no key, link, query or model), e.g. one that "
        "leaks the answer; repeatable.",
    ),
]
MissingOption = Annotated[
    list[str] | None,
    typer.Option(
        "--missing",
        metavar="TOKEN",
        help="Text that means a missing value in every text column, e.g. '-' (read as "
        "NULL); repeatable. NA, NULL and \\N are already NULL in columns of numbers or times.",
    ),
]


def load_task(
    source: str,
    query: Any,
    schema: Path | None,
    val_time: str | None,
    test_time: str | None,
    horizon: str | None,
    drop: list[str] | None = None,
    missing: list[str] | None = None,
    anchor: str = "grid",
) -> Task:
    """Read the database, bind the query to it, and say how splits were chosen."""
    from relgraph.db.database import connect
    from relgraph.pql import Task

    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, schema=schema, drop=drop or (), missing=missing or ())
    task = Task.from_query(
        db, query, val_time=val_time, test_time=test_time, horizon=horizon, anchor=str(anchor)
    )
    if task.db.hidden_columns:
        hidden = ", ".join(task.db.hidden_columns)
        err.print(Text(f"note: the target reads {hidden}: no model sees it as an input"))
    if task.split_note:
        err.print(Text("note: ", style="yellow") + Text(task.split_note))
    return task


def table_file_format(path: Path) -> str | None:
    """``"parquet"`` or ``"csv"`` from an output file's name (None: neither).

    Example:
        >>> table_file_format(Path("labels.pq")), table_file_format(Path("x.json"))
        ('parquet', None)
    """
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    return None


def write_table_file(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as Parquet or CSV, as :func:`table_file_format` reads
    ``path``'s name (checked before any work), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if table_file_format(path) == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def label_summary(task_type: str, stats: dict) -> str:
    """A split's labels in a few words (``Task.summary``'s ``labels``).

    Example:
        >>> label_summary("binary_classification", {"positive": 40, "positive_rate": 0.2})
        '20.0% positive (40)'
    """
    if not stats:
        return "-"
    if task_type == "binary_classification":
        return f"{stats['positive_rate']:.1%} positive ({stats['positive']:,})"
    if task_type == "regression":
        return f"mean {stats['mean']:g}, std {stats['std']:g}, {stats['min']:g} .. {stats['max']:g}"
    if task_type == "link_prediction":
        return f"{stats['mean_list_size']:g} keys per example (max {stats['max_list_size']})"
    top = ", ".join(f"{k} {v:,}" for k, v in list(stats["top"].items())[:3])
    return f"{stats['classes']} classes; {top}"
