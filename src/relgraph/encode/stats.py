"""Per-column statistics, fitted on training rows only.

A column's statistics decide how its values become tensors and how its
encoder normalizes them. They are fitted once, on the rows visible at the end
of training (``time <= until``; every row of a static table), and then
applied unchanged to every row, so that validation and test rows never leak
into normalization, vocabularies or clip bounds.

What each stype keeps (:class:`ColumnStats`):

- ``numerical``: median, a robust scale (IQR, else MAD, else standard
  deviation; never zero), clip bounds (the ``clip_quantiles`` of the training
  values) and the share of NULL/NaN values.
- ``categorical``: the most frequent values (at most ``max_categories``);
  index ``0`` is reserved for an unknown or NULL value.
- ``multicategorical``: the most frequent items (Arrow lists, or text split on
  ``|``, ``;`` or ``,``) and how many items a row keeps.
- ``text``: the method (``"hashing"`` with its bucket count and tokens per
  row, or ``"sentence"`` with the encoder's name and width).
- ``timestamp``: nothing but its presence: timestamps are encoded relative to
  each example's anchor time when a batch is built.

``id`` columns (keys, foreign keys) are never features and get no statistics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from relgraph.db.stype import Stype
from relgraph.encode.columns import (
    as_array,
    as_strings,
    column_of,
    items_per_row,
    num_rows_of,
    qualified,
    split_items,
)
from relgraph.encode.config import EncodeConfig
from relgraph.encode.errors import EncoderError
from relgraph.encode.text import (
    SENTENCE_MODEL,
    load_sentence_model,
    max_tokens_per_row,
    resolve_text_method,
    sentence_dimension,
)
from relgraph.errors import GraphError
from relgraph.graph.timeutil import to_epoch_seconds

__all__ = ["ColumnStats", "TableStats", "until_seconds"]

#: Normal-consistency factors: IQR and MAD of a standard normal variable.
_IQR_TO_SIGMA = 1.3489795
_MAD_TO_SIGMA = 1.4826022


@dataclass(frozen=True)
class ColumnStats:
    """What one feature column's training values look like.

    Fields that do not apply to the column's stype keep their defaults.

    Attributes:
        name (str): Column name.
        stype (Stype): Semantic type (never ``id``).
        num_values (int): Non-null training values.
        null_share (float): Share of training rows that are NULL (or NaN).
        median (float): Numerical: median of the finite training values.
        scale (float): Numerical: robust scale, ``> 0``.
        lower (float): Numerical: lower clip bound.
        upper (float): Numerical: upper clip bound.
        vocab (tuple[str, ...]): Categorical and multicategorical: kept values
            (as text), most frequent first.
        max_items (int): Multicategorical items or hashed text tokens kept per
            row (the padded width), ``>= 1``.
        text_method (str | None): Text: ``"hashing"`` or ``"sentence"``.
        num_buckets (int): Hashed text: number of token ids (``0`` padding,
            ``1`` empty text).
        sentence_model (str | None): Sentence text: the encoder's name.
        embedding_dim (int): Sentence text: width of the sentence embeddings.

    Example:
        >>> stats = ColumnStats.fit([1.0, 2.0, 3.0, None], "numerical", name="amount")
        >>> stats.median, stats.null_share
        (2.0, 0.25)
        >>> ColumnStats.fit(["a", "b", "a"], "categorical").vocab
        ('a', 'b')
    """

    name: str
    stype: Stype
    num_values: int = 0
    null_share: float = 0.0
    median: float = 0.0
    scale: float = 1.0
    lower: float = 0.0
    upper: float = 0.0
    vocab: tuple[str, ...] = ()
    max_items: int = 1
    text_method: str | None = None
    num_buckets: int = 0
    sentence_model: str | None = None
    embedding_dim: int = 0

    @classmethod
    def fit(
        cls,
        values: Any,
        stype: Stype | str,
        *,
        name: str = "values",
        table: str | None = None,
        config: EncodeConfig | None = None,
    ) -> ColumnStats:
        """Fit the statistics of one column on its training values.

        Args:
            values: The training values: an Arrow array or chunked array, a
                pandas Series, a numpy array or a list.
            stype (Stype | str): The column's semantic type.
            name (str): Column name. (default: :obj:`"values"`)
            table (str, optional): Table name, for messages. (default: :obj:`None`)
            config (EncodeConfig, optional): Caps and text settings.
                (default: :obj:`EncodeConfig()`)

        Raises:
            EncoderError: If ``stype`` is ``id`` (ids are never features) or
                the values do not fit the stype.
        """
        stype = Stype.parse(stype)
        config = config or EncodeConfig()
        where = qualified(table, name)
        array = as_array(values, where)
        fitter = _FITTERS.get(stype)
        if fitter is None:
            raise EncoderError(
                f"{where} has stype 'id'; keys and foreign keys are never features, so they "
                "get no statistics. Leave them out, or change the stype "
                "(db.set_stype(table, column, ...)) if the column is not a key."
            )
        return fitter(cls(name=name, stype=stype), array, where, config)

    @property
    def num_embeddings(self) -> int:
        """Rows of this column's embedding table: categorical ``len(vocab) + 1``
        (unknown/NULL first), multicategorical ``len(vocab) + 2`` (padding,
        unknown/empty), hashed text ``num_buckets``; ``0`` otherwise."""
        if self.stype is Stype.categorical:
            return len(self.vocab) + 1
        if self.stype is Stype.multicategorical:
            return len(self.vocab) + 2
        if self.stype is Stype.text and self.text_method == "hashing":
            return self.num_buckets
        return 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (for saving a model)."""
        data = asdict(self)
        data["stype"] = self.stype.value
        data["vocab"] = list(self.vocab)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnStats:
        """The inverse of :meth:`to_dict`."""
        data = dict(data)
        data["stype"] = Stype.parse(data["stype"])
        data["vocab"] = tuple(data.get("vocab", ()))
        return cls(**data)


@dataclass(frozen=True)
class TableStats:
    """Statistics of every feature column of one table, fitted on its training rows.

    Attributes:
        table (str): Table name.
        columns (dict[str, ColumnStats]): Feature columns (no ``id`` columns),
            in schema order.
        num_rows (int): Training rows the statistics were fitted on.
        until (int | None): Epoch seconds of the last visible time (rows with
            a time ``<= until`` were read); :obj:`None` when every row was.
        time_column (str | None): The table's time column (:obj:`None` for a
            static table, whose rows are all read).
        config (EncodeConfig): The settings used.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> db = rg.connect({"orders": pd.DataFrame({
        ...     "order_id": [1, 2, 3], "amount": [10.0, 20.0, 1000.0],
        ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-03-01"])})})
        >>> stats = TableStats.fit(db, "orders", until=pd.Timestamp("2024-01-31"))
        >>> stats.num_rows, stats.columns["amount"].median
        (2, 15.0)
    """

    table: str
    columns: dict[str, ColumnStats]
    num_rows: int = 0
    until: int | None = None
    time_column: str | None = None
    config: EncodeConfig = field(default_factory=EncodeConfig)

    @classmethod
    def fit(
        cls,
        db: Any,
        table: str,
        until: Any,
        config: EncodeConfig | None = None,
    ) -> TableStats:
        """Fit on the rows of ``db``'s ``table`` visible at ``until``.

        Args:
            db (Database): The database.
            table (str): Table name.
            until: The last training time (``pd.Timestamp``, ``datetime``,
                ISO string or ``int`` epoch seconds): rows with a time
                ``<= until`` are read, rows with a NULL time never; every
                row of a static table is. :obj:`None` reads every row.
            config (EncodeConfig, optional): Settings. (default: :obj:`EncodeConfig()`)
        """
        schema = db.schema.table(table)
        stypes = feature_stypes(schema.columns)
        config = config or EncodeConfig()
        if not stypes:  # only keys and links: nothing to read
            return cls(table=table, columns={}, time_column=schema.time_column, config=config)
        needed = list(stypes)
        if schema.time_column is not None and schema.time_column not in needed:
            needed.append(schema.time_column)
        data = db.arrow(table, needed)
        return cls.fit_data(
            data,
            stypes,
            table=table,
            time_column=schema.time_column,
            until=until,
            config=config,
        )

    @classmethod
    def fit_data(
        cls,
        data: pa.Table | pd.DataFrame,
        stypes: Mapping[str, Stype | str],
        *,
        table: str = "",
        time_column: str | None = None,
        until: Any = None,
        config: EncodeConfig | None = None,
    ) -> TableStats:
        """Fit on an Arrow table or DataFrame (rows after ``until`` are left out).

        Args:
            data: The table's rows.
            stypes (Mapping[str, Stype | str]): Column name to stype; ``id``
                columns are skipped.
            table (str): Table name, for messages. (default: :obj:`""`)
            time_column (str, optional): Column of the rows' times; without
                one every row is used. (default: :obj:`None`)
            until: Last training time, as in :meth:`fit`. (default: :obj:`None`)
            config (EncodeConfig, optional): Settings. (default: :obj:`EncodeConfig()`)
        """
        config = config or EncodeConfig()
        features = feature_stypes(stypes)
        until_s = until_seconds(until)
        data = visible_rows(data, table, time_column, until_s)
        columns = {
            name: ColumnStats.fit(
                column_of(data, name, table), stype, name=name, table=table, config=config
            )
            for name, stype in features.items()
        }
        return cls(
            table=table,
            columns=columns,
            num_rows=num_rows_of(data),
            until=until_s if time_column is not None else None,
            time_column=time_column,
            config=config,
        )

    @property
    def stypes(self) -> list[Stype]:
        """The stypes present, in the order of :class:`Stype`."""
        present = {c.stype for c in self.columns.values()}
        return [s for s in Stype if s in present]

    def columns_of(self, stype: Stype | str) -> list[ColumnStats]:
        """Statistics of the columns of one stype, in column order."""
        stype = Stype.parse(stype)
        return [c for c in self.columns.values() if c.stype is stype]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (for saving a model)."""
        return {
            "table": self.table,
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "num_rows": self.num_rows,
            "until": self.until,
            "time_column": self.time_column,
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableStats:
        """The inverse of :meth:`to_dict`."""
        config = dict(data.get("config", {}))
        if "clip_quantiles" in config:
            config["clip_quantiles"] = tuple(config["clip_quantiles"])
        return cls(
            table=data["table"],
            columns={n: ColumnStats.from_dict(c) for n, c in data["columns"].items()},
            num_rows=int(data.get("num_rows", 0)),
            until=data.get("until"),
            time_column=data.get("time_column"),
            config=EncodeConfig(**config),
        )


# ---------------------------------------------------------------- helpers


def feature_stypes(stypes: Mapping[str, Stype | str]) -> dict[str, Stype]:
    """The feature columns (every stype but ``id``) of a column -> stype map."""
    parsed = {name: Stype.parse(s) for name, s in stypes.items()}
    return {name: s for name, s in parsed.items() if s.is_feature}


def until_seconds(until: Any) -> int | None:
    """A training cut-off as ``int`` epoch seconds (floored; UTC for aware times).

    Example:
        >>> until_seconds("1970-01-02")
        86400
        >>> until_seconds(None) is None
        True
    """
    if until is None:
        return None
    if isinstance(until, int | np.integer) and not isinstance(until, bool):
        return int(until)
    try:
        stamp = pd.Timestamp(until)
    except (TypeError, ValueError) as err:
        raise EncoderError(
            f"Expected `until` as a timestamp (pd.Timestamp, datetime, ISO string) or int "
            f"epoch seconds (got {until!r})."
        ) from err
    if stamp is pd.NaT:
        raise EncoderError("`until` is NaT; give the last training time.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(dt.UTC).tz_localize(None)
    return int(to_epoch_seconds(np.array([stamp.to_datetime64()])).seconds[0])


def visible_rows(
    data: pa.Table | pd.DataFrame, table: str, time_column: str | None, until: int | None
) -> pa.Table | pd.DataFrame:
    """The rows with a time ``<= until`` (all rows without a time column or ``until``)."""
    if time_column is None or until is None:
        return data
    times = column_of(data, time_column, table)
    try:
        seconds, is_null = to_epoch_seconds(times, name=qualified(table, time_column))
    except GraphError as err:
        raise EncoderError(str(err)) from err
    mask = ~is_null & (seconds <= until)
    if mask.all():
        return data
    if isinstance(data, pa.Table):
        return data.filter(pa.array(mask))
    return data.loc[mask]


def _fit_numerical(
    stats: ColumnStats, array: pa.Array, where: str, config: EncodeConfig
) -> ColumnStats:
    values = numeric_values(array, where)
    finite = values[np.isfinite(values)]
    n = len(values)
    null_share = float(np.isnan(values).sum() / n) if n else 0.0
    if not len(finite):
        return replace(stats, num_values=0, null_share=null_share)
    low_q, high_q = config.clip_quantiles
    low, q1, median, q3, high = np.quantile(finite, [low_q, 0.25, 0.5, 0.75, high_q])
    scale = _robust_scale(finite, float(q1), float(median), float(q3), float(low), float(high))
    return replace(
        stats,
        num_values=int(len(finite)),
        null_share=null_share,
        median=float(median),
        scale=scale,
        lower=float(low),
        upper=float(high),
    )


def numeric_values(array: pa.Array, where: str) -> np.ndarray:
    """The values as ``float64`` numpy (NULL -> NaN)."""
    type_ = array.type
    if pa.types.is_null(type_):
        return np.full(len(array), np.nan)
    if pa.types.is_time(type_) or pa.types.is_duration(type_):
        # A time of day or a duration (inferred numerical): its length in seconds.
        unit = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[type_.unit]
        ints = pc.cast(
            array,
            pa.int64()
            if pa.types.is_duration(type_)
            else (pa.int32() if pa.types.is_time32(type_) else pa.int64()),
        )
        return pc.multiply(pc.cast(ints, pa.float64()), unit).to_numpy(zero_copy_only=False)
    if not (
        pa.types.is_integer(type_)
        or pa.types.is_floating(type_)
        or pa.types.is_boolean(type_)
        or pa.types.is_decimal(type_)
        or pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_string_view(type_)
    ):
        raise EncoderError(
            f"{where} is numerical but holds {type_} values; set its stype to what it is "
            "(db.set_stype(table, column, ...))."
        )
    try:
        floats = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise EncoderError(
            f"{where} is numerical but some values are not numbers ({err}); set its stype "
            "to 'categorical' or 'text' (db.set_stype(table, column, ...))."
        ) from err
    return floats.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _robust_scale(
    finite: np.ndarray, q1: float, median: float, q3: float, low: float, high: float
) -> float:
    """IQR, else MAD, else standard deviation, else clip range, else 1 (never 0)."""
    tiny = 1e-12 * max(1.0, abs(median))
    candidates = (
        (q3 - q1) / _IQR_TO_SIGMA,
        float(np.median(np.abs(finite - median))) * _MAD_TO_SIGMA,
        float(np.std(finite)),
        (high - low) / 2.0,
    )
    for scale in candidates:
        if np.isfinite(scale) and scale > tiny:
            return float(scale)
    return 1.0


def _vocabulary(items: pa.Array, cap: int) -> tuple[str, ...]:
    """The ``cap`` most frequent non-null values, ties broken by value."""
    counts = pc.value_counts(items)
    values = counts.field("values")
    valid = pc.is_valid(values)
    if valid.false_count:
        counts = counts.filter(valid)
        values = counts.field("values")
    if not len(values):
        return ()
    names = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    freq = counts.field("counts").to_numpy(zero_copy_only=False)
    order = np.lexsort((names.astype(str), -freq))[:cap]
    return tuple(str(v) for v in names[order])


def _fit_categorical(
    stats: ColumnStats, array: pa.Array, where: str, config: EncodeConfig
) -> ColumnStats:
    strings = as_strings(array, where)
    n = len(strings)
    return replace(
        stats,
        num_values=n - strings.null_count,
        null_share=strings.null_count / n if n else 0.0,
        vocab=_vocabulary(strings, config.max_categories),
    )


def _fit_multicategorical(
    stats: ColumnStats, array: pa.Array, where: str, config: EncodeConfig
) -> ColumnStats:
    row_ids, items = split_items(array, where)
    n = len(array)
    longest = items_per_row(row_ids, n)
    return replace(
        stats,
        num_values=n - array.null_count,
        null_share=array.null_count / n if n else 0.0,
        vocab=_vocabulary(items, config.max_categories),
        max_items=max(1, min(config.max_list_items, longest)),
    )


def _fit_text(stats: ColumnStats, array: pa.Array, where: str, config: EncodeConfig) -> ColumnStats:
    strings = as_strings(array, where)
    n = len(strings)
    stats = replace(
        stats,
        num_values=n - strings.null_count,
        null_share=strings.null_count / n if n else 0.0,
    )
    method = resolve_text_method(config.text_method)
    if method == "sentence":
        return replace(
            stats,
            text_method="sentence",
            sentence_model=SENTENCE_MODEL,
            embedding_dim=sentence_dimension(load_sentence_model()),
        )
    longest = max_tokens_per_row(strings)
    return replace(
        stats,
        text_method="hashing",
        num_buckets=config.text_buckets,
        max_items=max(1, min(config.text_max_tokens, longest)),
    )


def _fit_timestamp(
    stats: ColumnStats, array: pa.Array, where: str, config: EncodeConfig
) -> ColumnStats:
    try:
        _seconds, is_null = to_epoch_seconds(array, name=where)
    except GraphError as err:
        raise EncoderError(str(err)) from err
    n = len(is_null)
    nulls = int(is_null.sum())
    return replace(stats, num_values=n - nulls, null_share=nulls / n if n else 0.0)


_FITTERS = {
    Stype.numerical: _fit_numerical,
    Stype.categorical: _fit_categorical,
    Stype.multicategorical: _fit_multicategorical,
    Stype.text: _fit_text,
    Stype.timestamp: _fit_timestamp,
}
