"""``relgraph serve``: one database behind an HTTP JSON API from a warm
process (:mod:`relgraph.serve`). Loopback only unless told; a token is
required for any other address."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from relgraph.cli.common import DropOption, MissingOption, err, handle_errors, print_warnings


@handle_errors
def serve_command(
    source: Annotated[str, typer.Argument(help="Database to serve (as for inspect).")],
    host: Annotated[
        str,
        typer.Option(
            help="Address to bind. Anything but loopback (127.0.0.1, ::1, localhost) needs --token."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="RELGRAPH_SERVE_TOKEN",
            help="Require 'Authorization: Bearer TOKEN' on every request (or set "
            "RELGRAPH_SERVE_TOKEN, which keeps it out of the process list).",
        ),
    ] = None,
    models: Annotated[
        Path | None,
        typer.Option(
            "--models",
            help="A folder of saved models (relgraph train --out) a request may name by file name.",
        ),
    ] = None,
    check_every: Annotated[
        float,
        typer.Option(min=0.0, help="Seconds between looks at the source's files for changes."),
    ] = 2.0,
    max_in_flight: Annotated[
        int, typer.Option(min=1, help="Requests answered or waiting at once (more get 429).")
    ] = 8,
    models_kept: Annotated[
        int,
        typer.Option(
            min=0,
            help="Questions kept warm per database version (labels, context, chosen "
            "predictor, feature rows), so asking one again about other entities computes "
            "only what is new (0: none).",
        ),
    ] = 16,
    prefetch_rows: Annotated[
        int,
        typer.Option(
            min=0,
            help="After a question about some entities, fill in the feature rows of up to "
            "this many others at the same anchor in the background (0: off).",
        ),
    ] = 20_000,
    suggestions: Annotated[
        int,
        typer.Option(
            min=0, help="Suggested questions computed in the background for the page (0: none)."
        ),
    ] = 10,
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
) -> None:
    """Serve one database over HTTP: schema, check, labels, predict, evaluate
    (a background job); OpenAPI docs at /docs. Reloads when its files change."""
    from relgraph.serve import ServeSettings, create_app, serve_forever
    from relgraph.serve.settings import is_loopback

    if not is_loopback(host) and not token:
        raise typer.BadParameter(
            f"{host!r} is not a loopback address: anyone who can reach it could ask. "
            "Give --token (or RELGRAPH_SERVE_TOKEN), or bind 127.0.0.1.",
            param_hint="--host",
        )
    if models is not None and not models.is_dir():
        raise typer.BadParameter(f"no folder {str(models)!r}", param_hint="--models")
    settings = ServeSettings(
        source=source,
        connect_options={"schema": schema, "drop": drop or (), "missing": missing or ()},
        models_dir=models,
        token=token,
        host=host,
        check_every_s=check_every,
        max_in_flight=max_in_flight,
        models_kept=models_kept,
        prefetch_rows=prefetch_rows,
        suggestions=suggestions,
    )
    with err.status("reading the database and loading the context transformer"):
        app = create_app(settings)
    print_warnings(app.state.served.db.schema.warnings)
    shown = "[" + host + "]" if ":" in host else host
    err.print(
        f"serving {os.fspath(source)!r} on http://{shown}:{port} (docs: /docs)"
        + ("; token required" if token else ""),
        markup=False,
        highlight=False,
    )
    serve_forever(app, host, port)
