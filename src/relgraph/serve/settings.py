"""What a server is started with: the source, where saved models live, the
token, and the limits every request is held to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Longest PQL query a request may send (characters); longer ones get 422.
MAX_QUERY_CHARS = 4_000


@dataclass(frozen=True)
class ServeSettings:
    """How ``relgraph serve`` runs.

    Args:
        source (str): the database, as :func:`relgraph.connect` reads it.
        connect_options (dict): keyword arguments for :func:`relgraph.connect`
            (``schema``, ``drop``, ``missing``), fixed at start. (default: none)
        models_dir (Path, optional): the folder of saved models a request may
            name (``model="churn.rg"``); no other file is ever opened for a
            request. (default: None: saved models are off)
        token (str, optional): when set, every request but the docs needs
            ``Authorization: Bearer <token>``. (default: None)
        host (str): the address it binds, used to refuse Host headers that do
            not name a loopback host when bound to loopback. (default: ``127.0.0.1``)
        max_body_bytes (int): largest request body; larger ones get 413. (default: 64 KiB)
        max_in_flight (int): requests computing or waiting at once; more get
            429. (default: 8)
        max_jobs (int): evaluate jobs queued or running at once; more get 429. (default: 2)
        check_every_s (float): the source's files are looked at (sizes and
            modification times) at most this often, on a request; a change
            reloads the database. (default: 2.0)
        cache_size (int): predictions kept per database version (0: none). (default: 32)
        models_kept (int): questions whose in-context models (labels, feature
            rows, chosen predictor) are kept warm per database version, so a
            question asked again about other entities, another anchor or with
            reasons computes only what is new (0: none). (default: 16)
        prefetch_rows (int): after a question about some entities, the
            feature rows of up to this many entities of its table at the same
            anchor are filled in the background, so the next question about
            other ones skips their feature SQL (0: off). (default: 20,000)
        suggestions (int): suggested questions computed in the background
            once per database version for ``GET /suggest`` and the page (0:
            none). (default: 10)

    Example:
        >>> ServeSettings("shop.duckdb").loopback
        True
        >>> ServeSettings("shop.duckdb", host="0.0.0.0").loopback
        False
    """

    source: str
    connect_options: dict[str, Any] = field(default_factory=dict)
    models_dir: Path | None = None
    token: str | None = None
    host: str = "127.0.0.1"
    max_body_bytes: int = 64 * 1024
    max_in_flight: int = 8
    max_jobs: int = 2
    check_every_s: float = 2.0
    cache_size: int = 32
    models_kept: int = 16
    prefetch_rows: int = 20_000
    suggestions: int = 10

    @property
    def loopback(self) -> bool:
        """True when the server is bound to a loopback address only."""
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
