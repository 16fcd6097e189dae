"""Semantic column types (stypes): the one vocabulary every encoder and
aggregate generator uses to decide what a column means."""

from __future__ import annotations

from enum import StrEnum


class Stype(StrEnum):
    """What a column means, independent of how it is stored.

    Example:
        >>> Stype("categorical").is_feature
        True
        >>> Stype.id.is_feature
        False
    """

    numerical = "numerical"
    categorical = "categorical"
    multicategorical = "multicategorical"
    text = "text"
    timestamp = "timestamp"
    id = "id"

    @property
    def is_feature(self) -> bool:
        """Whether models may use the column's values as input features."""
        return self is not Stype.id

    @classmethod
    def parse(cls, value: str | Stype) -> Stype:
        """Parse a user-given stype name with a clear error on typos."""
        if isinstance(value, Stype):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            from relgraph.errors import SchemaError

            names = ", ".join(s.value for s in cls)
            raise SchemaError(f"Unknown stype {value!r}; expected one of: {names}.") from None

    def __str__(self) -> str:
        return self.value
