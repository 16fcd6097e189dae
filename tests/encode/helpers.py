"""Small tables with every feature stype, built in code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relgraph.db.stype import Stype
from relgraph.encode import EncodeConfig

#: Hashing only (the sentence encoder is an optional extra), small buckets.
HASHING = EncodeConfig(text_method="hashing", text_buckets=512, text_max_tokens=8)

ALL_STYPES: dict[str, Stype] = {
    "event_id": Stype.id,
    "amount": Stype.numerical,
    "quantity": Stype.numerical,
    "channel": Stype.categorical,
    "country": Stype.categorical,
    "tags": Stype.multicategorical,
    "review": Stype.text,
    "title": Stype.text,
    "created_at": Stype.timestamp,
    "shipped_at": Stype.timestamp,
}


def all_stypes_frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Rows with two columns of every feature stype, NULLs in each, times in order."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    created = start + (np.arange(n) * 86_400 * 10**6 // 2).astype("timedelta64[us]")
    amount = rng.lognormal(3, 1, n)
    amount[::7] = np.nan
    words = np.array(["great value", "broke after a day", "ok", "Would buy AGAIN!", ""])
    review = words[rng.integers(0, len(words), n)].astype(object)
    review[::5] = None
    tags = np.array(["red|blue", "blue", "green; red", "", "red,green,blue"], dtype=object)
    tag_values = tags[rng.integers(0, len(tags), n)]
    tag_values[3::6] = None
    channel = rng.choice(["web", "app", "store"], n).astype(object)
    channel[2::9] = None
    shipped = created + rng.integers(0, 5 * 86_400, n).astype("timedelta64[s]")
    shipped = shipped.astype("datetime64[us]")
    shipped[1::8] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "event_id": np.arange(n),
            "amount": amount,
            "quantity": rng.integers(1, 6, n),
            "channel": channel,
            "country": rng.choice(["DE", "FR", "US", "PL"], n),
            "tags": tag_values,
            "review": review,
            "title": rng.choice(["Blue Mug", "Red Kettle", "Green Lamp Shade"], n),
            "created_at": created,
            "shipped_at": shipped,
        }
    )
