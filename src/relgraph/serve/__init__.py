"""``relgraph serve``: one database behind an HTTP JSON API, from a warm
process (the schema loaded, the context transformer in memory).

Example:
    >>> import tempfile, pathlib, httpx
    >>> from relgraph.bench.demo import make_ecommerce, write_duckdb
    >>> from relgraph.serve import BackgroundServer, ServeSettings, create_app
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.duckdb"
    >>> _ = write_duckdb(make_ecommerce(scale=0.02), path)
    >>> with BackgroundServer(create_app(ServeSettings(str(path)), warm=False)) as server:
    ...     httpx.post(server.url + "/check", json={"query": "PREDICT COUNT(orders.*, 0, 30, "
    ...                "days) = 0 FOR EACH customers.customer_id"}).json()["task_type"]
    'binary_classification'
"""

from relgraph.serve.app import create_app
from relgraph.serve.server import BackgroundServer, serve_forever
from relgraph.serve.settings import ServeSettings

__all__ = ["BackgroundServer", "ServeSettings", "create_app", "serve_forever"]
