"""The ``relgraph`` command: thin verbs over the Python API."""

from __future__ import annotations

import typer

from relgraph.cli.bench import bench_app
from relgraph.cli.check import check_command
from relgraph.cli.demo import demo_command
from relgraph.cli.evaluate import evaluate_command
from relgraph.cli.features import features_command
from relgraph.cli.graph import graph_command
from relgraph.cli.inspect import inspect_command
from relgraph.cli.labels import labels_command
from relgraph.cli.predict import predict_command
from relgraph.cli.serve import serve_command
from relgraph.cli.suggest import suggest_command
from relgraph.cli.train import train_command

app = typer.Typer(
    name="relgraph",
    help="Relational deep learning on the database you already have.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold connection strings
)
app.command("inspect")(inspect_command)
app.command("demo")(demo_command)
app.command("graph")(graph_command)
app.command("check")(check_command)
app.command("labels")(labels_command)
app.command("features")(features_command)
app.command("train")(train_command)
app.command("predict")(predict_command)
app.command("evaluate")(evaluate_command)
app.command("suggest")(suggest_command)
app.command("serve")(serve_command)
app.add_typer(bench_app, name="bench")


if __name__ == "__main__":
    app()
