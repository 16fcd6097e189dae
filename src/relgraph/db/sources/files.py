"""A folder of CSV or Parquet files, one table per file (the file name without
extension is the table name)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from relgraph.db.sources.base import Declared, quote_ident
from relgraph.errors import SourceError

#: Written for NULL by common dumps (Ergast/MySQL write ``\N``).
NULL_STRINGS = ["\\N", ""]

_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def table_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Map table name -> (file, format) for the data files directly in ``folder``."""
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        for suffix, fmt in _SUFFIXES.items():
            if path.name.lower().endswith(suffix):
                name = path.name[: -len(suffix)]
                if name in found:
                    raise SourceError(
                        f"Two files give table {name!r} in {str(folder)!r}: "
                        f"{found[name][0].name} and {path.name}. Keep one."
                    )
                found[name] = (path, fmt)
                break
    return found


def load_folder(folder: str | Path, con: duckdb.DuckDBPyConnection) -> Declared:
    """Read every CSV/Parquet file of ``folder`` into ``con``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"Folder not found: {str(folder)!r}.")
    files = table_files(folder)
    if not files:
        raise SourceError(
            f"No .csv, .tsv, .csv.gz or .parquet files in {str(folder)!r}; "
            "relgraph reads one table per file."
        )
    declared = Declared(description=f"folder {folder}")
    for name, (path, fmt) in files.items():
        declared.warnings += load_file(con, name, path, fmt)
        declared.tables.append(name)
    return declared


def load_file(con: duckdb.DuckDBPyConnection, name: str, path: Path, fmt: str) -> list[str]:
    """Read one CSV or Parquet file into table ``name`` with a clear error;
    return notes on what was read differently from the file's text."""
    if fmt == "parquet":
        reader = f"read_parquet({_sql_string(str(path))})"
    else:
        # sample_size=-1: type detection over the whole file, since a sample can
        # guess INTEGER for a column whose later rows hold text. null_padding:
        # dumps such as Ergast's end some rows early (missing trailing fields).
        nulls = ", ".join(_sql_string(s) for s in NULL_STRINGS)
        reader = (
            f"read_csv({_sql_string(str(path))}, header = true, nullstr = [{nulls}], "
            "sample_size = -1, null_padding = true)"
        )
    try:
        con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM {reader}")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise SourceError(f"Cannot read {str(path)!r} as {fmt.upper()}: {first}") from None
    columns = [row[0] for row in con.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]
    if fmt == "csv" and len(columns) == 1 and any(d in columns[0] for d in ",;\t|"):
        con.execute(f"DROP TABLE {quote_ident(name)}")
        raise SourceError(
            f"Cannot split the columns of {str(path)!r}: its header is one column "
            f"({columns[0][:60]!r}). Check the delimiter and quoting of the file."
        )
    return _two_digit_years(con, name, path) if fmt == "csv" else []


def _two_digit_years(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> list[str]:
    """Dates written with two-digit years (``6/18/52``) in the past, not the future.

    DuckDB reads ``%y`` as 1969..2068, so an accident of 1952 would be dated
    2052 and become the database's latest time. A two-digit year is read as
    the latest year it can be that is not after today (``52`` is 1952 in
    2026; ``25`` is 2025).
    """
    try:
        formats = con.execute(
            f"SELECT DateFormat, TimestampFormat FROM sniff_csv({_sql_string(str(path))}, "
            "sample_size = -1, null_padding = true)"
        ).fetchall()[0]
    except duckdb.Error:
        return []
    if not any(f and "%y" in f for f in formats):
        return []
    notes = []
    t = quote_ident(name)
    for column, dtype, *_ in con.execute(f"DESCRIBE {t}").fetchall():
        if dtype not in ("DATE", "TIMESTAMP"):
            continue
        c = quote_ident(column)
        moved = con.execute(f"SELECT count(*) FROM {t} WHERE {c} > current_date").fetchall()[0][0]
        if moved:
            back = f"CAST({c} - INTERVAL 100 YEAR AS {dtype})"
            con.execute(f"UPDATE {t} SET {c} = {back} WHERE {c} > current_date")
            notes.append(
                f"{name}.{column}: dates with two-digit years; {moved:,} that would lie in the "
                "future are read a century earlier (e.g. 52 as 1952)."
            )
    return notes


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
