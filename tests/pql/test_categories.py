"""``PREDICT t.multicategorical RANK TOP k`` and ``... CLASSIFY``: a column that
holds several categories per row as the target (issue 21, construct 2): parse,
check with carets, compile, and labels by hand and against the brute-force
reference."""

from __future__ import annotations

import random

import pandas as pd
import pytest

import relgraph as rg
from relgraph.pql import TaskType, check, parse
from relgraph.pql.categories import category_set
from relgraph.pql.checker import MAX_RANKED_CATEGORIES
from relgraph.pql.task import label_stats, target_columns
from tests.pql.carets import fails
from tests.pql.conftest import times
from tests.pql.reference import reference_table, same_tables
from tests.pql.test_differential import BASE, DAYS, make_database

RANK = "PREDICT articles.tags RANK TOP 2 FOR EACH articles.article_id"


@pytest.fixture(scope="module")
def shelf() -> rg.Database:
    """Articles with tags as a list and as text; sales of them."""
    articles = pd.DataFrame(
        {
            "article_id": [1, 2, 3, 4, 5, 6],
            "created_at": times(
                ["2024-01-01", "2024-01-03", "2024-02-01", "2024-02-10", None, "2024-03-01"]
            ),
            "tags": [["b", "a"], ["b"], [], None, ["c"], ["a", "a", " c "]],
            "labels": ["x|y", "y", "", None, "z", " z;x ,x"],
            "name": ["p", "q", "r", "s", "t", "u"],
        }
    )
    sales = pd.DataFrame(
        {
            "sale_id": [10, 11, 12, 13],
            "article_id": [1, 3, 4, 6],
            "sold_at": times(["2024-01-05", "2024-02-05", "2024-02-11", "2024-03-02"]),
        }
    )
    schema = {
        "tables": {
            "articles": {
                "primary_key": "article_id",
                "time_column": "created_at",
                "columns": {"labels": "multicategorical"},
            },
            "sales": {"primary_key": "sale_id", "time_column": "sold_at"},
        },
        "links": [{"from": "sales.article_id", "to": "articles.article_id"}],
    }
    return rg.connect({"articles": articles, "sales": sales}, schema=schema)


def test_category_sets() -> None:
    assert category_set("toys| books ;toys") == ["books", "toys"]
    assert category_set("a, b,,c") == ["a", "b", "c"]
    assert category_set(["b", None, "a", " ", "b"]) == ["a", "b"]
    assert category_set([3, 1]) == ["1", "3"]  # categories are text
    assert category_set("") == [] and category_set([]) == []
    assert category_set(None) is None and category_set(float("nan")) is None


def test_parse_and_check(shelf: rg.Database) -> None:
    q = parse(RANK)
    assert parse(q.to_pql()) == q and q.rank is not None and q.rank.k == 2
    c = check(q, shelf.schema)
    assert c.task_type is TaskType.multilabel_ranking and c.k == 2 and c.categories
    assert c.metrics == ["map@2", "precision@2", "recall@2"]
    assert c.is_static and c.horizon is None
    c = check(parse(RANK.replace("RANK TOP 2", "CLASSIFY")), shelf.schema)
    assert c.task_type is TaskType.multilabel_classification and c.categories
    assert c.metrics[0] == "macro_auroc"
    # text declared multicategorical, and a parent's column (one row per sale)
    c = check(parse("PREDICT articles.labels RANK TOP 3 FOR EACH sales.sale_id"), shelf.schema)
    assert c.task_type is TaskType.multilabel_ranking and str(c.static_path) != "articles"
    # a static target's own column is never an input
    assert target_columns(c) == [("articles", "labels")]


def test_mistakes_point_at_their_text(shelf: rg.Database) -> None:
    fails(
        shelf,
        "PREDICT articles.tags FOR EACH articles.article_id",
        "holds several categories per row",
        "articles.tags",
    )
    fails(
        shelf,
        "PREDICT articles.name RANK TOP 2 FOR EACH articles.article_id",
        r"categories of a multicategorical column; articles.name is categorical",
        "2",
    )
    fails(
        shelf,
        "PREDICT articles.tags RANK TOP 2 CLASSIFY FOR EACH articles.article_id",
        "CLASSIFY does not apply with RANK TOP",
        "CLASSIFY",
    )
    for k in (0, MAX_RANKED_CATEGORIES + 1):
        fails(
            shelf,
            f"PREDICT articles.tags RANK TOP {k} FOR EACH articles.article_id",
            "k out of range",
            str(k),
        )
    fails(
        shelf,
        "PREDICT articles.tags RANK TOP 2 FORECAST 2 TIMEFRAMES FOR EACH articles.article_id",
        "FORECAST needs a windowed aggregation",
        "FORECAST 2 TIMEFRAMES",
    )


def test_the_models_rank_as_many_categories_as_the_checker_allows() -> None:
    from relgraph.models.core.targets import MAX_LABELS

    assert MAX_RANKED_CATEGORIES == MAX_LABELS


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_compiles_in_every_dialect(shelf: rg.Database, dialect: str) -> None:
    task = rg.Task.from_query(shelf, RANK, val_time="2024-01-15", test_time="2024-02-05")
    sql = task.sql(split="test", dialect=dialect)
    assert "tags" in sql and "NOT" in sql  # the NULL value is no label


def test_labels_by_hand(shelf: rg.Database) -> None:
    task = rg.Task.from_query(shelf, RANK, val_time="2024-01-15", test_time="2024-02-05")
    table = task.table_at(["2024-03-31"])
    # 3 has no tag (nothing to rank), 4 a NULL (predicted), 5 never exists
    assert table["article_id"].tolist() == [1, 2, 6]
    assert table["label"].tolist() == [["a", "b"], ["b"], ["a", "c"]]
    own_times = ("2024-01-01", "2024-01-03", "2024-03-01")  # each article's own time
    assert table["anchor_time"].tolist() == [pd.Timestamp(t) for t in own_times]
    classify = rg.Task.from_query(
        shelf,
        "PREDICT articles.labels CLASSIFY FOR EACH articles.article_id",
        val_time="2024-01-15",
        test_time="2024-02-05",
    )
    table = classify.table_at(["2024-03-31"])
    assert table["article_id"].tolist() == [1, 2, 3, 6]  # an empty value: no category
    assert table["label"].tolist() == [["x", "y"], ["y"], [], ["x", "z"]]
    stats = label_stats(table["label"], classify.task_type)
    assert stats["classes"] == 3 and stats["empty_rate"] == 0.25
    parent = rg.Task.from_query(
        shelf,
        "PREDICT articles.tags RANK TOP 2 FOR EACH sales.sale_id",
        val_time="2024-01-15",
        test_time="2024-02-05",
    )
    table = parent.table_at(["2024-03-31"])
    assert table["sale_id"].tolist() == [10, 13]
    assert table["label"].tolist() == [["a", "b"], ["a", "c"]]


def with_categories(r: random.Random) -> tuple[dict[str, pd.DataFrame], dict]:
    """The differential test's random database, users with tags (lists) and
    events with labels (text)."""
    frames, schema = make_database(r)
    pick = ["a", "b", "c", " a", ""]
    frames["users"]["tags"] = [
        None if r.random() < 0.2 else [r.choice(pick) for _ in range(r.randint(0, 3))]
        for _ in range(len(frames["users"]))
    ]
    frames["events"]["labels"] = [
        None if r.random() < 0.2 else r.choice(["x|y", "y", "", "x; z", "z,,y "])
        for _ in range(len(frames["events"]))
    ]
    schema["tables"]["events"]["columns"]["labels"] = "multicategorical"
    return frames, schema


QUERIES = [
    "PREDICT users.tags RANK TOP 2 FOR EACH users.user_id",
    "PREDICT users.tags CLASSIFY FOR EACH users.user_id WHERE users.age > 20",
    "PREDICT users.tags RANK TOP 1 FOR EACH events.event_id",
    "PREDICT events.labels CLASSIFY FOR EACH events.event_id",
    "PREDICT events.labels RANK TOP 3 FOR EACH items.item_id",
]


@pytest.mark.parametrize("seed", range(10))
def test_labels_equal_the_reference_on_random_databases(seed: int) -> None:
    r = random.Random(seed)
    frames, schema = with_categories(r)
    db = rg.connect(frames, schema=schema)
    anchors = [BASE + pd.Timedelta(days=d) for d in sorted(r.sample(range(DAYS), 3))]
    for text in QUERIES:
        task = rg.Task.from_query(db, text, val_time=anchors[0], test_time=anchors[1])
        got = task.table_at(anchors)
        want = reference_table(db, task.checked, anchors)
        same_tables(got, want, task.entity_key)
