"""Name heuristics for schema inference: normalised names, singular forms,
id-like and time-like column names."""

from __future__ import annotations

import re

_NON_ALNUM = re.compile(r"[^0-9a-z]")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def norm(name: str) -> str:
    """``"customer_Id"`` -> ``"customerid"``: case and separators do not matter."""
    return _NON_ALNUM.sub("", name.lower())


def words(name: str) -> list[str]:
    """Split snake_case and camelCase: ``"signupAt_utc"`` -> ``["signup", "at", "utc"]``."""
    out: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name):
        out += [w.lower() for w in _WORDS.findall(part)]
    return out


#: Words whose singular is the word itself.
_UNCHANGED = ("species", "series")


def singular(word: str) -> str:
    """A plain-English singular, good enough for table names.

    Example:
        >>> singular("categories"), singular("species"), singular("surveys")
        ('category', 'species', 'survey')
    """
    w = word
    if w.lower().endswith(_UNCHANGED):
        return w
    for plural, single in (
        ("ies", "y"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
    ):
        if w.endswith(plural) and len(w) > len(plural) + 1:
            return w[: -len(plural)] + single
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 2:
        return w[:-1]
    return w


def plural(word: str) -> str:
    """A plain-English plural of a table name, for questions in prose: a
    name already plural (or its own singular, ``species``) is kept.

    Example:
        >>> plural("part"), plural("category"), plural("surveys"), plural("species")
        ('parts', 'categories', 'surveys', 'species')
    """
    if singular(word) != word or word.lower().endswith(_UNCHANGED):
        return word
    if word.endswith("y") and len(word) > 1 and word[-2].lower() not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def table_variants(table: str) -> set[str]:
    """Normalised forms a column may use to name ``table``: ``order_items`` ->
    ``{"orderitems", "orderitem"}``."""
    parts = words(table) or [table.lower()]
    variants = {norm(table), norm("".join(parts[:-1]) + singular(parts[-1]))}
    return {v for v in variants if v}


ID_SUFFIXES = ("id", "key", "uuid", "guid")
#: Suffixes that are id-like only as a word of their own: a data warehouse's
#: surrogate keys (``c_customer_sk``), where "task" or "risk" end alike.
ID_WORD_SUFFIXES = ("sk",)


def id_suffix(name: str) -> str | None:
    """The id-like suffix of a normalised name, if any.

    Example:
        >>> id_suffix("customer_id"), id_suffix("c_customer_sk"), id_suffix("task")
        ('id', 'sk', None)
    """
    n = norm(name)
    for suffix in ID_SUFFIXES:
        if n.endswith(suffix):
            return suffix
    ws = words(name)
    if len(ws) > 1 and ws[-1] in ID_WORD_SUFFIXES:
        return ws[-1]
    return None


# Event-time names: when the row came into existence.
_CREATION_WORDS = {
    "created",
    "creation",
    "inserted",
    "registered",
    "signup",
    "signed",
    "joined",
    "opened",
    "placed",
    "ordered",
    "posted",
    "published",
    "reported",
    "submitted",
    "started",
    "activated",
    "reviewed",
    "purchased",
    "occurred",
    "event",
}
_TIME_WORDS = {"date", "time", "timestamp", "ts", "datetime", "at", "on", "when", "day"}
# Dates that are not the row's own event time.
_NOT_EVENT_WORDS = {
    "birth",
    "birthday",
    "dob",
    "born",
    "death",
    "died",
    "deceased",
    "expiry",
    "expires",
    "expiration",
    "expire",
    "end",
    "ended",
    "ends",
    "deleted",
    "updated",
    "modified",
    "changed",
    "due",
    "deadline",
    "until",
    "valid",
    "closed",
    "cancelled",
    "canceled",
    "finished",
    "completed",
    "last",
}


def time_name_score(name: str) -> int:
    """How much a column name sounds like the row's own creation/event time.

    Returns 0 for names that describe something else (a birth date, an end date).
    """
    ws = words(name)
    if not ws:
        return 10
    # "birthdate", "dateofbirth": a birth date however the words are joined
    if any(w in _NOT_EVENT_WORDS for w in ws) or norm(name) == "dob" or "birth" in norm(name):
        return 0
    if any(w in _CREATION_WORDS for w in ws):
        return 90
    if norm(name) in {"date", "time", "timestamp", "ts", "datetime", "eventtime"}:
        return 85
    if ws[-1] == "at" or ws[-1] in _TIME_WORDS:
        return 70
    if any(w in _TIME_WORDS for w in ws):
        return 50
    return 20


def column_prefix(columns: list[str]) -> str:
    """A prefix every column of a table shares, as in TPC-H (``o_orderkey``,
    ``o_custkey``): ``"o_"``; else ``""``."""
    names = [c for c in columns if not c.startswith("_")]
    if len(names) < 2:
        return ""
    first = names[0].split("_", 1)[0] + "_"
    if 1 < len(first) <= 5 and all(c.startswith(first) and len(c) > len(first) for c in names):
        return first
    return ""


def strip_prefix(column: str, prefix: str) -> str:
    return column[len(prefix) :] if prefix and column.startswith(prefix) else column
