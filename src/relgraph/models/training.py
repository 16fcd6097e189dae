"""``relgraph.train``: one call from a database and a PQL line to a fitted model."""

from __future__ import annotations

from typing import Any

from relgraph.models.core.base import Model
from relgraph.models.registry import make_model
from relgraph.pql.task import Task


def train(
    db: Any,
    query: str,
    model: str = "gbdt",
    *,
    val_time: Any = None,
    test_time: Any = None,
    horizon: str | None = None,
    **params: Any,
) -> Model:
    """Bind ``query`` to ``db`` (temporal splits as in :class:`~relgraph.Task`) and fit
    a model on it.

    Args:
        db: a :class:`~relgraph.Database` (``relgraph.connect(...)``).
        query: the PQL query.
        model: ``"gbdt"``, ``"baseline"``/``"history"`` or ``"prior"``. (default: ``"gbdt"``)
        val_time, test_time, horizon: the splits (chosen from the data when not given).
        **params: the model's hyperparameters.

    Returns:
        The fitted model: ``model.predict(...)``, ``model.explain(...)``, ``model.save(...)``.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.05))
        >>> m = rg.train(db, "PREDICT COUNT(orders.*, 0, 30, days) > 0 "
        ...              "FOR EACH customers.customer_id", model="history")
        >>> m.task_.task_type
        <TaskType.binary_classification: 'binary_classification'>
    """
    task = Task.from_query(db, query, val_time=val_time, test_time=test_time, horizon=horizon)
    return make_model(model, **params).fit(task)
