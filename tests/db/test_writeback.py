"""Predictions written back into the source database (``relgraph.db.sources.writeback``):
DuckDB and SQLite files and a real PostgreSQL server. A new table appears whole
or not at all, an existing one is never replaced unless it holds relgraph's own
predictions and ``replace`` is asked, and relgraph never reads them back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app
from relgraph.db.sources.writeback import OutputError, check_table, table_target, write_table

runner = CliRunner()
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (17, 42)"
BASKET = (
    "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 3 "
    "FOR customers.customer_id IN (17, 42)"
)


def _preds() -> pd.DataFrame:
    """Every kind of column predictions have: keys, times, numbers, flags, lists, JSON."""
    frame = pd.DataFrame(
        {
            "customer_id": [17, 42],
            "anchor_time": pd.to_datetime(["2024-06-01 12:30:00", "2024-06-01 12:30:00"]),
            "probability": [0.75, None],
            "predicted": [True, False],
            "ranked": [[3, 1, 2], [5]],
            "scores": [[0.5, 0.25, 0.125], [1.0]],
            "top_signal": ["orders: none in the last 30 days (raises it)", None],
            "contributions": [[{"feature": "orders.count", "contribution": 0.5}], []],
        }
    )
    frame.attrs = {"query": "PREDICT x", "anchor_time": "2024-06-01 12:30:00"}
    return frame


def _sqlite_shop(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        for name, frame in make_ecommerce(scale=0.03, seed=1).items():
            frame.to_sql(name, con, index=False)
    con.close()
    return path


@pytest.fixture(scope="session")
def shop_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small shop written once as a DuckDB and a SQLite file: the originals
    that every test's own copy (``duckdb_file``, ``sqlite_file``) comes from."""
    folder = tmp_path_factory.mktemp("writeback_shop")
    write_duckdb(make_ecommerce(scale=0.03, seed=1), folder / "shop.duckdb")
    return {"duckdb": folder / "shop.duckdb", "sqlite": _sqlite_shop(folder / "shop.sqlite")}


@pytest.fixture
def duckdb_file(tmp_path: Path, shop_files: dict[str, Path]) -> Path:
    return Path(shutil.copyfile(shop_files["duckdb"], tmp_path / "shop.duckdb"))


@pytest.fixture
def sqlite_file(tmp_path: Path, shop_files: dict[str, Path]) -> Path:
    return Path(shutil.copyfile(shop_files["sqlite"], tmp_path / "shop.sqlite"))


def _rows(kind: str, location: str | Path, table: str) -> list[tuple]:
    if kind == "duckdb":
        with duckdb.connect(str(location), read_only=True) as con:
            return con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
    con = sqlite3.connect(location)
    try:
        return con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_new_table_keeps_every_value(kind: str, duckdb_file: Path, sqlite_file: Path) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    assert write_table(_preds(), path, "preds") == "preds"
    rows = _rows(kind, path, "preds")
    assert [r[0] for r in rows] == [17, 42]
    first, second = rows
    if kind == "duckdb":  # native types: timestamps, booleans, lists
        assert first[1] == dt.datetime(2024, 6, 1, 12, 30)
        assert first[3] is True and first[4] == [3, 1, 2] and first[5] == [0.5, 0.25, 0.125]
    else:  # SQLite: ISO text, 0/1, JSON text
        assert first[1] == "2024-06-01 12:30:00"
        assert first[3] == 1 and json.loads(first[4]) == [3, 1, 2]
        assert json.loads(first[5]) == [0.5, 0.25, 0.125]
    assert first[2] == 0.75 and second[2] is None and second[6] is None
    assert json.loads(first[7]) == [{"feature": "orders.count", "contribution": 0.5}]


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_existing_tables_are_never_lost(kind: str, duckdb_file: Path, sqlite_file: Path) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    orders = _rows(kind, path, "orders")
    with pytest.raises(OutputError, match="holds data relgraph did not write"):
        write_table(_preds(), path, "orders", replace=True)
    with pytest.raises(OutputError, match="holds data relgraph did not write"):
        write_table(_preds(), path, "ORDERS")  # names are case-insensitive here
    assert _rows(kind, path, "orders") == orders
    write_table(_preds().head(1), path, "preds")
    with pytest.raises(OutputError, match="already exists .* pass --replace"):
        write_table(_preds(), path, "preds")
    with pytest.raises(OutputError, match="already exists"):
        check_table(path, "preds")
    check_table(path, "preds", replace=True)  # a check changes nothing
    assert len(_rows(kind, path, "preds")) == 1
    write_table(_preds(), path, "preds", replace=True)
    assert len(_rows(kind, path, "preds")) == 2


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_failed_replace_keeps_the_old_table(
    kind: str, duckdb_file: Path, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    write_table(_preds().head(1), path, "preds")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("relgraph.db.sources.writeback._typed_columns", broken)
    monkeypatch.setattr("relgraph.db.sources.writeback._plain_columns", broken)
    with pytest.raises(RuntimeError, match="disk full"):  # after the old table was dropped
        write_table(_preds(), path, "preds", replace=True)
    assert len(_rows(kind, path, "preds")) == 1
    with pytest.raises(RuntimeError):
        write_table(_preds(), path, "fresh")
    with pytest.raises(Exception, match="fresh"):
        _rows(kind, path, "fresh")  # no half-made table


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_loaders_skip_predictions(kind: str, duckdb_file: Path, sqlite_file: Path) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    before = rg.connect(path).schema
    write_table(_preds(), path, "preds")
    after = rg.connect(path).schema
    assert set(after.tables) == set(before.tables) and "preds" not in after.tables
    assert any("'preds' holds predictions written by relgraph" in w for w in after.warnings)


def test_only_relgraphs_mark_counts(duckdb_file: Path, sqlite_file: Path) -> None:
    """A comment that merely mentions the words marks nothing: such a table is
    read by the loader and never replaced."""
    with duckdb.connect(str(duckdb_file)) as con:
        con.execute("CREATE TABLE curated AS SELECT 1 AS x")
        con.execute("COMMENT ON TABLE curated IS 'hand-checked relgraph predictions'")
    with sqlite3.connect(sqlite_file) as con:
        con.execute("CREATE TABLE curated (x TEXT DEFAULT 'copied from relgraph predictions')")
        con.execute("INSERT INTO curated VALUES ('kept')")
    con.close()
    for path in (duckdb_file, sqlite_file):
        with pytest.raises(OutputError, match="holds data relgraph did not write"):
            write_table(_preds(), path, "curated", replace=True)
        assert "curated" in rg.connect(path).schema.tables


def test_values_json_cannot_hold_or_databases_cannot_tell_apart(
    duckdb_file: Path, sqlite_file: Path
) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "at": pd.to_datetime(["2024-06-01 12:30", "2024-06-02 00:00"]).tz_localize(
                "Europe/Paris"
            ),
            "loose": pd.Series([0.5, None], dtype=object),  # numbers in an object column
            "ranked": [np.array([5, 6], dtype=np.int64), [float("nan"), 1.0]],
        }
    )
    for kind, path in (("duckdb", duckdb_file), ("sqlite", sqlite_file)):
        write_table(frame, path, "odd")
        first, second = _rows(kind, path, "odd")
        when = first[1] if kind == "duckdb" else dt.datetime.fromisoformat(first[1])
        assert when == dt.datetime(2024, 6, 1, 10, 30)  # the same instant, in UTC
        assert first[2] == 0.5 and second[2] is None
        ranked = (
            [first[3], second[3]]
            if kind == "duckdb"
            else [json.loads(first[3]), json.loads(second[3])]
        )
        assert ranked == [[5, 6], [None, 1.0]]  # plain numbers; NaN as null
        twins = pd.DataFrame({"score_A": [0.2], "score_a": [0.8]})
        with pytest.raises(OutputError, match="differ only in case"):
            write_table(twins, path, "twins")
        write_table(_preds().head(0), path, "empty")
        assert _rows(kind, path, "empty") == []


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_text_that_is_not_unicode_is_an_output_error(
    kind: str, duckdb_file: Path, sqlite_file: Path
) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    frame = pd.DataFrame({"k": [1], "why": pd.Series(["\ud800"], dtype=object)})  # not UTF-8
    with pytest.raises(OutputError, match="Cannot write table 'odd' into .*surrogate"):
        write_table(frame, path, "odd")
    assert check_table(path, "odd").kind == kind  # nothing was left half written


def test_cli_names_with_brackets(sqlite_file: Path) -> None:
    result = runner.invoke(app, ["predict", str(sqlite_file), SPEND, "--table", "preds[/x]"])
    assert result.exit_code == 0, result.output
    assert len(_rows("sqlite", sqlite_file, "preds[/x]")) == 2


def test_sources_that_cannot_take_a_table(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    pd.DataFrame({"customer_id": [1]}).to_csv(folder / "customers.csv", index=False)
    for source in (folder, folder / "customers.csv", tmp_path / "missing.duckdb"):
        with pytest.raises(OutputError, match="DuckDB or SQLite file or a PostgreSQL server"):
            write_table(_preds(), source, "t")
    secret = "postgresql+psycopg://ann:Sup3rSecret@db.example:5432/shop"
    with pytest.raises(OutputError, match="a postgresql\\+psycopg:// URL") as error:
        write_table(_preds(), secret, "t")
    assert "Sup3rSecret" not in str(error.value)
    shop = _sqlite_shop(tmp_path / "shop.sqlite")
    assert table_target(f"sqlite:///{shop}").kind == "sqlite"  # sqlite:////abs/path
    with pytest.raises(OutputError, match="needs a name"):
        write_table(_preds(), shop, " ")


def test_cli_checks_the_name_before_predicting(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args, **kwargs):
        raise AssertionError("predicted although the table name was taken")

    monkeypatch.setattr(sys.modules["relgraph.predict"], "predict", never)
    result = runner.invoke(app, ["predict", str(sqlite_file), SPEND, "--table", "orders"])
    assert result.exit_code == 1
    assert "holds data relgraph did not write" in " ".join(result.stderr.split())


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_cli_writes_into_sqlite(sqlite_file: Path) -> None:
    for query, table in ((SPEND, "spend"), (BASKET, "basket")):
        result = runner.invoke(app, ["predict", str(sqlite_file), query, "--table", table])
        assert result.exit_code == 0, result.output
        assert f"to table '{table}' of" in result.stderr
    spend = _rows("sqlite", sqlite_file, "spend")
    assert [r[0] for r in spend] == [17, 42] and all(r[2] >= 0 for r in spend)
    basket = _rows("sqlite", sqlite_file, "basket")
    assert all(len(json.loads(r[2])) == 3 for r in basket)  # ranked product ids
    create = sqlite3.connect(sqlite_file).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'spend'"
    )
    assert "relgraph predictions" in create.fetchone()[0]


def test_cli_writes_into_the_file_a_url_names(
    sqlite_file: Path, duckdb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlite:///shop.sqlite is relative (SQLAlchemy): read and written there."""
    monkeypatch.chdir(sqlite_file.parent)
    for url, kind, path in (
        ("sqlite:///shop.sqlite", "sqlite", sqlite_file),
        (f"duckdb:///{duckdb_file}", "duckdb", duckdb_file),  # four slashes: absolute
    ):
        result = runner.invoke(app, ["predict", url, SPEND, "--table", "spend"])
        assert result.exit_code == 0, result.output
        assert "to table 'spend' of" in result.stderr
        assert [r[0] for r in _rows(kind, path, "spend")] == [17, 42]
    assert table_target("sqlite:///shop.sqlite") == table_target(sqlite_file.name)


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_schema_qualified_names_are_refused(
    kind: str, duckdb_file: Path, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = duckdb_file if kind == "duckdb" else sqlite_file
    for name in ("main.orders", "main.orders_predictions", "x.y.z"):
        with pytest.raises(OutputError, match=rf"'{name}' has a dot; .*main schema.*e\.g\."):
            write_table(_preds(), path, name, replace=True)
    with pytest.raises(OutputError, match="--table main_preds"):
        check_table(path, "main.preds")

    def never(*args, **kwargs):
        raise AssertionError("predicted although the table name has a dot")

    monkeypatch.setattr(sys.modules["relgraph.predict"], "predict", never)
    args = ["predict", str(path), SPEND, "--table", "main.orders", "--replace"]
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "'main.orders' has a dot" in result.stderr and "Traceback" not in result.output
    if kind == "duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    else:
        with sqlite3.connect(path) as con:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master").fetchall()]
        con.close()
    assert not any("." in name for name in names)


# ---------------------------------------------------------------- PostgreSQL


def _load_shop(url: str, schema: str) -> None:
    """The ecommerce demo (small) as plain tables of one schema."""
    import psycopg
    from psycopg import sql

    types = {"i": "bigint", "f": "double precision", "M": "timestamp", "b": "boolean"}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for name, frame in make_ecommerce(scale=0.03, seed=1).items():
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types.get(d.kind, "text")))
                for c, d in frame.dtypes.items()
            )
            target = sql.Identifier(schema, name)
            con.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
            with con.cursor() as cur, cur.copy(sql.SQL("COPY {} FROM STDIN").format(target)) as cp:
                for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                    cp.write_row(row)


@pytest.fixture(scope="module")
def pg_shop(postgres_url: str) -> str:
    _load_shop(postgres_url, "shop_wb")
    return postgres_url + "?schema=shop_wb"


@pytest.mark.postgres
def test_postgres_round_trip(pg_shop: str, postgres_url: str) -> None:
    import psycopg

    write_table(_preds(), pg_shop, "preds")
    with psycopg.connect(postgres_url) as con:
        rows = con.execute("SELECT * FROM shop_wb.preds ORDER BY 1").fetchall()
        kinds = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'shop_wb' AND table_name = 'preds'"
            ).fetchall()
        )
        comment = con.execute("SELECT obj_description('shop_wb.preds'::regclass)").fetchone()[0]
        ranked = con.execute("SELECT ranked->>0 FROM shop_wb.preds ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == [17, 42]
    assert rows[0][1] == dt.datetime(2024, 6, 1, 12, 30) and rows[0][3] is True
    assert rows[0][2] == 0.75 and rows[1][2] is None and rows[0][5] == [0.5, 0.25, 0.125]
    assert kinds["customer_id"] == "bigint" and kinds["anchor_time"].startswith("timestamp")
    assert kinds["ranked"] == "jsonb" and kinds["contributions"] == "jsonb"
    assert ranked == [("3",), ("5",)]
    assert comment == "relgraph predictions: PREDICT x as of 2024-06-01 12:30:00"
    db = rg.connect(pg_shop)
    assert "preds" not in db.schema.tables
    assert any("shop_wb.preds' holds predictions" in w for w in db.schema.warnings)


@pytest.mark.postgres
def test_postgres_never_loses_a_table(
    pg_shop: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    with pytest.raises(OutputError, match="holds data relgraph did not write"):
        write_table(_preds(), pg_shop, "orders", replace=True)
    write_table(_preds().head(1), pg_shop, "kept")
    with pytest.raises(OutputError, match="already exists"):
        write_table(_preds(), pg_shop, "kept")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr("relgraph.db.sources.writeback._typed_columns", broken)
        with pytest.raises(RuntimeError):
            write_table(_preds(), pg_shop, "kept", replace=True)
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT count(*) FROM shop_wb.kept").fetchone()[0] == 1
    write_table(_preds(), pg_shop, "kept", replace=True)
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT count(*) FROM shop_wb.kept").fetchone()[0] == 2
    with pytest.raises(OutputError, match="Schema 'nowhere' does not exist"):
        write_table(_preds(), postgres_url + "?schema=nowhere", "t")
    with pytest.raises(OutputError, match="63 bytes"):
        write_table(_preds(), pg_shop, "x" * 64)
    with pytest.raises(OutputError, match="Cannot write table 'nul'"):
        write_table(pd.DataFrame({"k": [1], "why": ["a\x00b"]}), pg_shop, "nul")


@pytest.mark.postgres
def test_cli_predicts_into_postgres(pg_shop: str, postgres_url: str) -> None:
    import psycopg

    result = runner.invoke(app, ["predict", pg_shop, SPEND, "--table", "spend_predictions"])
    assert result.exit_code == 0, result.output
    assert "to table 'spend_predictions' of postgresql://" in " ".join(result.stderr.split())
    with psycopg.connect(postgres_url) as con:
        rows = con.execute(
            "SELECT customer_id, prediction, top_signal FROM shop_wb.spend_predictions ORDER BY 1"
        ).fetchall()
    assert [r[0] for r in rows] == [17, 42] and all(r[2] for r in rows)


@pytest.mark.postgres
def test_postgres_checks_rights_and_names_before_predicting(
    pg_shop: str, postgres_url: str
) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE ROLE wb_reader LOGIN")
        con.execute("GRANT USAGE ON SCHEMA shop_wb TO wb_reader")
        con.execute("CREATE TYPE shop_wb.mood AS ENUM ('happy', 'sad')")
    reader = pg_shop.replace("postgresql://postgres@", "postgresql://wb_reader@")
    with pytest.raises(OutputError, match="may not create tables in schema 'shop_wb'"):
        check_table(reader, "preds_of_reader")
    with pytest.raises(OutputError, match="A type named 'mood' already exists"):
        check_table(pg_shop, "mood")
    assert check_table(pg_shop, "fresh_name").kind == "postgres"
    with pytest.raises(OutputError, match=r"'shop_wb.preds' has a dot.*\?schema=NAME in the URL"):
        check_table(pg_shop, "shop_wb.preds")


# ---------------------------------------------------------------- any values, round trip

#: PostgreSQL's text cannot hold NUL (writing one is an OutputError, tested above),
#: and no database's text holds a lone surrogate (not UTF-8; an OutputError too).
_NO_NUL = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
_KEYS = st.lists(st.integers(-(2**62), 2**62), min_size=0, max_size=12, unique=True)


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    keys = draw(_KEYS)
    n = len(keys)

    def column(values: st.SearchStrategy) -> list:
        return draw(st.lists(values, min_size=n, max_size=n))

    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    times = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1))
    return pd.DataFrame(
        {
            "key": pd.Series(keys, dtype="int64"),
            "score": pd.Series(column(st.one_of(st.none(), finite)), dtype="float64"),
            "flag": pd.Series(column(st.booleans()), dtype="bool"),
            "label": pd.Series(
                column(st.one_of(st.none(), st.text(_NO_NUL, max_size=8))), dtype=object
            ),
            "at": pd.Series(
                [pd.Timestamp(t).floor("us") for t in column(times)], dtype="datetime64[us]"
            ),
            "ranked": pd.Series(column(st.lists(st.integers(0, 10**6), max_size=4)), dtype=object),
        }
    )


def _expected(frame: pd.DataFrame) -> list[tuple]:
    rows = []
    for r in frame.sort_values("key").itertuples(index=False):
        score = None if pd.isna(r.score) else float(r.score)
        rows.append(
            (int(r.key), score, bool(r.flag), r.label, r.at.to_pydatetime(), list(r.ranked))
        )
    return rows


@pytest.mark.slow  # 40 random frames through every target, about 8 s
@settings(max_examples=40, deadline=None)
@given(frame=_frames())
def test_any_values_come_back_as_written(frame: pd.DataFrame) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        paths = {"duckdb": Path(folder) / "x.duckdb", "sqlite": Path(folder) / "x.sqlite"}
        duckdb.connect(str(paths["duckdb"])).close()
        with sqlite3.connect(paths["sqlite"]) as con:
            con.execute("CREATE TABLE other (x INTEGER)")
        con.close()
        for kind, path in paths.items():
            write_table(frame, path, "preds")
            got = []
            for key, score, flag, label, at, ranked in _rows(kind, path, "preds"):
                if kind == "sqlite":
                    flag, at, ranked = bool(flag), dt.datetime.fromisoformat(at), json.loads(ranked)
                got.append((key, score, flag, label, at, list(ranked)))
            assert got == _expected(frame), kind


@pytest.mark.postgres
@settings(max_examples=15, deadline=None)
@given(frame=_frames())
def test_any_values_come_back_from_postgres(frame: pd.DataFrame, pg_shop: str) -> None:
    import psycopg

    write_table(frame, pg_shop, "any_values", replace=True)
    with psycopg.connect(pg_shop.split("?")[0]) as con:
        got = con.execute("SELECT * FROM shop_wb.any_values ORDER BY 1").fetchall()
    assert [tuple(r) for r in got] == _expected(frame)
