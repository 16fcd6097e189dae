"""Benchmark: schema discovery on real public databases.

For each database of :data:`benchmarks.corpus.CORPUS`, ``rg.connect`` it and
compare ``db.schema`` with the hand-written truth (``benchmarks/corpus/*.toml``):
primary keys, time columns, link precision and recall, composite keys and
composite links, whether connect failed, and the seconds it took. Prints one
row per database and a total row, then every mistake.

Run::

    python -m benchmarks.schema_discovery [--db NAME ...] [--json PATH] [--sample-rows N]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.corpus import CORPUS, CorpusDatabase
from benchmarks.corpus.scoring import Found, Score, found_from_schema, score


@dataclass
class Result:
    """One database's outcome: its score, or the error connect raised."""

    name: str
    score: Score
    seconds: float
    error: str = ""


def run_one(db: CorpusDatabase, sample_rows: int | None = None) -> Result:
    """Write (or reuse) ``db``, connect to it and score its schema.

    Writing the files is not timed; ``seconds`` is ``rg.connect`` alone. A
    failed connect scores as if nothing was found.

    Example:
        >>> from benchmarks.corpus import CORPUS
        >>> r = run_one(CORPUS["movies"], sample_rows=20)
        >>> r.error, r.score.tables
        ('', 2)
    """
    import relgraph as rg

    truth = db.truth()
    source = db.source(sample_rows=sample_rows)
    start = time.perf_counter()
    try:
        conn = rg.connect(source)
    except Exception as exc:  # any failure is a result to report, not a crash
        seconds = time.perf_counter() - start
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        empty = Found(keys={}, times={}, links=set())
        return Result(db.name, score(truth, empty), seconds, f"{type(exc).__name__}: {first}")
    seconds = time.perf_counter() - start
    try:
        found = found_from_schema(conn.schema)
    finally:
        conn.close()
    return Result(db.name, score(truth, found), seconds)


def total(results: list[Result]) -> Score:
    """The figures of all databases added up (precision and recall pooled)."""
    out = Score()
    counters = [k for k, v in Score().__dict__.items() if isinstance(v, int)]
    for r in results:
        for k in counters:
            setattr(out, k, getattr(out, k) + getattr(r.score, k))
    return out


HEADER = ("database", "keys", "times", "link P", "link R", "comp keys", "comp links", "failed", "s")


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def row(name: str, s: Score, seconds: float, error: str) -> tuple[str, ...]:
    return (
        name,
        f"{s.keys_right}/{s.tables}",
        f"{s.times_right}/{s.times_total}",
        f"{s.link_precision:.2f}" if s.links_found else "-",  # nothing found: undefined
        f"{s.link_recall:.2f}",
        f"{s.composite_keys_right}/{s.composite_keys}",
        f"{s.composite_links_found}/{s.composite_links}",
        _short(error) or "no",
        f"{seconds:.1f}",
    )


def render(results: list[Result]) -> str:
    """The summary table and the list of mistakes, as printed."""
    rows = [HEADER] + [row(r.name, r.score, r.seconds, r.error) for r in results]
    failed = sum(bool(r.error) for r in results)
    rows.append(row("total", total(results), sum(r.seconds for r in results), f"{failed} failed"))
    widths = [max(len(x[i]) for x in rows) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        if r.error:
            lines += ["", f"{r.name}: connect failed: {r.error}"]
        if r.score.mistakes:
            lines += ["", f"{r.name}: {len(r.score.mistakes)} mistakes"]
            lines += [f"  {m}" for m in r.score.mistakes]
    return "\n".join(lines)


def report(results: list[Result], sample_rows: int | None) -> dict[str, Any]:
    return {
        "sample_rows": sample_rows,
        "databases": {
            r.name: {"seconds": r.seconds, "error": r.error, **r.score.as_dict()} for r in results
        },
        "total": total(results).as_dict(),
    }


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", action="append", choices=sorted(CORPUS), help="a database (repeatable; default all)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--sample-rows", type=int, default=None, help="keep each table's first N rows (quick runs)"
    )
    args = parser.parse_args(argv)
    results = [run_one(CORPUS[name], args.sample_rows) for name in args.db or list(CORPUS)]
    print(render(results))
    if args.json is not None:
        from benchmarks.common import write_report

        write_report(args.json, "schema_discovery", report(results, args.sample_rows))
    return results


if __name__ == "__main__":
    main()
