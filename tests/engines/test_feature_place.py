"""Choosing where batch predictions compute their features, checked before
any Spark work: no session is started here."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.engines import predict_on_spark
from relgraph.engines.batch import detached_model, serves_spark_features
from relgraph.errors import RelgraphError
from relgraph.models.registry import make_model

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def task() -> rg.Task:
    return rg.Task.from_query(rg.connect(make_ecommerce(scale=0.05, seed=1)), CHURN)


def test_a_model_other_than_gbdt_is_sent_to_the_workers_path(task: rg.Task) -> None:
    prior = make_model("prior").fit(task)
    assert not serves_spark_features(prior)
    with pytest.raises(RelgraphError, match=r"baseline model .*features='workers'"):
        predict_on_spark(prior, None, "out", features="spark", engine=object())


def test_each_feature_place_says_what_it_needs(task: rg.Task) -> None:
    prior = make_model("prior").fit(task)
    with pytest.raises(RelgraphError, match="give engine="):
        predict_on_spark(prior, None, "out", features="spark")
    with pytest.raises(RelgraphError, match="give source="):
        predict_on_spark(prior, None, "out")
    with pytest.raises(RelgraphError, match="'workers'.*'spark'"):
        predict_on_spark(prior, None, "out", features="driver", source="x.duckdb")


def test_a_detached_gbdt_predicts_from_features_as_the_model_does(task: rg.Task) -> None:
    """What the workers get: no task, no database, the same predictions."""
    import pickle

    model = make_model("gbdt", num_boost_round=30, ensemble_size=2).fit(task)
    assert serves_spark_features(model)
    examples = task.table("test").head(40)
    x = model.inputs_.transform(task, examples)
    shipped = pickle.loads(pickle.dumps(detached_model(model)))
    got = shipped.predict_features(x.astype(object).where(x.notna(), None))
    pd.testing.assert_frame_equal(got, model.predict(examples).iloc[:, 2:], rtol=0, atol=1e-12)
    with pytest.raises(RelgraphError, match="lack 1 column"):
        shipped.predict_features(x.drop(columns=model.feature_names_[0]))
