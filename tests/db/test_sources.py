"""Every source type reads the same small shop into the same schema."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import relgraph as rg
from relgraph.errors import SourceError
from tests.factories import SHOP_LINKS, shop_frames


def link_set(db: rg.Database) -> set[str]:
    return {str(link) for link in db.schema.links}


def assert_shop_schema(db: rg.Database) -> None:
    s = db.schema
    assert {t: s.tables[t].primary_key for t in s.tables} == {
        "customers": "customer_id",
        "products": "product_id",
        "orders": "order_id",
        "order_items": "order_item_id",
        "reviews": "review_id",
    }
    assert s.tables["orders"].time_column == "ordered_at"
    assert s.tables["customers"].time_column == "signup_at"
    assert s.tables["products"].time_column is None
    assert link_set(db) == SHOP_LINKS
    frames = shop_frames()
    for name, frame in frames.items():
        assert s.tables[name].num_rows == len(frame)


def write_duckdb_file(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    con = duckdb.connect(str(path))
    for name, frame in frames.items():
        con.register("f", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM f')
        con.unregister("f")
    con.close()


def write_sqlite_file(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    con = sqlite3.connect(path)
    for name, frame in frames.items():
        frame.to_sql(name, con, index=False)
    con.close()


def digest(path: Path) -> str:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def test_pandas_dict() -> None:
    frames = shop_frames()
    before = {k: v.copy() for k, v in frames.items()}
    db = rg.connect(frames)
    assert_shop_schema(db)
    for name in frames:  # the caller's frames are untouched
        pd.testing.assert_frame_equal(frames[name], before[name])
    got = db.table("orders").sort_values("order_id").reset_index(drop=True)
    assert got["amount"].tolist() == frames["orders"]["amount"].tolist()


def test_arrow_tables_in_dict() -> None:
    frames = {k: pa.Table.from_pandas(v) for k, v in shop_frames().items()}
    assert_shop_schema(rg.connect(frames))


def test_duckdb_file_and_url(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    write_duckdb_file(path, shop_frames())
    before = digest(path)
    assert_shop_schema(rg.connect(path))
    assert_shop_schema(rg.connect(f"duckdb:///{path}"))
    assert digest(path) == before


def test_duckdb_declared_constraints_are_used(tmp_path: Path) -> None:
    path = tmp_path / "declared.duckdb"
    con = duckdb.connect(str(path))
    # Names that inference alone would not link: the declared keys must win.
    con.execute("CREATE TABLE people (code VARCHAR PRIMARY KEY, name VARCHAR)")
    con.execute(
        "CREATE TABLE visits (vid INTEGER PRIMARY KEY, who VARCHAR REFERENCES people(code),"
        " seen_at TIMESTAMP)"
    )
    con.execute("INSERT INTO people VALUES ('a', 'Ann'), ('b', 'Bob')")
    con.execute("INSERT INTO visits VALUES (1, 'a', '2024-01-01'), (2, 'b', '2024-01-02')")
    con.close()
    db = rg.connect(path)
    assert db.schema.tables["people"].primary_key == "code"
    assert db.schema.tables["visits"].primary_key == "vid"
    assert link_set(db) == {"visits.who -> people.code"}
    assert db.schema.link_info[db.schema.links[0]].origin == "declared"


def test_duckdb_composite_keys_and_links(tmp_path: Path) -> None:
    path = tmp_path / "composite.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE a (x INTEGER, y INTEGER, PRIMARY KEY (x, y))")
    con.execute(
        "CREATE TABLE b (b_id INTEGER PRIMARY KEY, x INTEGER, y INTEGER, "
        "FOREIGN KEY (x, y) REFERENCES a (x, y))"
    )
    con.execute("INSERT INTO a VALUES (1, 1), (1, 2)")
    con.execute("INSERT INTO b VALUES (1, 1, 1)")
    con.close()
    schema = rg.connect(path).schema
    assert schema.tables["a"].key_parts == ("x", "y")
    [link] = schema.links
    assert (link.src_table, link.dst_table) == ("b", "a")
    assert schema.link_parts(link) == (("x", "y"), ("x", "y"))
    assert schema.link_info[link].origin == "declared"
    assert schema.link_info[link].dangling == 0


def test_sqlite_file_and_url(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    write_sqlite_file(path, shop_frames())
    before = digest(path)
    db = rg.connect(path)
    assert_shop_schema(db)  # text timestamps in SQLite become time columns
    assert db.schema.tables["orders"].dtypes["ordered_at"].startswith("TIMESTAMP")
    assert_shop_schema(rg.connect(f"sqlite:///{path}"))
    assert digest(path) == before


def test_sqlite_declared_constraints(tmp_path: Path) -> None:
    path = tmp_path / "declared.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE people (code TEXT PRIMARY KEY, name TEXT);
        CREATE TABLE visits (vid INTEGER PRIMARY KEY, who TEXT REFERENCES people(code), at TEXT);
        CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
        INSERT INTO people VALUES ('a', 'Ann'), ('b', 'Bob');
        INSERT INTO visits VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-02 11:00:00');
        INSERT INTO pairs VALUES (1, 2);
    """)
    con.close()
    db = rg.connect(path)
    assert link_set(db) == {"visits.who -> people.code"}
    assert db.schema.tables["visits"].time_column == "at"
    assert db.schema.tables["pairs"].key_parts == ("a", "b")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_folder_of_files(tmp_path: Path, fmt: str) -> None:
    for name, frame in shop_frames().items():
        if fmt == "csv":
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
        else:
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    before = digest(tmp_path)
    assert_shop_schema(rg.connect(tmp_path))
    assert digest(tmp_path) == before


def test_csv_with_backslash_n_nulls_and_short_rows(tmp_path: Path) -> None:
    # The Ergast dump writes NULL as \N and ends some rows early.
    (tmp_path / "races.csv").write_text(
        'raceId,name,date,time\n1,"A GP","2009-03-29","06:00:00"\n2,B GP,2025-03-16\n'
        '3,"C GP","2010-01-01",\\N\n'
    )
    db = rg.connect(tmp_path / "races.csv")
    frame = db.table("races")
    assert frame["time"].isna().tolist() == [False, True, True]
    assert db.schema.tables["races"].time_column == "date"


def write_relbench(folder: Path) -> None:
    """A RelBench-format folder: db/<table>.parquet with key metadata as JSON."""
    (folder / "db").mkdir(parents=True)
    meta = {
        "drivers": ("driverId", {}, None),
        "results": ("resultId", {"driverId": "drivers"}, "date"),
    }
    frames = {
        "drivers": pd.DataFrame({"driverId": [0, 1, 2], "name": ["a", "b", "c"]}),
        "results": pd.DataFrame(
            {
                "resultId": [0, 1, 2, 3],
                "driverId": [0, 1, 1, 2],
                "date": pd.to_datetime(["2001-01-01"] * 2 + ["2002-01-01"] * 2),
                "when_else": pd.to_datetime(["2001-01-01"] * 4),
            }
        ),
    }
    for name, frame in frames.items():
        pkey, fkeys, time_col = meta[name]
        table = pa.Table.from_pandas(frame, preserve_index=False)
        extra = {
            b"pkey_col": json.dumps(pkey).encode(),
            b"fkey_col_to_pkey_table": json.dumps(fkeys).encode(),
            b"time_col": json.dumps(time_col).encode(),
        }
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
        pq.write_table(table, folder / "db" / f"{name}.parquet")


def test_relbench_folder(tmp_path: Path) -> None:
    write_relbench(tmp_path / "rel-x")
    db = rg.connect(tmp_path / "rel-x")
    assert db.schema.tables["results"].time_column == "date"
    assert db.schema.tables["drivers"].time_column is None
    assert link_set(db) == {"results.driverId -> drivers.driverId"}
    assert db.schema.link_info[db.schema.links[0]].origin == "declared"
    assert "relbench" in db.source


def test_store_on_disk(tmp_path: Path) -> None:
    store = tmp_path / "work.duckdb"
    db = rg.connect(shop_frames(), store=store)
    db.close()
    assert store.exists()
    with pytest.raises(SourceError, match="exists"):
        rg.connect(shop_frames(), store=store)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p / "missing.duckdb", "No such file or folder"),
        (lambda p: p, "No .csv, .tsv, .csv.gz or .parquet files"),
        (
            lambda p: (p / "x.txt").write_text("hello world, not a db") and p / "x.txt",
            "neither a DuckDB nor a SQLite",
        ),
        (
            lambda p: (p / "bad.parquet").write_bytes(b"PAR1 garbage") and p / "bad.parquet",
            "Cannot read .* as PARQUET",
        ),
        (
            lambda p: (
                (p / "bad.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200) and p / "bad.db"
            ),
            "SQLite",
        ),
        (lambda p: "mysql://localhost/shop", "Unsupported URL 'mysql'"),
        (lambda p: "duckdb:///nowhere/x.duckdb", "DuckDB file not found"),
    ],
)
def test_unreadable_sources(tmp_path: Path, make, match: str) -> None:
    with pytest.raises(SourceError, match=match):
        rg.connect(make(tmp_path))


def test_two_files_for_one_table(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a\n1\n")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(SourceError, match="Two files give table 't'"):
        rg.connect(tmp_path)


def test_wrong_kind_of_object() -> None:
    with pytest.raises(SourceError, match="Cannot read a int"):
        rg.connect(42)  # type: ignore[arg-type]
    with pytest.raises(SourceError, match="must be a pandas DataFrame"):
        rg.connect({"t": [1, 2]})
    with pytest.raises(SourceError, match="empty dict"):
        rg.connect({})


def test_sqlite_foreign_key_to_a_missing_table(tmp_path: Path) -> None:
    path = tmp_path / "dangling_decl.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE visits (vid INTEGER PRIMARY KEY, who TEXT REFERENCES ghosts(code));
        CREATE TABLE notes (nid INTEGER PRIMARY KEY, vid TEXT REFERENCES visits(vid));
        INSERT INTO visits VALUES (1, 'a'), (2, 'b');
        INSERT INTO notes VALUES (1, '1'), (2, '2'), (3, '9');
    """)
    con.close()
    db = rg.connect(path)
    assert any("Declared foreign key visits.who -> ghosts.code" in w for w in db.schema.warnings)
    # A text column declared to reference an integer key is compared as text.
    assert link_set(db) == {"notes.vid -> visits.vid"}
    assert db.schema.link_info[db.schema.links[0]].dangling == 1


def _damage(path: Path, offset: int, size: int = 64) -> None:
    """Overwrite ``size`` bytes at ``offset`` (a block whose checksum no longer matches)."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xff" * size)


def test_corrupted_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS t_id, hash(range) AS v FROM range(100000)")
    con.close()
    _damage(path, path.stat().st_size // 2)  # a data block, read only when copied
    with pytest.raises(
        SourceError,
        match=r"'.*bad\.duckdb' is corrupted or not a DuckDB database \(DuckDB says: "
        r"Corrupt database file: computed checksum [^\n]*\)\. Restore it",
    ):
        rg.connect(path)
    (tmp_path / "short.duckdb").write_bytes(path.read_bytes()[:50_000])  # truncated
    with pytest.raises(SourceError, match="'.*short.duckdb' is corrupted or not a DuckDB"):
        rg.connect(tmp_path / "short.duckdb")


def test_corrupted_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    frame = pd.DataFrame({"t_id": range(20_000), "note": [f"row {i} " * 4 for i in range(20_000)]})
    write_sqlite_file(path, {"t": frame})
    _damage(path, path.stat().st_size // 2, 512)
    with pytest.raises(
        SourceError,
        match=r"'.*bad\.sqlite' is corrupted or not a SQLite database \(SQLite says: "
        r"database disk image is malformed\)",
    ):
        rg.connect(path)


def test_file_urls_follow_sqlalchemy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three slashes: a path relative to the working directory; four: absolute."""
    (tmp_path / "data").mkdir()
    write_duckdb_file(tmp_path / "data" / "shop.duckdb", shop_frames())
    write_sqlite_file(tmp_path / "data" / "shop.sqlite", shop_frames())
    monkeypatch.chdir(tmp_path)
    assert_shop_schema(rg.connect("duckdb:///data/shop.duckdb"))
    assert_shop_schema(rg.connect("sqlite:///data/shop.sqlite"))
    absolute = tmp_path / "data" / "shop.sqlite"
    assert_shop_schema(rg.connect(f"sqlite:///{absolute}"))  # sqlite:////tmp/...
    with pytest.raises(SourceError, match="relative to the working directory.*four slashes"):
        rg.connect(f"sqlite://{absolute}")  # the old reading of three slashes
    with pytest.raises(SourceError, match="names a host, not a file; write duckdb:///relative"):
        rg.connect("duckdb://data/shop.duckdb")
    with pytest.raises(SourceError, match="names no file"):
        rg.connect("sqlite:///")
    with pytest.raises(SourceError, match="SQLite file not found: 'nowhere/x.sqlite'"):
        rg.connect("sqlite:///nowhere/x.sqlite")
