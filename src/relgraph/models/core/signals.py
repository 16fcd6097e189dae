"""Readable reasons: a feature name and value turned into a short phrase,
e.g. ``orders.count.last_30d = 0`` -> ``orders: none in the last 30 days``."""

from __future__ import annotations

import math
import re
from typing import Any

_WINDOW = re.compile(r"last_(\d+)([dhs])$")
_UNITS = {"d": "days", "h": "hours", "s": "seconds"}


def window_text(window: str, counted: str = "rows") -> str:
    if window == "all":
        return "all history"
    m = _WINDOW.match(window)
    if m:
        return f"the last {m.group(1)} {_UNITS[m.group(2)]}"
    m = re.match(r"last_(\d+)$", window)
    if m:
        return f"the last {m.group(1)} {counted}"
    return window


def value_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def describe(feature: str, value: Any) -> str:
    """A short phrase for one feature at one value."""
    parts = feature.split(".")
    if parts[0] == "target":  # the target's own history
        if parts[1] == "last":
            return f"own last label: {value_text(value)}"
        if parts[1] == "year_ago":
            return f"own label a year before: {value_text(value)}"
        if parts[1] == "days_since_last":
            return f"own last labelled window {value_text(value)} days ago"
        what = "mean label" if parts[1] == "mean" else "labelled windows"
        return f"own history: {what} {value_text(value)} over {window_text(parts[2], 'windows')}"
    if parts[0].startswith("earlier"):  # a row-level target's earlier rows
        rows = (
            "earlier rows"
            if parts[0] == "earlier"
            else f"earlier rows of the same {parts[0][len('earlier[') : -1]}"
        )
        if parts[1] == "last":
            return f"{rows}: latest label {value_text(value)}"
        if parts[1] == "days_since_last":
            return f"{rows}: latest {value_text(value)} days ago"
        if parts[1] == "mean":
            return f"{rows}: mean label {value_text(value)} over {window_text(parts[2])}"
        n = value_text(value)
        return f"{rows}: {'none' if n in ('0', '0.0') else n} labelled in {window_text(parts[2])}"
    if parts[-1] in ("days_since_last", "days_since_first"):
        which = "last" if parts[-1] == "days_since_last" else "first"
        path = ".".join(parts[:-1])
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{path}: none so far"
        return f"{path}: {which} one {value:.0f} days ago"
    if len(parts) >= 3 and parts[-2] == "count":
        path = ".".join(parts[:-2])
        n = value_text(value)
        return f"{path}: {'none' if n in ('0', '0.0') else n} in {window_text(parts[-1])}"
    if len(parts) >= 4 and parts[-2] == "share":
        share = f"{value * 100:.0f}%" if isinstance(value, float) else value_text(value)
        return f"{'.'.join(parts[:-2])} in {share} of rows over {window_text(parts[-1])}"
    if len(parts) >= 3 and parts[-1] == "last":
        return f"{'.'.join(parts[:-1])}: last value {value_text(value)}"
    if len(parts) >= 4 and parts[-2] in ("mean", "sum", "min", "max", "std"):
        over = window_text(parts[-1])
        return f"{'.'.join(parts[:-2])}: {parts[-2]} {value_text(value)} over {over}"
    if len(parts) >= 3 and parts[-2] == "mean" or parts[-1].startswith("last_"):
        return f"{'.'.join(parts[:-1])}: {parts[-1].replace('_', ' ')} {value_text(value)}"
    return f"{feature} = {value_text(value)}"
