"""TemporalGraph: CSR per edge type against a brute-force reference, time
sentinels, persistence, errors, and building from a connected database."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relgraph as rg
import relgraph.graph.csr as csr_module
from relgraph.db.schema import Link, Schema, TableSchema
from relgraph.db.stype import Stype
from relgraph.errors import GraphError
from relgraph.graph import CSR, NEVER_TIME, STATIC_TIME, TemporalGraph
from relgraph.graph.csr import build_csr, match_keys, time_rank
from relgraph.graph.temporal_graph import needed_columns

DAY = 86_400
UNIT_FACTOR = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


# ---------------------------------------------------------------- reference


@dataclass
class TableSpec:
    name: str
    keys: list  # unique, in row order
    codes: list  # a second unique column
    times: list | None  # seconds or None per row; None for a static table
    time_type: str  # "s", "ms", "us", "ns" or "date"
    fks: dict  # column -> values per row


def _arrow_table(spec: TableSpec, key_type: pa.DataType) -> pa.Table:
    columns = {
        "id": pa.array(spec.keys, key_type),
        "code": pa.array(spec.codes, pa.string()),
    }
    if spec.times is not None:
        if spec.time_type == "date":
            days = [None if t is None else t // DAY for t in spec.times]
            columns["at"] = pa.array(days, pa.int32()).cast(pa.date32())
        else:
            factor = UNIT_FACTOR[spec.time_type]
            raw = [None if t is None else t * factor for t in spec.times]
            columns["at"] = pa.array(raw, pa.int64()).cast(pa.timestamp(spec.time_type))
    for column, (values, type_) in spec.fks.items():
        columns[column] = pa.array(values, type_)
    return pa.table(columns)


def _reference(specs: dict[str, TableSpec], links: list[Link]):
    """Per edge type: node -> [(time, neighbor)] sorted; per link: dangling, nulls."""
    node_time = {}
    for name, spec in specs.items():
        if spec.times is None:
            node_time[name] = [STATIC_TIME] * len(spec.keys)
        else:
            node_time[name] = [NEVER_TIME if t is None else t for t in spec.times]
    adjacency, dangling, nulls = {}, {}, {}
    for link in links:
        dst = specs[link.dst_table]
        dst_values = dst.keys if link.dst_column == "id" else dst.codes
        position = {v: p for p, v in enumerate(dst_values) if v is not None}
        values = specs[link.src_table].fks[link.src_column][0]
        forward = {r: [] for r in range(len(specs[link.src_table].keys))}
        backward = {p: [] for p in range(len(dst.keys))}
        dangling[link.edge_type] = nulls[link.edge_type] = 0
        for row, value in enumerate(values):
            if value is None:
                nulls[link.edge_type] += 1
            elif value not in position:
                dangling[link.edge_type] += 1
            else:
                p = position[value]
                forward[row].append((node_time[link.dst_table][p], p))
                backward[p].append((node_time[link.src_table][row], row))
        adjacency[link.edge_type] = {n: sorted(e) for n, e in forward.items()}
        adjacency[link.reverse_edge_type] = {n: sorted(e) for n, e in backward.items()}
    return node_time, adjacency, dangling, nulls


def _schema(specs: dict[str, TableSpec], links: list[Link]) -> Schema:
    tables = {}
    for name, spec in specs.items():
        columns = {"id": Stype.id, "code": Stype.id}
        if spec.times is not None:
            columns["at"] = Stype.timestamp
        columns.update({c: Stype.id for c in spec.fks})
        tables[name] = TableSchema(
            name=name,
            columns=columns,
            dtypes={},
            num_rows=len(spec.keys),
            primary_key="id",
            time_column=None if spec.times is None else "at",
        )
    return Schema(tables=tables, links=links)


def _assert_matches_reference(graph: TemporalGraph, specs, links) -> None:
    node_time, adjacency, dangling, nulls = _reference(specs, links)
    assert graph.node_types == list(specs)
    for name, times in node_time.items():
        assert graph.node_time[name].dtype == np.int64
        assert graph.node_time[name].tolist() == times
        assert graph.is_static[name] == (specs[name].times is None)
        assert graph.num_nodes(name) == len(times)
    assert graph.edge_types == [
        et for link in links for et in (link.edge_type, link.reverse_edge_type)
    ]
    for edge_type, expected in adjacency.items():
        csr = graph.csr[edge_type]
        assert csr.indptr.dtype == csr.indices.dtype == csr.time.dtype == np.int64
        assert len(csr.indptr) == len(expected) + 1
        assert csr.indptr[0] == 0
        assert graph.num_edges(edge_type) == sum(len(e) for e in expected.values())
        for node, edges in expected.items():
            indices, times = graph.neighbors(edge_type, node)
            assert list(zip(times.tolist(), indices.tolist(), strict=True)) == edges
        rows = csr.edge_row
        if csr.reverse:
            assert rows.tolist() == csr.indices.tolist()
        else:
            assert rows.tolist() == np.repeat(np.arange(csr.num_src), csr.degree()).tolist()
    for link in links:
        assert graph.dangling[link.edge_type] == dangling[link.edge_type]
        assert graph.null_foreign_keys[link.edge_type] == nulls[link.edge_type]


# ---------------------------------------------------------------- property test


@st.composite
def databases(draw):
    """2-4 tables with int (dense or sparse) or string keys in random order,
    static or temporal (times with ties and NULLs, before and after 1970, any
    unit), and 1-4 links (self-links, parallel links, NULL and dangling FKs,
    links to the unique non-key column ``code``)."""
    n_tables = draw(st.integers(2, 4))
    specs, key_kinds = {}, {}
    for i in range(n_tables):
        name = f"t{i}"
        n_rows = draw(st.integers(0, 8))
        ints = draw(st.lists(st.integers(-20, 20), min_size=n_rows, max_size=n_rows, unique=True))
        kind = draw(st.sampled_from(["int", "sparse", "str"]))
        keys = {
            "int": ints,
            "sparse": [v * 10**12 for v in ints],
            "str": [f"k{v}" for v in ints],
        }[kind]
        codes = [f"c{v}" for v in ints]
        time_type = draw(st.sampled_from(["static", "s", "ms", "us", "ns", "date"]))
        times = None
        if time_type != "static":
            step = DAY if time_type == "date" else 1000
            times = draw(
                st.lists(
                    st.one_of(st.none(), st.integers(-3, 3).map(lambda d, s=step: d * s)),
                    min_size=n_rows,
                    max_size=n_rows,
                )
            )
        specs[name] = TableSpec(name, keys, codes, times, time_type, {})
        key_kinds[name] = kind
    links = []
    for j in range(draw(st.integers(1, 4))):
        src = draw(st.sampled_from(list(specs)))
        dst = draw(st.sampled_from(list(specs)))
        to_code = draw(st.booleans())
        dst_spec = specs[dst]
        if to_code:
            existing, dangling, type_ = dst_spec.codes, st.just("nope"), pa.string()
        elif key_kinds[dst] == "str":
            existing, dangling = dst_spec.keys, st.just("k99")
            type_ = draw(st.sampled_from([pa.string(), pa.large_string()]))
        else:
            existing, dangling = (
                dst_spec.keys,
                st.just(10**12 + 7 if key_kinds[dst] == "sparse" else 99),
            )
            type_ = (
                pa.int64()
                if key_kinds[dst] == "sparse"
                else draw(st.sampled_from([pa.int64(), pa.int32()]))
            )
        choices = [st.none(), dangling] + ([st.sampled_from(existing)] * 3 if existing else [])
        n_rows = len(specs[src].keys)
        values = draw(st.lists(st.one_of(*choices), min_size=n_rows, max_size=n_rows))
        column = f"fk{j}"
        specs[src].fks[column] = (values, type_)
        links.append(Link(src, column, dst, "code" if to_code else "id"))
    key_types = {
        name: pa.string() if kind == "str" else pa.int64() for name, kind in key_kinds.items()
    }
    return specs, links, key_types


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(databases())
def test_csr_matches_brute_force_reference(database):
    check_against_reference(database)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(databases())
def test_csr_matches_brute_force_reference_many_databases(database):
    check_against_reference(database)


def check_against_reference(database) -> None:
    """The graph, and the graph saved and memory-mapped back, against the
    brute-force reference."""
    specs, links, key_types = database
    tables = {name: _arrow_table(spec, key_types[name]) for name, spec in specs.items()}
    graph = TemporalGraph.from_tables(_schema(specs, links), tables)
    _assert_matches_reference(graph, specs, links)

    with tempfile.TemporaryDirectory() as tmp:
        graph.save(tmp)
        loaded = TemporalGraph.load(tmp, mmap=True)
        _assert_same_graph(graph, loaded)
        _assert_matches_reference(loaded, specs, links)


def _assert_same_graph(a: TemporalGraph, b: TemporalGraph) -> None:
    assert a.node_types == b.node_types
    assert a.edge_types == b.edge_types
    assert a.is_static == b.is_static
    assert a.dangling == b.dangling
    assert a.null_foreign_keys == b.null_foreign_keys
    assert a.warnings == b.warnings
    assert a.schema_fingerprint == b.schema_fingerprint
    for name in a.node_types:
        np.testing.assert_array_equal(a.node_time[name], b.node_time[name])
    for edge_type in a.edge_types:
        for field in ("indptr", "indices", "time"):
            np.testing.assert_array_equal(
                getattr(a.csr[edge_type], field), getattr(b.csr[edge_type], field)
            )
        assert a.csr[edge_type].reverse == b.csr[edge_type].reverse
        assert a.csr[edge_type].num_dst == b.csr[edge_type].num_dst
    assert a.summary() == b.summary()


# ---------------------------------------------------------------- a small shop


def _shop():
    """customers (static, string keys), orders (timed, one NULL time, one NULL
    and one dangling customer), a self-link orders.previous_id."""
    schema = Schema(
        tables={
            "customers": TableSchema(
                "customers", {"customer_id": Stype.id, "name": Stype.text}, {}, 3, "customer_id"
            ),
            "orders": TableSchema(
                "orders",
                {
                    "order_id": Stype.id,
                    "customer_id": Stype.id,
                    "previous_id": Stype.id,
                    "ordered_at": Stype.timestamp,
                },
                {},
                6,
                "order_id",
                "ordered_at",
            ),
        },
        links=[
            Link("orders", "customer_id", "customers", "customer_id"),
            Link("orders", "previous_id", "orders", "order_id"),
        ],
    )
    customers = pa.table({"customer_id": ["c", "a", "b"], "name": ["Cy", "Al", "Bo"]})
    at = [
        dt.datetime(2024, 1, 3),
        dt.datetime(1950, 5, 13),
        None,
        dt.datetime(2024, 1, 1),
        dt.datetime(2024, 1, 3),
        dt.datetime(1899, 12, 31, 23, 59, 59),
    ]
    orders = pa.table(
        {
            "order_id": [10, 11, 12, 13, 14, 15],
            "customer_id": ["a", "a", "b", None, "a", "zz"],
            "previous_id": [None, 13, 10, 11, 10, 99],
            "ordered_at": pa.array(at, pa.timestamp("us")),
        }
    )
    return schema, {"customers": customers, "orders": orders}


def _seconds(*args) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


def test_small_shop_by_hand():
    schema, tables = _shop()
    g = TemporalGraph.from_tables(schema, tables)
    assert g.node_types == ["customers", "orders"]
    assert g.edge_types == [
        ("orders", "customer_id", "customers"),
        ("customers", "rev_customer_id", "orders"),
        ("orders", "previous_id", "orders"),
        ("orders", "rev_previous_id", "orders"),
    ]
    assert g.is_static == {"customers": True, "orders": False}
    assert g.node_time["customers"].tolist() == [STATIC_TIME] * 3
    assert g.node_time["orders"].tolist() == [
        _seconds(2024, 1, 3),
        _seconds(1950, 5, 13),
        NEVER_TIME,
        _seconds(2024, 1, 1),
        _seconds(2024, 1, 3),
        _seconds(1899, 12, 31, 23, 59, 59),
    ]
    # Customer "a" (position 1) has orders 0, 1, 4: by time 1 (1950), then 0 and 4
    # (tie on 2024-01-03, broken by position).
    indices, times = g.neighbors(("customers", "rev_customer_id", "orders"), 1)
    assert indices.tolist() == [1, 0, 4]
    assert times.tolist() == [_seconds(1950, 5, 13), _seconds(2024, 1, 3), _seconds(2024, 1, 3)]
    # Customer "b" has only the order with a NULL time: kept, never visible.
    assert g.neighbors(("customers", "rev_customer_id", "orders"), 2)[1].tolist() == [NEVER_TIME]
    # Forward edges carry the static sentinel of the customer.
    indices, times = g.neighbors(("orders", "customer_id", "customers"), 0)
    assert indices.tolist() == [1] and times.tolist() == [STATIC_TIME]
    assert g.num_edges(("orders", "customer_id", "customers")) == 4
    # Self-link: order 10 (position 0) is the previous order of 12 (NULL time) and 14.
    indices, times = g.neighbors(("orders", "rev_previous_id", "orders"), 0)
    assert indices.tolist() == [4, 2]
    assert times.tolist() == [_seconds(2024, 1, 3), NEVER_TIME]
    assert g.dangling == {
        ("orders", "customer_id", "customers"): 1,
        ("orders", "previous_id", "orders"): 1,
    }
    assert g.null_foreign_keys[("orders", "customer_id", "customers")] == 1
    assert g.null_times == {"orders": 1}

    summary = g.summary()
    assert summary["node_types"] == {
        "customers": {"nodes": 3, "static": True, "time_min": None, "time_max": None},
        "orders": {
            "nodes": 6,
            "static": False,
            "time_min": "1899-12-31T23:59:59",
            "time_max": "2024-01-03T00:00:00",
        },
    }
    assert summary["edge_types"] == {
        "orders__customer_id__customers": 4,
        "customers__rev_customer_id__orders": 4,
        "orders__previous_id__orders": 4,
        "orders__rev_previous_id__orders": 4,
    }
    assert len(summary["warnings"]) == 3
    assert any("orders.ordered_at: 1 of 6 rows have a NULL time" in w for w in g.warnings)
    assert any("orders.customer_id -> customers.customer_id: 1 of 5" in w for w in g.warnings)
    json.dumps(summary)
    assert "nodes=9" in repr(g)


def test_pandas_frames_and_chunked_arrays_are_accepted():
    schema, tables = _shop()
    expected = TemporalGraph.from_tables(schema, tables)
    as_pandas = {name: t.to_pandas() for name, t in tables.items()}
    _assert_same_graph(expected, TemporalGraph.from_tables(schema, as_pandas))
    chunked = {name: pa.concat_tables([t.slice(0, 2), t.slice(2)]) for name, t in tables.items()}
    assert chunked["orders"].column("order_id").num_chunks == 2
    _assert_same_graph(expected, TemporalGraph.from_tables(schema, chunked))


def test_graph_ignores_extra_tables_and_duplicate_links():
    schema, tables = _shop()
    schema.links.append(schema.links[0])
    g = TemporalGraph.from_tables(schema, {**tables, "extra": pa.table({"x": [1]})})
    assert g.node_types == ["customers", "orders"] and len(g.edge_types) == 4


# ---------------------------------------------------------------- key matching


def test_match_keys_unifies_types():
    keys = pa.array([5, 3, 9], pa.int64())
    assert match_keys(keys, pa.array([3, None, 4, 9], pa.int32())).tolist() == [1, -1, -1, 2]
    # An integer column with NaN read through pandas is float64.
    floats = pa.array([3.0, np.nan, 9.0], from_pandas=True)
    assert match_keys(keys, floats).tolist() == [1, -1, 2]
    assert match_keys(keys, pa.array([3.5])).tolist() == [-1]
    strings = pa.array(["x", "y"], pa.string())
    assert match_keys(strings, pa.array(["y", "z"], pa.large_string())).tolist() == [1, -1]
    assert match_keys(pa.array(["5", "7"]), pa.array([7, 5])).tolist() == [1, 0]
    dictionary = pa.array(["y", "x", None]).dictionary_encode()
    assert match_keys(strings, dictionary).tolist() == [1, 0, -1]
    assert match_keys(keys, pa.nulls(2)).tolist() == [-1, -1]


def test_match_keys_dense_and_sparse_integers_agree():
    rng = np.random.default_rng(0)
    keys = rng.permutation(5000)
    values = rng.integers(-10, 5100, 20000)
    dense = match_keys(pa.array(keys), pa.array(values))
    sparse = match_keys(pa.array(keys * 10**12), pa.array(values * 10**12))
    expected = pd.Index(keys).get_indexer(values)
    np.testing.assert_array_equal(dense, expected)
    np.testing.assert_array_equal(sparse, expected)


def test_match_keys_skips_null_keys():
    keys = pa.array([None, 4, None, 2])
    assert match_keys(keys, pa.array([2, 4, None])).tolist() == [3, 1, -1]
    assert match_keys(pa.array([None, "a"]), pa.array(["a", None])).tolist() == [1, -1]


@pytest.mark.parametrize(
    "keys, example",
    [
        (pa.array([1, 2, 2, 3]), "2"),
        (pa.array([10**12, 2, 2 * 10**15, 2]), "2"),
        (pa.array(["a", "b", "a"]), "'a'"),
    ],
)
def test_match_keys_rejects_duplicate_keys(keys, example):
    with pytest.raises(
        GraphError, match=rf"link x is not unique \(1 repeated value\(s\), e.g. {example}\)"
    ):
        match_keys(
            keys,
            pa.array([1]) if pa.types.is_integer(keys.type) else pa.array(["a"]),
            where="link x",
        )


def test_match_keys_rejects_incomparable_types():
    with pytest.raises(GraphError, match="Cannot compare the key and foreign-key columns"):
        match_keys(pa.array([True, False]), pa.array([dt.date(2024, 1, 1)]))


def test_time_rank_and_build_csr():
    assert time_rank(np.array([30, 10, 30, 20])).tolist() == [2, 0, 3, 1]
    assert time_rank(np.array([], np.int64)).tolist() == []
    times = np.array([5, 1, 5, 0])
    csr = build_csr(np.array([2, 0, 2, 2, 0]), np.array([0, 2, 1, 3, 1]), 3, times)
    assert isinstance(csr, CSR)
    assert csr.indptr.tolist() == [0, 2, 2, 5]
    assert csr.indices.tolist() == [1, 2, 3, 1, 0]
    assert csr.time.tolist() == [1, 5, 0, 1, 5]
    empty = build_csr(np.array([], np.int64), np.array([], np.int64), 2, times)
    assert empty.indptr.tolist() == [0, 0, 0] and empty.num_edges == 0
    assert "num_edges=5" in repr(csr)


@pytest.mark.parametrize("stable", [False, True])
def test_argsort_through_torch_matches_numpy(monkeypatch, stable):
    rng = np.random.default_rng(1)
    values = rng.integers(-5, 5, 1000) if stable else rng.permutation(1000) * 7
    expected = np.argsort(values, kind="stable")
    monkeypatch.setattr(csr_module, "_TORCH_SORT_MIN", 0)
    np.testing.assert_array_equal(csr_module.argsort(values, stable=stable), expected)
    schema, tables = _shop()
    _assert_same_graph(
        TemporalGraph.from_tables(schema, tables), _without_torch(monkeypatch, schema, tables)
    )


def _without_torch(monkeypatch, schema, tables) -> TemporalGraph:
    with monkeypatch.context() as patch:
        patch.setattr(csr_module, "_TORCH_SORT_MIN", 10**18)
        patch.delitem(sys.modules, "torch", raising=False)
        return TemporalGraph.from_tables(schema, tables)


# ---------------------------------------------------------------- errors


def test_missing_schema_table():
    schema, tables = _shop()
    with pytest.raises(GraphError, match=r"Schema table\(s\) 'customers' missing from `tables`"):
        TemporalGraph.from_tables(schema, {"orders": tables["orders"]})


@pytest.mark.parametrize(
    "table, column, message",
    [
        ("orders", "customer_id", r"orders\.customer_id \(link orders\.customer_id -> customers"),
        ("customers", "customer_id", r"customers\.customer_id \(link orders\.customer_id"),
        ("orders", "ordered_at", r"orders\.ordered_at \(time column\) not found"),
    ],
)
def test_missing_column(table, column, message):
    schema, tables = _shop()
    tables[table] = tables[table].drop_columns([column])
    with pytest.raises(GraphError, match=message):
        TemporalGraph.from_tables(schema, tables)


@pytest.mark.parametrize("values, got", [(["2024-01-01"] * 6, "string"), (list(range(6)), "int64")])
def test_time_column_of_non_time_type(values, got):
    schema, tables = _shop()
    orders = tables["orders"]
    tables["orders"] = orders.set_column(
        orders.column_names.index("ordered_at"), "ordered_at", pa.array(values)
    )
    with pytest.raises(GraphError, match=rf"column for orders\.ordered_at \(got {got}\)"):
        TemporalGraph.from_tables(schema, tables)


def test_duplicate_referenced_keys():
    schema, tables = _shop()
    tables["customers"] = pa.table({"customer_id": ["a", "b", "a"]})
    with pytest.raises(
        GraphError, match=r"link orders\.customer_id -> customers\.customer_id is not unique"
    ):
        TemporalGraph.from_tables(schema, tables)


def test_link_to_unknown_table_and_colliding_edge_types():
    schema, tables = _shop()
    schema.links.append(Link("orders", "customer_id", "people", "id"))
    with pytest.raises(GraphError, match="refers to table 'people', which is not in the schema"):
        TemporalGraph.from_tables(schema, tables)
    schema, tables = _shop()
    schema.links.append(Link("orders", "customer_id", "customers", "name"))
    with pytest.raises(GraphError, match="which another link already gives"):
        TemporalGraph.from_tables(schema, tables)


def test_bad_inputs_to_accessors():
    schema, tables = _shop()
    g = TemporalGraph.from_tables(schema, tables)
    with pytest.raises(
        GraphError, match="Unknown edge type 'orders__customer__customers'.*Did you mean"
    ):
        g.neighbors(("orders", "customer", "customers"), 0)
    with pytest.raises(
        GraphError, match=r"Expected a node position in \[0, 3\) of type 'customers' \(got 3\)"
    ):
        g.neighbors(("customers", "rev_customer_id", "orders"), 3)
    with pytest.raises(GraphError, match="Unknown node type 'order'"):
        g.num_nodes("order")
    with pytest.raises(
        GraphError, match="Expected a pyarrow.Table or pandas.DataFrame for table 'orders'"
    ):
        TemporalGraph.from_tables(schema, {**tables, "orders": [1, 2]})


# ---------------------------------------------------------------- persistence


def test_save_load_round_trip(tmp_path: Path):
    schema, tables = _shop()
    g = TemporalGraph.from_tables(schema, tables)
    assert g.save(tmp_path / "g") == tmp_path / "g"
    mapped = TemporalGraph.load(tmp_path / "g", schema=schema)
    assert isinstance(mapped.csr[g.edge_types[1]].indices, np.memmap)
    assert not mapped.node_time["orders"].flags.writeable
    _assert_same_graph(g, mapped)
    in_memory = TemporalGraph.load(tmp_path / "g", mmap=False)
    assert not isinstance(in_memory.node_time["orders"], np.memmap)
    _assert_same_graph(g, in_memory)
    # Saving over an existing graph replaces it.
    g.save(tmp_path / "g")
    _assert_same_graph(g, TemporalGraph.load(tmp_path / "g"))


def test_load_errors(tmp_path: Path):
    with pytest.raises(GraphError, match=r"No temporal graph at .* \(manifest.json not found\)"):
        TemporalGraph.load(tmp_path)
    schema, tables = _shop()
    TemporalGraph.from_tables(schema, tables).save(tmp_path)
    other = _shop()[0]
    other.links.pop()
    with pytest.raises(GraphError, match="was built from another schema"):
        TemporalGraph.load(tmp_path, schema=other)
    np.save(tmp_path / "node_time.1.npy", np.zeros(2, np.int64))
    with pytest.raises(GraphError, match=r"is corrupt: expected int64 of shape \(6,\)"):
        TemporalGraph.load(tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": "something", "version": 1}))
    with pytest.raises(GraphError, match="is not a relgraph temporal graph of version 1"):
        TemporalGraph.load(tmp_path)


# ---------------------------------------------------------------- from a database


class _RecordingDatabase:
    """The Database interface the graph needs, recording what it reads."""

    def __init__(self, schema: Schema, tables: dict[str, pa.Table]) -> None:
        self.schema, self.tables, self.read = schema, tables, {}

    def arrow(self, name: str, columns: list[str] | None = None) -> pa.Table:
        self.read[name] = columns
        return self.tables[name] if columns is None else self.tables[name].select(columns)


def test_from_database_reads_only_key_fk_and_time_columns():
    schema, tables = _shop()
    schema.tables["lonely"] = TableSchema("lonely", {"x": Stype.numerical}, {}, 2)
    tables["lonely"] = pa.table({"x": [1.0, 2.0], "y": [3, 4]})
    db = _RecordingDatabase(schema, tables)
    g = TemporalGraph.from_database(db)
    assert db.read == {
        "customers": ["customer_id"],
        "orders": ["ordered_at", "customer_id", "previous_id", "order_id"],
        "lonely": ["x"],
    }
    assert g.num_nodes("lonely") == 2 and g.is_static["lonely"]
    assert needed_columns(Schema({"empty": TableSchema("empty", {}, {}, 0)})) == {"empty": None}


def _shop_frames() -> dict[str, pd.DataFrame]:
    return {
        "customers": pd.DataFrame({"customer_id": [3, 1, 2], "name": ["c", "a", "b"]}),
        "orders": pd.DataFrame(
            {
                "order_id": [10, 11, 12, 13],
                "customer_id": [1, 1, 2, 3],
                "amount": [5.0, 6.0, 7.0, 8.0],
                "ordered_at": pd.to_datetime(
                    ["2024-01-03", "1950-05-13", "2024-01-02", "1899-12-31"]
                ),
            }
        ),
    }


def _check_connected_shop(g: TemporalGraph) -> None:
    assert g.is_static == {"customers": True, "orders": False}
    assert g.node_time["orders"].tolist() == [
        _seconds(2024, 1, 3),
        _seconds(1950, 5, 13),
        _seconds(2024, 1, 2),
        _seconds(1899, 12, 31),
    ]
    rev = ("customers", "rev_customer_id", "orders")
    assert g.neighbors(rev, 1)[0].tolist() == [1, 0]
    assert g.neighbors(rev, 0)[0].tolist() == [3]


def test_from_database_with_dataframes():
    db = rg.connect(_shop_frames())
    g = TemporalGraph.from_database(db)
    _check_connected_shop(g)
    full = TemporalGraph.from_tables(db.schema, {n: db.arrow(n) for n in db.schema.tables})
    _assert_same_graph(g, full)


def test_from_database_with_duckdb_file(tmp_path: Path):
    import duckdb

    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    for name, frame in _shop_frames().items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    db = rg.connect(path)
    assert [str(link) for link in db.schema.links] == [
        "orders.customer_id -> customers.customer_id"
    ]
    g = TemporalGraph.from_database(db)
    _check_connected_shop(g)
