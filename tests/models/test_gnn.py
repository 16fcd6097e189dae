"""The ``gnn`` family: fit and predict per task type, determinism, save/load."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.models.core.base import ModelError
from relgraph.models.gnn.model import GNNModel
from relgraph.models.gnn.trainer import TrainingSettings, make_optimizer
from relgraph.models.registry import load, make_model
from tests.models.test_common import QUERIES, TINY_GNN, assert_no_rows_in_no_rows_out

TINY = TINY_GNN
# The shared fitted models (tests/models/conftest.py): two nets, the ensemble
# path (members, averaging, saving) at 2/3 of the default three's cost.
FITTED = {**TINY, "ensemble": 2}


@pytest.fixture(scope="module")
def db(shop_db: rg.Database) -> rg.Database:
    return shop_db


@pytest.fixture(scope="module")
def tasks(shop_tasks: dict[str, rg.Task]) -> dict[str, rg.Task]:
    return shop_tasks


@pytest.fixture(scope="module")
def fitted(gnn_pairs: dict[str, GNNModel]) -> dict[str, GNNModel]:
    """``GNNModel(**FITTED)`` fitted on each of ``tasks``."""
    return gnn_pairs


@pytest.fixture(scope="module")
def loaded(fitted, db, tmp_path_factory: pytest.TempPathFactory) -> dict[str, GNNModel]:
    """Each of ``fitted`` saved and loaded back (a load rebuilds the graph: seconds)."""
    folder = tmp_path_factory.mktemp("gnn_saved")
    return {kind: load(model.save(folder / f"{kind}.rg"), db) for kind, model in fitted.items()}


def test_registered() -> None:
    assert isinstance(make_model("gnn", hidden=8), GNNModel)


def test_predict_before_fit_fails_clearly() -> None:
    with pytest.raises(ModelError, match="is not fitted yet; call fit"):
        GNNModel().predict(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("kind", list(QUERIES))
def test_fit_predict(kind: str, tasks, fitted) -> None:
    task, model = tasks[kind], fitted[kind]
    test = task.table("test")
    preds = model.predict(test)
    assert len(preds) == len(test)
    assert preds[task.entity_key].tolist() == test[task.entity_key].tolist()
    assert model.history_ and np.isfinite(model.history_[0]["loss"])
    if kind == "binary":
        assert preds["probability"].between(0, 1).all()
        assert set(preds["predicted"]) <= {0, 1}
    if kind == "regression":
        train = task.table("train")["label"]
        assert np.isfinite(preds["prediction"]).all()
        assert preds["prediction"].between(train.min(), train.max()).all()
    if kind == "multiclass":
        classes = sorted(task.table("train")["label"].astype(str).unique())
        assert set(preds["predicted"]) <= set(classes)
        scores = preds[[f"score_{c}" for c in classes]].to_numpy()
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_deterministic_for_a_seed(tasks, fitted) -> None:
    task = tasks["binary"]
    test = task.table("test")
    again = GNNModel(**FITTED).fit(task).predict(test)
    pd.testing.assert_frame_equal(fitted["binary"].predict(test), again)


@pytest.mark.parametrize("kind", list(QUERIES))
def test_save_load_gives_identical_predictions(kind: str, tasks, fitted, loaded) -> None:
    task, model = tasks[kind], fitted[kind]
    test = task.table("test")
    assert isinstance(loaded[kind], GNNModel)
    pd.testing.assert_frame_equal(model.predict(test), loaded[kind].predict(test))


@pytest.mark.parametrize("kind", list(QUERIES))
def test_no_examples_give_no_rows(kind: str, tasks, fitted, loaded) -> None:
    assert_no_rows_in_no_rows_out(fitted[kind], tasks[kind])
    assert_no_rows_in_no_rows_out(loaded[kind], tasks[kind])


def test_unknown_entity_gets_the_prior(tasks, fitted) -> None:
    task, model = tasks["binary"], fitted["binary"]
    ex = pd.DataFrame({task.entity_key: [-12345], "anchor_time": [task.test_time]})
    preds = model.predict(ex)
    assert preds["probability"].iloc[0] == pytest.approx(model.prior_[0])


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_uniform_sampling_and_refit_with_val(tasks) -> None:
    task = tasks["multiclass"]
    test = task.table("test")
    params = {**TINY, "strategy": "uniform", "refit_with_val": True, "aggr": ["mean", "sum"]}
    params["ensemble"] = 1  # the refit, not the ensemble, is under test
    first = GNNModel(**params).fit(task)
    assert first.best_epoch_ in (0, 1)
    pd.testing.assert_frame_equal(first.predict(test), GNNModel(**params).fit(task).predict(test))


def test_early_stopping_keeps_the_best_epoch(tasks) -> None:
    model = GNNModel(**{**TINY, "epochs": 4, "patience": 1, "max_steps_per_epoch": 1}).fit(
        tasks["regression"]
    )
    assert model.best_epoch_ == model.best_epochs_[0]
    for member, best in enumerate(model.best_epochs_):
        vals = [h["val"] for h in model.history_ if h["member"] == member]
        assert best == int(np.argmax(vals))
        assert len(vals) == 4 or vals[-1] <= max(vals[:-1])


def test_ensemble_averages_its_members(tasks, fitted, gnn_single) -> None:
    task = tasks["binary"]
    test = task.table("test")
    # GNNModel(**TINY, ensemble=1) and (**TINY, ensemble=2) on the same task.
    single, pair = gnn_single, fitted["binary"]
    assert len(single.members_) == 1 and len(pair.members_) == 2
    # The first member is the single net: same seed, same weights.
    for name, value in single.net_.state_dict().items():
        assert torch.equal(value, pair.members_[0].state_dict()[name]), name
    logits = []
    for net in pair.members_:
        alone = copy.copy(pair)
        alone.members_ = [net]
        p = alone.predict(test)["probability"].to_numpy()
        logits.append(np.log(p) - np.log1p(-p))
    assert not np.allclose(logits[0], logits[1])  # the members differ
    expected = 1.0 / (1.0 + np.exp(-np.mean(logits, axis=0)))
    np.testing.assert_allclose(pair.predict(test)["probability"], expected, rtol=1e-4)


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_ensemble_must_be_a_positive_integer(tasks, bad) -> None:
    with pytest.raises(ModelError, match="ensemble must be an integer >= 1"):
        GNNModel(**TINY, ensemble=bad).fit(tasks["binary"])


@pytest.mark.parametrize("bad", [-1, 1.0, True, "1"])
def test_entity_aggregates_must_be_hops(tasks, bad) -> None:
    with pytest.raises(ModelError, match="entity_aggregates must be an integer >= 0"):
        GNNModel(**TINY, entity_aggregates=bad).fit(tasks["binary"])


@pytest.mark.parametrize("bad", [3, -1, True, 1.0, "1"])
def test_node_summaries_must_be_0_1_or_2(tasks, bad) -> None:
    with pytest.raises(ModelError, match="node_summaries must be 0"):
        GNNModel(**TINY, node_summaries=bad).fit(tasks["binary"])


LINK = (
    "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 3 "
    "FOR EACH customers.customer_id"
)


def _repeat_buyers(num_customers: int = 60, months: int = 14) -> dict[str, pd.DataFrame]:
    """Each customer buys the same product (its id mod 7) every month."""
    start = pd.Timestamp("2023-01-01")
    customers = pd.DataFrame(
        {"customer_id": range(num_customers), "signup_at": [start] * num_customers}
    )
    products = pd.DataFrame({"product_id": range(7), "price": np.arange(7.0)})
    orders, items = [], []
    for month in range(months):
        for c in range(num_customers):
            when = start + pd.Timedelta(days=30 * month + c % 20)
            orders.append((len(orders), c, when))
            items.append((len(items), len(orders) - 1, c % 7, when))
    return {
        "customers": customers,
        "products": products,
        "orders": pd.DataFrame(orders, columns=["order_id", "customer_id", "ordered_at"]),
        "order_items": pd.DataFrame(
            items, columns=["order_item_id", "order_id", "product_id", "ordered_at"]
        ),
    }


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_link_prediction_ranks_candidates(db: rg.Database, tmp_path: Path) -> None:
    task = rg.Task.from_query(db, LINK)
    test = task.table("test")
    model = GNNModel(**TINY).fit(task)
    assert model.seed_plan_ is None and model.seed_scaler_ is None  # no summaries here
    preds = model.predict(test)
    products = set(db.arrow("products", ["product_id"])["product_id"].to_pylist())
    assert list(preds.columns) == ["customer_id", "anchor_time", "predicted", "scores"]
    for ranked, scores in zip(preds["predicted"], preds["scores"], strict=True):
        assert len(ranked) == 3 and len(set(ranked)) == 3 and set(ranked) <= products
        assert scores == sorted(scores, reverse=True)
    loaded = load(model.save(tmp_path / "link.rg"), db)
    pd.testing.assert_frame_equal(preds, loaded.predict(test))


@pytest.mark.slow  # trains until it learns (6 epochs, three nets)
def test_link_prediction_learns_repeat_purchases() -> None:
    from relgraph.metrics import map_at_k
    from relgraph.models.baseline import BaselineModel

    db = rg.connect(_repeat_buyers())
    task = rg.Task.from_query(db, LINK.replace("TOP 3", "TOP 1"))
    test = task.table("test")
    model = GNNModel(hidden=16, epochs=6, fanout=(4, 2), lr=0.02).fit(task)
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    gnn = map_at_k(list(test["label"]), list(model.predict(test)["predicted"]), 1)
    prior = BaselineModel("prior").fit(task).predict(test)
    assert gnn >= 0.9 > map_at_k(list(test["label"]), list(prior["predicted"]), 1)


def _history_columns(model: GNNModel) -> list[str]:
    scaler = model.seed_scaler_
    return [] if scaler is None else [c for c in scaler.columns if c.startswith("target.")]


def test_label_history_input(tasks, fitted) -> None:
    binary, multiclass = fitted["binary"], fitted["multiclass"]
    assert binary.seed_scaler_ is not None and binary.net_.seed_encoder is not None
    assert _history_columns(binary)
    assert not _history_columns(multiclass)  # past classes are not numbers
    off = GNNModel(**{**TINY, "label_history": False, "ensemble": 1}).fit(tasks["binary"])
    assert not _history_columns(off) and off.seed_scaler_.columns  # aggregates only
    bare = GNNModel(**{**TINY, "ensemble": 1, "label_history": False, "entity_aggregates": 0})
    bare.fit(tasks["binary"])
    assert bare.seed_scaler_ is None and bare.net_.seed_encoder is None


def test_entity_aggregates_input(tasks, fitted) -> None:
    """The seed gets the customer's own order counts per window and recency,
    quantile-mapped (bounded), grouped by join path for explanations."""
    model = fitted["binary"]
    scaler = model.seed_scaler_
    for column in ("orders.count.last_30d", "orders.days_since_last", "orders.amount.sum.all"):
        assert column in scaler.knots
    assert not any(c in scaler.knots for c in _history_columns(model))
    x = model._seed_features(*model._seeds(tasks["binary"].table("test"))[:2], None)
    n = len(scaler.columns)
    quantiled = [j for j, c in enumerate(scaler.columns) if c in scaler.knots]
    assert np.abs(x[:, quantiled]).max() <= np.sqrt(3) + 1e-6
    assert set(np.unique(x[:, n:])) <= {0.0, 1.0}  # missing flags
    groups = model.seed_groups()
    positions = sorted(p for g in groups for p in g.positions)
    assert positions == list(range(2 * n))  # every input in exactly one group
    paths = {g.path for g in groups if g.kind == "summary"}
    assert {"orders", "reviews", "customers"} <= paths
    assert [g.kind for g in groups][0] == "history"
    # No aggregate column of another task leaks in: multiclass has no history.
    assert all(g.kind == "summary" for g in fitted["multiclass"].seed_groups())


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_rows_after_the_anchor_change_nothing(kind: str, fitted, tmp_path: Path) -> None:
    """Leakage: the same model on the database cut at the anchor predicts the same."""
    _assert_same_on_the_cut_database(fitted[kind], tmp_path)


def _assert_same_on_the_cut_database(model: GNNModel, tmp_path: Path) -> None:
    anchor = model.task_.test_time
    tables = make_ecommerce(scale=0.05)
    times = {"customers": "signup_at", "orders": "ordered_at", "order_items": "ordered_at"}
    times["reviews"] = "reviewed_at"
    cut = {
        name: frame[frame[times[name]] <= anchor] if name in times else frame
        for name, frame in tables.items()
    }
    examples = model.task_.entities_at(anchor).head(40)
    again = load(model.save(tmp_path / "m.rg"), rg.connect(cut))
    pd.testing.assert_frame_equal(model.predict(examples), again.predict(examples))


def test_cosine_schedule_decays_the_learning_rate(tasks, gnn_single) -> None:
    # GNNModel(**TINY, ensemble=1), cosine by default. The optimizer steps below
    # apply the last batch's gradients: they move a copy of the net, not the
    # shared model's.
    model = copy.copy(gnn_single)
    model.net_ = copy.deepcopy(gnn_single.net_)
    assert model.schedule == "cosine"
    settings = TrainingSettings(epochs=model.epochs, lr=model.lr, schedule=model.schedule)
    optimizer, scheduler = make_optimizer(model.net_, settings, 1000, model.batch_size_)
    steps = -(-1000 // model.batch_size_) * model.epochs
    rates = []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(model.lr)
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))
    assert rates[-1] < 0.05 * model.lr
    constant = GNNModel(**TINY, ensemble=1, schedule=None)
    constant.fit(tasks["binary"])
    settings = TrainingSettings(epochs=constant.epochs, lr=constant.lr, schedule=constant.schedule)
    _, flat = make_optimizer(constant.net_, settings, 1000, constant.batch_size_)
    for _ in range(steps):
        flat.optimizer.step()
        flat.step()
    assert flat.get_last_lr()[0] == pytest.approx(model.lr)
    with pytest.raises(ModelError, match="schedule must be 'cosine' or None"):
        GNNModel(**TINY, schedule="step").fit(tasks["binary"])


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_row_id_embeddings_of_small_static_tables(tasks, db, tmp_path: Path) -> None:
    task = tasks["binary"]
    test = task.table("test")
    products = db.schema.tables["products"].num_rows
    model = GNNModel(**TINY, ensemble=1, id_embeddings=products).fit(task)
    # Only static tables other than the entity's, and none above the limit.
    assert model.id_rows_ == {"products": products}
    assert GNNModel(**TINY, ensemble=1, id_embeddings=products - 1).fit(task).id_rows_ == {}
    weight = model.net_.id_embeddings[model.net_._key["products"]].weight
    assert weight.shape == (products + 1, TINY["hidden"])
    loaded = load(model.save(tmp_path / "ids.rg"), db)
    pd.testing.assert_frame_equal(model.predict(test), loaded.predict(test))
    # Rows beyond the embedded ones (added after training) share the extra
    # vector: pretend no row was embedded, so every product reads vector 0.
    net = model.net_
    data = model._batch(*model._seeds(test.head(4))[:2])
    with torch.no_grad():
        base = net.embed(data, model.tensors_)["products"]
        net.id_rows["products"] = 0
        moved = net.embed(data, model.tensors_)["products"]
    net.id_rows["products"] = products
    n_id = data["products"].n_id
    assert len(n_id) > 0
    torch.testing.assert_close(moved - base, weight[0].detach() - weight[n_id].detach())


def test_a_file_saved_before_ensembles_loads_as_one_net(
    tasks, db, gnn_single, tmp_path: Path
) -> None:
    import io
    import zipfile

    task = tasks["binary"]
    test = task.table("test")
    single = gnn_single  # GNNModel(**TINY, ensemble=1)
    path = single.save(tmp_path / "new.rg")
    # Files of the previous version held one state dict, not a list of them.
    old = tmp_path / "old.rg"
    rewritten = 0
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("gnn.pt"):
                buf = io.BytesIO()
                torch.save(torch.load(io.BytesIO(data), weights_only=True)[0], buf)
                data, rewritten = buf.getvalue(), rewritten + 1
            dst.writestr(name, data)
    assert rewritten == 1
    loaded = load(old, db)
    assert len(loaded.members_) == 1
    pd.testing.assert_frame_equal(single.predict(test), loaded.predict(test))


def test_node_summaries_reach_every_node_type_and_survive_save_load(
    tasks, db, gnn_summarised, tmp_path: Path
) -> None:
    task = tasks["binary"]
    test = task.table("test")
    model = gnn_summarised  # GNNModel(**TINY, ensemble=1, node_summaries=2)
    assert model.summaries_ is not None
    data = model._batch(*model._seeds(test.head(8))[:2])
    for node_type, width in model.summaries_.widths.items():
        assert data[node_type].summary.shape == (data[node_type].num_nodes, width)
    assert data["products"].summary.shape[1] > 0
    # Level 1: only the rows referencing each node (order items reference, nothing
    # references them); level 2 adds what the referenced rows' summaries say.
    own = GNNModel(**TINY, ensemble=1, node_summaries=1).fit(task)
    assert "order_items" not in own.summaries_.widths
    assert model.summaries_.widths["order_items"] > 0
    assert own.summaries_.widths["products"] == model.summaries_.widths["products"]
    loaded = load(model.save(tmp_path / "summaries.rg"), db)
    assert loaded.summaries_ is not None
    pd.testing.assert_frame_equal(model.predict(test), loaded.predict(test))
    # The summaries move the predictions (they are inputs, not decoration).
    net = model.net_
    with torch.no_grad():
        base = net(data, model.tensors_, task.entity_table)
        for node_type in model.summaries_.widths:
            data[node_type].summary = torch.zeros_like(data[node_type].summary)
        zeroed = net(data, model.tensors_, task.entity_table)
    assert not torch.allclose(base, zeroed)


def test_node_summaries_read_nothing_after_the_anchor(gnn_summarised, tmp_path: Path) -> None:
    _assert_same_on_the_cut_database(gnn_summarised, tmp_path)
