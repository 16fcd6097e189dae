"""What every CLI verb shares: a stderr console for messages, the error
policy (a relgraph error prints its message and exits 1, no traceback)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from relgraph.errors import RelgraphError

#: Results go to stdout; progress, warnings and errors to stderr.
out = Console(soft_wrap=True)
err = Console(stderr=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RelgraphError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
