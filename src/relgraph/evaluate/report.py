"""Evaluation reports: ``report.md``, ``results.json`` and ``chart.png``.

``results.json`` holds one row per task, model, protocol, split and metric
(metrics in their natural scale: AUROC in 0..1), the published figures beside
which they are read, and where and when they were measured::

    {"dataset": "rel-f1", "created": "...", "machine": {...},
     "tasks": [{"task": "driver-dnf", "query": "...", "split_sizes": {...}, ...}],
     "results": [{"task": "driver-dnf", "model": "gbdt", "split": "test",
                  "metric": "auroc", "mean": 0.83, "std": 0.004, "per_seed": [...],
                  "fit_seconds": 1.2, "predict_seconds": 0.1, "protocol": "rolling", ...}],
     "published": [{"task": "driver-dnf", "model": "RDL GNN", "metric": "auroc",
                    "value": 0.7262, "protocol": "relbench", ...}]}

Example:
    >>> format_value(0.81234, "auroc"), format_value(2.70312, "mae")
    ('0.8123', '2.703')
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relgraph.evaluate.evaluation import EVAL_SPLITS, TaskEvaluation
from relgraph.metrics import metric

__all__ = ["PROTOCOL_NOTES", "Report", "format_mean_std", "format_value", "machine_info"]

#: What each protocol means, for readers of a report.
PROTOCOL_NOTES = {
    "rolling": "each example sees all history up to its own anchor time (a backtest, as in "
    "real use; never a row after the anchor)",
    "relbench": "RelBench's: every model sees the database cut at test_time, so later test "
    "examples see history only up to test_time (the published RDL GNN and LightGBM numbers)",
}

#: Metrics of at most 1 (shown with 4 decimals; others with 4 significant digits).
_BOUNDED = {"auroc", "ap", "accuracy", "f1", "macro_f1", "mrr", "r2"}

CHART_NAME = "chart.png"


def _decimals(value: float, name: str) -> int:
    """Decimals to show: 4 for metrics within 0..1, else 4 significant digits."""
    if name in _BOUNDED or "@" in name:
        return 4
    if value == 0:
        return 4
    return max(0, 3 - math.floor(math.log10(abs(value))))


def format_value(value: float | None, name: str) -> str:
    """A metric value as reports print it (``-`` for none)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{_decimals(value, name)}f}"


def format_mean_std(mean: float | None, std: float | None, name: str) -> str:
    """``mean ± std`` as reports print it (std with the mean's decimals)."""
    if mean is None or not math.isfinite(mean):
        return "-"
    decimals = _decimals(mean, name)
    return f"{mean:.{decimals}f} ± {std or 0.0:.{decimals}f}"


def machine_info() -> dict[str, Any]:
    """Where the numbers were measured."""
    from relgraph import __version__

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "relgraph": __version__,
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is a dependency
        pass
    try:
        import lightgbm

        info["lightgbm"] = lightgbm.__version__
    except ImportError:  # pragma: no cover - lightgbm is a dependency
        pass
    return info


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Report:
    """Evaluations of one dataset, with the published figures to read them by.

    Args:
        dataset (str): e.g. ``"rel-f1"`` or the database's name.
        evaluations (list[TaskEvaluation]): one per task.
        published (list[PublishedResult]): published figures (rel-f1).
        skipped (dict[str, str]): tasks not run -> why (no given model supports them).
    """

    dataset: str
    evaluations: list[TaskEvaluation]
    published: list[Any] = field(default_factory=list)
    created: str = field(default_factory=_now)
    machine: dict[str, Any] = field(default_factory=machine_info)
    skipped: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """The document written to ``results.json``."""
        protocols = list(dict.fromkeys(p for ev in self.evaluations for p in ev.protocols))
        return {
            "dataset": self.dataset,
            "created": self.created,
            "machine": self.machine,
            "protocols": {p: PROTOCOL_NOTES[p] for p in protocols},
            "tasks": [ev.to_json() for ev in self.evaluations],
            "results": [row for ev in self.evaluations for row in ev.rows()],
            "published": [p.to_json() for p in self.published],
            "skipped": dict(self.skipped),
        }

    # ------------------------------------------------------------ markdown
    def to_markdown(self, chart: str | None = CHART_NAME) -> str:
        """``report.md``: per task, a table of every metric on val and test
        (mean ± std over seeds), timings, and the published figures beside ours."""
        m = self.machine
        lines = [
            f"# relgraph evaluation: {self.dataset}",
            "",
            f"Measured {self.created} with relgraph {m.get('relgraph', '?')} on "
            f"{m.get('platform', '?')} ({m.get('cpus', '?')} CPUs"
            + (f", {m['memory_gb']} GiB" if "memory_gb" in m else "")
            + f"), Python {m.get('python', '?')}.",
            "",
            "Metrics are in their natural scale (AUROC in 0..1), mean ± std over seeds "
            "(std 0 for a deterministic model, run once). Seconds are per run: fit "
            "(features included) and predict (per split).",
            "",
            "Protocols:",
        ]
        protocols = list(dict.fromkeys(p for ev in self.evaluations for p in ev.protocols))
        lines += [f"- `{p}`: {PROTOCOL_NOTES[p]}." for p in protocols]
        if self.skipped:
            lines += ["", "Not run:"]
            lines += [f"- `{task}`: {why}." for task, why in self.skipped.items()]
        if chart:
            lines += ["", f"![test {self._headline_words()} per model]({chart})"]
        for ev in self.evaluations:
            lines += ["", *self._task_markdown(ev)]
        return "\n".join(lines) + "\n"

    def _headline_words(self) -> str:
        names = list(dict.fromkeys(ev.headline for ev in self.evaluations))
        return " / ".join(names)

    def _task_markdown(self, ev: TaskEvaluation) -> list[str]:
        sizes = " / ".join(f"{ev.split_sizes.get(s, 0):,}" for s in ("train", "val", "test"))
        lines = [
            f"## {ev.task}",
            "",
            f"`{ev.query}`",
            "",
            f"{ev.task_type}; val_time {ev.val_time}, test_time {ev.test_time}; "
            f"examples (train / val / test): {sizes}.",
        ]
        if ev.split_note:
            lines += ["", f"Note: {ev.split_note}"]
        header = ["model", "protocol"]
        for name in ev.metrics:
            header += [f"val {name}", f"test {name}"]
        header += ["seeds", "fit s", "predict s (test)"]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for protocol in ev.protocols:
            for model in ev.models:
                cells = [model, protocol]
                for name in ev.metrics:
                    for split in EVAL_SPLITS:
                        s = ev.summary(model, split, name, protocol)
                        cells.append(format_mean_std(s["mean"], s["std"], name))
                s = ev.summary(model, "test", ev.headline, protocol)
                cells += [
                    str(len(s["per_seed"])),
                    f"{s['fit_seconds']:.2f}",
                    f"{s['predict_seconds']:.2f}",
                ]
                lines.append("| " + " | ".join(cells) + " |")
        published = [p for p in self.published if p.task == ev.task]
        if published:
            lines += [
                "",
                f"Beside published figures (test {ev.headline}; compare within a protocol):",
                "",
                "| model | protocol | test " + ev.headline + " | source |",
                "|---|---|---|---|",
            ]
            for protocol in ev.protocols:
                for model in ev.models:
                    s = ev.summary(model, "test", ev.headline, protocol)
                    value = format_mean_std(s["mean"], s["std"], ev.headline)
                    lines.append(f"| **{model}** (ours) | {protocol} | **{value}** | relgraph |")
            for p in published:
                shown = (
                    f"{format_value(p.low, p.metric)} .. {format_value(p.high, p.metric)}"
                    if p.low is not None
                    else format_value(p.value, p.metric)
                )
                source = p.source + (f"; {p.note}" if p.note else "")
                lines.append(f"| {p.model} | {p.protocol} | {shown} | {source} |")
        return lines

    # ------------------------------------------------------------ chart
    def plot(self, path: str | Path) -> Path:
        """A bar chart per task: the test headline metric of every model and
        protocol (error bars: std over seeds), published figures hatched beside."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        n = len(self.evaluations)
        fig, axes = plt.subplots(1, max(n, 1), figsize=(max(4.5, 4.2 * n), 4.2), squeeze=False)
        colors = {"rolling": "#3b75af", "relbench": "#ef8636"}
        for ax, ev in zip(axes[0], self.evaluations, strict=False):
            labels, values, errors, styles, texts = [], [], [], [], []
            for protocol in ev.protocols:
                for model in ev.models:
                    s = ev.summary(model, "test", ev.headline, protocol)
                    labels.append(f"{model}\n{protocol}")
                    values.append(s["mean"])
                    errors.append(s["std"])
                    styles.append((colors.get(protocol, "#777777"), ""))
                    texts.append(format_value(s["mean"], ev.headline))
            for p in self.published:
                if p.task != ev.task or p.value is None:
                    continue
                labels.append(f"{p.model}\n{p.protocol} (published)")
                values.append(p.value)
                ranged = p.low is not None and p.high is not None
                errors.append((p.high - p.low) / 2 if ranged else 0.0)
                styles.append((colors.get(p.protocol, "#777777"), "//"))
                texts.append(
                    f"{p.low:g}..{p.high:g}" if ranged else format_value(p.value, p.metric)
                )
            xs = range(len(values))
            shown = [v if math.isfinite(v) else 0.0 for v in values]
            for x, v, e, (color, hatch), text in zip(xs, shown, errors, styles, texts, strict=True):
                ax.bar(
                    x,
                    v,
                    yerr=e or None,
                    color="white" if hatch else color,
                    edgecolor=color,
                    hatch=hatch,
                    capsize=3,
                )
                ax.annotate(
                    text,
                    (x, v + (e or 0.0)),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
            ax.set_xticks(list(xs), labels, rotation=60, ha="right", fontsize=7)
            better = "higher" if metric(ev.headline).higher_is_better else "lower"
            ax.set_ylabel(f"test {ev.headline} ({better} is better)")
            ax.set_title(ev.task, fontsize=9)
            finite = [v for v in values if math.isfinite(v)]
            if finite and ev.headline in _BOUNDED:
                ax.set_ylim(max(0.0, min(finite) - 0.1), min(1.0, max(finite) + 0.05))
        from matplotlib.patches import Patch

        handles = [Patch(color=c, label=p) for p, c in colors.items()]
        if self.published:
            handles.append(
                Patch(facecolor="white", edgecolor="#777777", hatch="//", label="published")
            )
        fig.legend(handles=handles, loc="upper left", fontsize=7)
        fig.suptitle(f"{self.dataset}: test {self._headline_words()}", fontsize=10)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path

    # ------------------------------------------------------------ files
    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``report.md``, ``results.json`` and ``chart.png`` into ``out_dir``.

        Returns:
            The paths written, by kind (``markdown``, ``json``, ``chart``).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "markdown": out / "report.md",
            "json": out / "results.json",
            "chart": out / CHART_NAME,
        }
        paths["json"].write_text(json.dumps(self.to_json(), indent=2) + "\n")
        paths["markdown"].write_text(self.to_markdown(CHART_NAME))
        self.plot(paths["chart"])
        return paths
