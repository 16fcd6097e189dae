"""Published (and reference) rel-f1 test results, each with its protocol, so a
report sets our numbers beside numbers of the same kind (docs/rel-f1.md).

Values are in the metric's natural scale (AUROC in 0..1; MAE in positions);
``quoted`` keeps the figure as the source prints it.

Example:
    >>> [(p.model, p.value) for p in published_for("driver-dnf", "relbench")][:2]
    [('RDL GNN', 0.7262), ('LightGBM', 0.6856)]
    >>> published_for("driver-top3", "rolling")[0].low
    0.91
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["PUBLISHED_REL_F1", "PublishedResult", "published_for"]

_RELBENCH_PAPER = "RelBench (Robinson et al., 2024), test split"


@dataclass(frozen=True)
class PublishedResult:
    """One published test figure: a value, or a range (``low`` .. ``high``).

    Attributes:
        task (str): the rel-f1 task (``driver-dnf``, ...).
        model (str): who scored it.
        metric (str): the metric name as in reports (``auroc``, ``mae``).
        value (float | None): the figure (the middle of a range).
        protocol (str): ``'relbench'`` (database cut at ``test_time``) or
            ``'rolling'`` (history up to each anchor).
        source (str): where it comes from.
        quoted (str): the figure as the source prints it.
        low, high (float | None): the range, when the source gives one.
        note (str): caveats.
    """

    task: str
    model: str
    metric: str
    value: float | None
    protocol: str
    source: str
    quoted: str
    low: float | None = None
    high: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"split": "test", **asdict(self)}


def _trio(model: str, values: tuple[float, float, float], quoted: tuple[str, str, str], **kw):
    tasks = (("driver-dnf", "auroc"), ("driver-top3", "auroc"), ("driver-position", "mae"))
    return [
        PublishedResult(task, model, metric, value, quoted=q, **kw)
        for (task, metric), value, q in zip(tasks, values, quoted, strict=True)
    ]


def _range(task: str, low: float, high: float, quoted: str) -> PublishedResult:
    return PublishedResult(
        task,
        "in-context foundation models",
        "auroc",
        round((low + high) / 2, 4),
        protocol="rolling",
        source="best published in-context foundation models (leaderboards, 2024-2025)",
        quoted=quoted,
        low=low,
        high=high,
        note="a range over several papers; their protocols vary and are closer to rolling",
    )


#: Every published rel-f1 figure relgraph compares with.
PUBLISHED_REL_F1: list[PublishedResult] = [
    *_trio(
        "RDL GNN",
        (0.7262, 0.7554, 4.022),
        ("72.62", "75.54", "4.022"),
        protocol="relbench",
        source=_RELBENCH_PAPER,
    ),
    *_trio(
        "LightGBM",
        (0.6856, 0.7392, 4.170),
        ("68.56", "73.92", "4.170"),
        protocol="relbench",
        source=_RELBENCH_PAPER,
        note="on entity-table features only",
    ),
    *_trio(
        "RelBench GNN (measured here)",
        (0.712, 0.782, 4.435),
        ("71.2", "78.2", "4.435"),
        protocol="relbench",
        source="RelBench's reference GNN code, default hyperparameters, run on this machine",
        note="about 16 / 3.5 / 9 minutes per task on 2 cores",
    ),
    _range("driver-dnf", 0.82, 0.85, "82-85"),
    _range("driver-top3", 0.91, 0.94, "91-94"),
]


def published_for(task: str, protocol: str | None = None) -> list[PublishedResult]:
    """The published figures of ``task`` (of one ``protocol``, or all)."""
    return [
        p
        for p in PUBLISHED_REL_F1
        if p.task == task and (protocol is None or p.protocol == protocol)
    ]
