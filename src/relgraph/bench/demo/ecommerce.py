"""A synthetic online shop with planted, learnable signal (no downloads).

Five tables, two years of history (``2023-01-01`` to ``2024-12-31``):

- ``customers`` (``customer_id``; time column ``signup_at``): ``country``,
  ``age``, ``segment``.
- ``products`` (``product_id``; static): ``category``, ``price``, ``brand``,
  ``name``.
- ``orders`` (``order_id``; ``ordered_at``; FK ``customer_id``): ``amount``
  (the sum of its items), ``channel``, ``status`` (``'paid'``/``'refunded'``).
- ``order_items`` (``order_item_id``; ``ordered_at``, the order's time; FKs
  ``order_id``, ``product_id``): ``quantity``, ``unit_price``.
- ``reviews`` (``review_id``; ``reviewed_at``; FKs ``customer_id``,
  ``product_id``): ``rating`` (1-5), ``text`` (sentiment matches the rating).

At ``scale=1`` there are 5,000 customers, 500 products and about 210,000 rows
in all; every size grows linearly with ``scale`` except products (square
root). The data are clean: unique keys, no dangling foreign keys, no null
timestamps, no order before its customer's signup. Primary keys are integers
from 1, numbered in time order for the timed tables.

How the data are made: vectorized, with one loop over the 105 weeks and never
one over customers or orders. Each customer has a latent weekly order rate.
Each week a customer who is still active first survives a churn hazard
(``sigmoid`` of a logit), then places a Poisson number of orders, each with
``1 + Poisson(1.2)`` items, mostly from a favourite category. A churned
customer never orders again. The signal planted in the hazard and the rate:

1. **Recent frequency as a sequence.** About a third of the customers start
   to fade at a random week: their log-rate falls by 0.06-0.2 a week (over
   months), half of that fall is added to their hazard logit, and they stop
   for good once the rate is down to 5 %. The others fluctuate around their
   base rate. So among customers with the same number of orders in the 120
   days before an anchor, those whose last 60 days were quieter than the 60
   before order less in the next 30 days than those whose last 60 days were
   busier.
2. **Multi-hop product quality.** Each product has a latent quality (brand
   effect plus noise; about one product in twelve is defective). Each item
   gives its buyer an experience ``quality + noise``; a bad one is a shock
   that adds up to 3.5 to the hazard logit from the next week on and fades
   by a quarter a week (customer -> orders -> order_items -> products). Bad
   experiences also make an order more likely ``'refunded'``. Other buyers'
   ratings reveal a product's quality, and so does their churn: churn
   propagates through shared products.
3. **Review sentiment.** Some items get a review 0.5-6 days after the order,
   more often after a very good or very bad experience; the rating follows
   the experience and the text follows the rating. Each review rated 1 or 2
   adds 1.5 to the reviewer's hazard logit from the week after the review,
   fading by 7 % a week, on top of the shock of the experience itself.

Smaller effects: ``segment`` sets the base rate and the hazard, younger
customers churn slightly more, customers mostly use a preferred ``channel``.
The test suite (``tests/bench/test_demo.py``) measures each signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["make_ecommerce"]

START = np.datetime64("2023-01-01T00:00:00", "s")
END = np.datetime64("2025-01-01T00:00:00", "s")  # exclusive end of history
DAY = 86_400
WEEK = 7 * DAY

COUNTRIES = np.array(["US", "DE", "GB", "FR", "ES", "IT", "NL", "PL", "SE", "CA"])
COUNTRY_P = np.array([0.3, 0.14, 0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.04, 0.04])
SEGMENTS = np.array(["regular", "budget", "premium", "business"])
SEGMENT_P = np.array([0.5, 0.25, 0.15, 0.1])
SEGMENT_RATE = np.array([1.0, 0.7, 1.6, 1.3])  # multiplier of the base order rate
SEGMENT_HAZARD = np.array([0.0, 0.3, -0.5, -0.2])  # added to the churn logit
CHANNELS = np.array(["web", "app", "store"])
CHANNEL_P = np.array([0.5, 0.35, 0.15])
STATUSES = np.array(["paid", "refunded"])
SHOCK_DECAY = 0.75  # weekly decay of the shock of a bad experience
REVIEW_DECAY = 0.93  # weekly decay of the effect of a negative review

CATEGORIES = np.array(
    [
        "electronics",
        "home",
        "kitchen",
        "beauty",
        "sports",
        "toys",
        "books",
        "fashion",
        "garden",
        "grocery",
    ]
)
CATEGORY_PRICE = np.array([120.0, 45.0, 35.0, 18.0, 40.0, 25.0, 15.0, 35.0, 30.0, 8.0])
NOUNS = np.array(
    [
        ["Headphones", "Charger", "Speaker", "Monitor", "Keyboard", "Camera"],
        ["Lamp", "Cushion", "Rug", "Shelf", "Blanket", "Mirror"],
        ["Blender", "Kettle", "Pan", "Knife Set", "Toaster", "Mug"],
        ["Serum", "Shampoo", "Lotion", "Perfume", "Lip Balm", "Face Mask"],
        ["Yoga Mat", "Dumbbell", "Bottle", "Racket", "Backpack", "Helmet"],
        ["Puzzle", "Robot", "Doll", "Building Set", "Kite", "Board Game"],
        ["Novel", "Cookbook", "Atlas", "Notebook", "Comic", "Guide"],
        ["Jacket", "Sneakers", "Scarf", "Belt", "Hoodie", "Sunglasses"],
        ["Hose", "Planter", "Shears", "Seed Kit", "Lantern", "Gloves"],
        ["Coffee", "Tea", "Olive Oil", "Granola", "Chocolate", "Honey"],
    ]
)
ADJECTIVES = np.array(
    ["Classic", "Compact", "Smart", "Deluxe", "Eco", "Pro", "Mini", "Ultra", "Essential", "Nova"]
)
BRANDS = np.array(
    [
        "Acme",
        "Northwind",
        "Zenith",
        "Orbit",
        "Lumen",
        "Kestrel",
        "Nimbus",
        "Vertex",
        "Halcyon",
        "Pioneer",
        "Quanta",
        "Solace",
        "Brightway",
        "Cobalt",
        "Evergreen",
        "Foxglove",
        "Granite",
        "Harbor",
        "Ironleaf",
        "Juniper",
    ]
)

_OPENERS = {
    1: ["Terrible", "Awful", "Very disappointed", "Waste of money", "Worst purchase ever"],
    2: ["Disappointing", "Not great", "Below expectations", "Poor quality", "Would not buy again"],
    3: ["Okay", "Average", "It is fine", "Does the job", "Mixed feelings"],
    4: ["Good", "Pretty good", "Happy with it", "Solid choice", "Works well"],
    5: ["Excellent", "Love it", "Fantastic", "Perfect", "Highly recommend"],
}
_DETAILS = {
    "negative": [
        "it broke after a week",
        "it arrived damaged",
        "not as described",
        "it stopped working",
        "cheap materials",
    ],
    "neutral": [
        "nothing special",
        "quality is acceptable",
        "as expected for the price",
        "delivery was slow",
        "some minor flaws",
    ],
    "positive": [
        "great quality",
        "arrived quickly",
        "exactly as described",
        "works perfectly",
        "great value",
    ],
}
_SENTIMENT = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
# REVIEW_TEXTS[rating - 1, k]: 25 sentences per rating.
REVIEW_TEXTS = np.array(
    [
        [f"{opener}, {detail}." for opener in _OPENERS[r] for detail in _DETAILS[_SENTIMENT[r]]]
        for r in range(1, 6)
    ],
    dtype=object,
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    """Seconds after :data:`START` to ``datetime64[us]``."""
    return START.astype("datetime64[us]") + (seconds * 1_000_000).astype("timedelta64[us]")


def _strings(values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype(object), dtype="str")


def _labels(names: np.ndarray, codes: np.ndarray) -> pd.Series:
    """``names[codes]`` as a string Series, without a Python object per row."""
    taken = pa.array(names.tolist(), type=pa.string()).take(pa.array(codes, type=pa.int64()))
    return pd.Series(pd.array(taken, dtype="str"))


def _make_products(rng: np.random.Generator, n_products: int) -> dict[str, np.ndarray]:
    category = rng.integers(0, len(CATEGORIES), n_products)
    brand = rng.integers(0, len(BRANDS), n_products)
    brand_quality = rng.normal(0.0, 0.4, len(BRANDS))
    brand_quality -= brand_quality.mean()
    defective = rng.permutation(n_products) < round(0.08 * n_products)
    quality = 0.4 + brand_quality[brand] + rng.normal(0.0, 0.6, n_products) - 2.0 * defective
    price = CATEGORY_PRICE[category] * np.exp(rng.normal(0.0, 0.5, n_products) + 0.1 * quality)
    adjective = rng.integers(0, len(ADJECTIVES), n_products)
    noun = rng.integers(0, NOUNS.shape[1], n_products)
    name = (
        _strings(BRANDS[brand])
        + " "
        + _strings(ADJECTIVES[adjective])
        + " "
        + NOUNS[category, noun]
    )
    popularity = rng.lognormal(0.0, 0.7, n_products)
    return {
        "category": category,
        "brand": brand,
        "quality": quality,
        "price": np.round(np.maximum(price, 0.99), 2),
        "name": name.to_numpy(dtype=object),
        "popularity": popularity,
    }


class _ProductSampler:
    """Draws products by popularity, either overall or within a given category."""

    def __init__(self, category: np.ndarray, popularity: np.ndarray) -> None:
        self.order = np.argsort(category, kind="stable")
        sorted_category = category[self.order]
        sorted_popularity = popularity[self.order]
        total = np.bincount(sorted_category, weights=sorted_popularity, minlength=len(CATEGORIES))
        within = (
            np.cumsum(sorted_popularity)
            - np.concatenate([[0.0], np.cumsum(total)])[sorted_category]
        )
        # Key of a product: its category index plus its cumulative share within the
        # category, so keys increase and category c covers (c, c + 1].
        self.category_keys = sorted_category + within / total[sorted_category]
        self.categories = np.flatnonzero(total > 0)
        self.global_cum = np.cumsum(popularity) / popularity.sum()

    def overall(self, u: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.global_cum, u, side="right")
        return np.minimum(index, len(self.global_cum) - 1)

    def within(self, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.category_keys, category + u, side="right")
        return self.order[np.minimum(index, len(self.order) - 1)]


def make_ecommerce(
    scale: float = 1.0, seed: int = 0, product_shock: float = 3.5
) -> dict[str, pd.DataFrame]:
    """Generate the e-commerce demo database.

    See the module docstring for the tables and the planted signal.

    Args:
        scale (float): Size factor; 1.0 gives 5,000 customers and about
            210,000 rows, sizes grow linearly (products as the square root).
            (default: ``1.0``)
        seed (int): Seed of :func:`numpy.random.default_rng`; the same
            ``(scale, seed)`` gives identical tables. (default: ``0``)
        product_shock (float): Weight of a bad product experience in the
            churn hazard's logit: the strength of the multi-hop signal
            (customer -> orders -> order_items -> products). The random draws
            do not depend on it, so only who churns when changes.
            (``benchmarks.demo_multihop`` varies it.) (default: ``3.5``)

    Returns:
        dict[str, pandas.DataFrame]: ``customers``, ``products``, ``orders``,
        ``order_items`` and ``reviews``.

    Raises:
        ValueError: If ``scale`` is not positive.

    Example:
        >>> from relgraph.bench.demo import make_ecommerce
        >>> tables = make_ecommerce(scale=0.05)
        >>> sorted(tables)
        ['customers', 'order_items', 'orders', 'products', 'reviews']
        >>> len(tables["customers"])
        250
    """
    if not scale > 0:
        raise ValueError(f"Expected make_ecommerce(scale=...) to be positive (got {scale!r}).")
    rng = np.random.default_rng(seed)
    span = int((END - START) / np.timedelta64(1, "s"))
    n_weeks = -(-span // WEEK)
    n_customers = max(1, round(5000 * scale))
    n_products = max(10, round(500 * scale**0.5))

    # Customers, numbered in signup order.
    signup = np.sort(rng.integers(0, span - 30 * DAY, n_customers))
    country = rng.choice(len(COUNTRIES), n_customers, p=COUNTRY_P)
    age = np.clip(np.rint(rng.normal(38.0, 12.0, n_customers)), 18, 85).astype(np.int64)
    segment = rng.choice(len(SEGMENTS), n_customers, p=SEGMENT_P)
    base_log_rate = np.log(0.4) + np.log(SEGMENT_RATE[segment]) + rng.normal(0.0, 0.5, n_customers)
    hazard_offset = -5.5 + SEGMENT_HAZARD[segment] + 0.015 * (40.0 - age)
    declines = rng.random(n_customers) < 0.35
    decline_start = signup / WEEK + rng.uniform(4.0, 130.0, n_customers)
    decline_slope = np.where(declines, rng.uniform(0.06, 0.2, n_customers), 0.0)
    preferred_channel = rng.choice(len(CHANNELS), n_customers, p=CHANNEL_P)

    products = _make_products(rng, n_products)
    sampler = _ProductSampler(products["category"], products["popularity"])
    favourite_category = rng.choice(sampler.categories, n_customers)
    quality = products["quality"]
    price = products["price"]

    alive = np.ones(n_customers, dtype=bool)
    rate_noise = rng.normal(0.0, 0.4, n_customers)
    bad_experience = np.zeros(n_customers)
    negative_reviews = np.zeros(n_customers)
    pending_negative = np.zeros(n_customers)
    weekly_orders: list[tuple[np.ndarray, ...]] = []
    weekly_items: list[tuple[np.ndarray, ...]] = []
    weekly_reviews: list[tuple[np.ndarray, ...]] = []
    n_orders_so_far = 0
    for week in range(n_weeks):
        period_start = week * WEEK
        period_end = min(period_start + WEEK, span)
        open_from = np.maximum(period_start, signup)
        exposure = np.clip((period_end - open_from) / WEEK, 0.0, 1.0)
        signed_up = signup < period_end

        decline = decline_slope * np.maximum(0.0, week - decline_start)
        rate_noise = 0.8 * rate_noise + rng.normal(0.0, 0.24, n_customers)
        logit = (
            hazard_offset
            + product_shock * np.minimum(bad_experience, 1.0)
            + 1.5 * negative_reviews
            + 0.5 * decline
        )
        churns = (rng.random(n_customers) < _sigmoid(logit)) & (signup < period_start)
        alive &= ~churns & (decline < 3.0)
        rate = np.exp(base_log_rate + rate_noise - decline) * exposure * (alive & signed_up)
        n_orders = rng.poisson(rate)

        # Orders of the week.
        customer = np.repeat(np.arange(n_customers), n_orders)
        n = len(customer)
        start = open_from[customer]
        ordered_at = start + (rng.random(n) * (period_end - start)).astype(np.int64)
        channel = np.where(
            rng.random(n) < 0.8, preferred_channel[customer], rng.integers(0, len(CHANNELS), n)
        )

        # Their items.
        n_items = 1 + rng.poisson(1.2, n)
        item_order = np.repeat(np.arange(n), n_items)
        item_customer = customer[item_order]
        m = len(item_order)
        u = rng.random(m)
        product = np.where(
            rng.random(m) < 0.6,
            sampler.within(favourite_category[item_customer], u),
            sampler.overall(u),
        )
        quantity = 1 + np.minimum(rng.poisson(0.25, m), 5)
        unit_price = np.round(price[product] * np.where(rng.random(m) < 0.15, 0.85, 1.0), 2)
        experience = quality[product] + rng.normal(0.0, 0.7, m)

        # Refunds follow the worst experience of the order.
        first_item = np.concatenate([[0], np.cumsum(n_items)[:-1]]) if n else np.zeros(0, int)
        worst = np.minimum.reduceat(experience, first_item) if n else np.zeros(0)
        refunded = rng.random(n) < np.where(worst < -1.5, 0.3, 0.02)

        # Reviews, a few days after the order.
        wrote = rng.random(m) < np.where(np.abs(experience) > 1.0, 0.2, 0.08)
        rating = np.clip(np.rint(3.5 + 1.1 * experience + rng.normal(0.0, 0.5, m)), 1, 5)
        rating = rating.astype(np.int64)
        delay = rng.integers(DAY // 2, 6 * DAY, m)
        text_choice = rng.integers(0, REVIEW_TEXTS.shape[1], m)
        reviewed_at = ordered_at[item_order] + delay
        wrote &= reviewed_at < span

        # Latent state for next weeks: bad experiences count from next week on,
        # a negative review (written within 6 days) from the week after.
        bad = np.maximum(0.0, -experience - 1.2)
        bad_experience = SHOCK_DECAY * bad_experience + np.bincount(
            item_customer, weights=bad, minlength=n_customers
        )
        negative_reviews = REVIEW_DECAY * negative_reviews + pending_negative
        pending_negative = np.bincount(
            item_customer[wrote & (rating <= 2)], minlength=n_customers
        ).astype(float)

        weekly_orders.append((customer, ordered_at, channel, refunded))
        weekly_items.append(
            (item_order + n_orders_so_far, product, quantity, unit_price, ordered_at[item_order])
        )
        weekly_reviews.append(
            (
                item_customer[wrote],
                product[wrote],
                reviewed_at[wrote],
                rating[wrote],
                text_choice[wrote],
            )
        )
        n_orders_so_far += n

    # Orders, numbered in time order.
    customer, ordered_at, channel, refunded = (
        np.concatenate(c) for c in zip(*weekly_orders, strict=True)
    )
    by_time = np.argsort(ordered_at, kind="stable")
    new_index = np.empty_like(by_time)
    new_index[by_time] = np.arange(len(by_time))
    item_order, product, quantity, unit_price, item_time = (
        np.concatenate(c) for c in zip(*weekly_items, strict=True)
    )
    item_order = new_index[item_order]
    item_sort = np.argsort(item_order, kind="stable")
    item_order, product, quantity, unit_price, item_time = (
        a[item_sort] for a in (item_order, product, quantity, unit_price, item_time)
    )
    amount = np.bincount(item_order, weights=quantity * unit_price, minlength=len(by_time))
    r_customer, r_product, reviewed_at, rating, text_choice = (
        np.concatenate(c) for c in zip(*weekly_reviews, strict=True)
    )
    r_sort = np.argsort(reviewed_at, kind="stable")
    r_customer, r_product, reviewed_at, rating, text_choice = (
        a[r_sort] for a in (r_customer, r_product, reviewed_at, rating, text_choice)
    )

    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1, dtype=np.int64),
            "signup_at": _timestamps(signup),
            "country": _labels(COUNTRIES, country),
            "age": age,
            "segment": _labels(SEGMENTS, segment),
        }
    )
    products_df = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1, dtype=np.int64),
            "category": _labels(CATEGORIES, products["category"]),
            "price": products["price"],
            "brand": _labels(BRANDS, products["brand"]),
            "name": _strings(products["name"]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, len(by_time) + 1, dtype=np.int64),
            "customer_id": customer[by_time].astype(np.int64) + 1,
            "ordered_at": _timestamps(ordered_at[by_time]),
            "amount": np.round(amount, 2),
            "channel": _labels(CHANNELS, channel[by_time]),
            "status": _labels(STATUSES, refunded[by_time].astype(np.int64)),
        }
    )
    order_items = pd.DataFrame(
        {
            "order_item_id": np.arange(1, len(item_order) + 1, dtype=np.int64),
            "order_id": item_order.astype(np.int64) + 1,
            "product_id": product.astype(np.int64) + 1,
            "quantity": quantity.astype(np.int64),
            "unit_price": unit_price,
            "ordered_at": _timestamps(item_time),
        }
    )
    reviews = pd.DataFrame(
        {
            "review_id": np.arange(1, len(r_customer) + 1, dtype=np.int64),
            "customer_id": r_customer.astype(np.int64) + 1,
            "product_id": r_product.astype(np.int64) + 1,
            "reviewed_at": _timestamps(reviewed_at),
            "rating": rating,
            "text": _labels(
                REVIEW_TEXTS.ravel(), (rating - 1) * REVIEW_TEXTS.shape[1] + text_choice
            ),
        }
    )
    return {
        "customers": customers,
        "products": products_df,
        "orders": orders,
        "order_items": order_items,
        "reviews": reviews,
    }
