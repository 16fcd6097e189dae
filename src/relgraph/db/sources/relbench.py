"""RelBench-format folders: ``db/<table>.parquet`` whose Parquet metadata
carries ``pkey_col``, ``fkey_col_to_pkey_table`` and ``time_col`` (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from relgraph.db.sources.base import Declared
from relgraph.db.sources.files import load_file
from relgraph.errors import SourceError

_KEYS = (b"pkey_col", b"fkey_col_to_pkey_table", b"time_col")


def is_relbench_folder(folder: Path) -> bool:
    """A folder is RelBench-format when ``db/`` (or itself) holds Parquet files
    with RelBench's key metadata."""
    db_dir = folder / "db" if (folder / "db").is_dir() else folder
    files = sorted(db_dir.glob("*.parquet"))
    if not files:
        return False
    try:
        meta = pq.read_schema(files[0]).metadata or {}
    except Exception:  # unreadable: let the folder loader report it
        return False
    return any(k in meta for k in _KEYS)


def load_relbench(folder: str | Path, con: duckdb.DuckDBPyConnection) -> Declared:
    """Read a RelBench-format database; its keys and time columns are declared."""
    folder = Path(folder)
    db_dir = folder / "db" if (folder / "db").is_dir() else folder
    files = sorted(db_dir.glob("*.parquet"))
    if not files:
        raise SourceError(f"No Parquet files in {str(db_dir)!r} (expected RelBench db/*.parquet).")
    declared = Declared(description=f"relbench folder {folder}")
    fkeys: dict[str, dict[str, str]] = {}
    for path in files:
        name = path.name[: -len(".parquet")]
        try:
            meta = pq.read_schema(path).metadata or {}
        except Exception as exc:
            raise SourceError(f"Cannot read {str(path)!r} as Parquet: {exc}") from None
        load_file(con, name, path, "parquet")
        declared.tables.append(name)
        pkey = _json_meta(meta, b"pkey_col", path)
        if pkey:
            declared.primary_keys[name] = pkey
        declared.time_columns[name] = _json_meta(meta, b"time_col", path)
        fkeys[name] = _json_meta(meta, b"fkey_col_to_pkey_table", path) or {}
    for table, mapping in fkeys.items():
        for column, dst in mapping.items():
            dst_key = declared.primary_keys.get(dst)
            if dst not in declared.tables or dst_key is None:
                declared.warnings.append(
                    f"{table}.{column} references table {dst!r}, which is missing or has "
                    "no primary key in this folder; the link is ignored."
                )
                continue
            declared.foreign_keys.append((table, column, dst, dst_key))
    return declared


def _json_meta(meta: dict[bytes, bytes], key: bytes, path: Path):
    raw = meta.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError):
        raise SourceError(
            f"{str(path)!r}: Parquet metadata {key.decode()!r} is not JSON ({raw[:40]!r})."
        ) from None
