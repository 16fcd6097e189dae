"""What every benchmark's JSON report starts with (the machine it ran on),
and the command line the latency benchmarks share."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any


def machine(**versions: str) -> dict[str, Any]:
    """CPU count, platform and Python, plus any library ``versions`` given."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **versions,
    }


def write_report(out: Path, benchmark: str, report: dict[str, Any], **versions: str) -> None:
    """Write ``report`` as JSON to ``out`` under the benchmark's name, date and machine."""
    head = {
        "benchmark": benchmark,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(**versions),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**head, **report}, indent=2, default=str) + "\n")
    print(f"wrote {out}")


def latency_arguments(doc: str, repeat: int, out: Path) -> argparse.Namespace:
    """``--raw`` (the rel-f1 CSVs; skipped when absent), ``--repeat`` (timed
    runs, median reported) and ``--out`` (the JSON report)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path("../shared/data/f1"))
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--out", type=Path, default=out)
    return parser.parse_args()
