"""A synthetic clinical-trials registry with planted, learnable signal.

Three tables:

- ``studies`` (``study_id`` like ``'NCT-4401'``; time column ``started_at``):
  ``phase`` (``'Phase 1'`` .. ``'Phase 3'``), ``condition``, ``institution``
  (the lead site's), ``country``, ``enrolled`` (the sum over its sites),
  ``target`` (target enrollment).
- ``sites`` (``site_id`` like ``'SITE-01'``; ``activated_at``; FK
  ``study_id``): ``institution``, ``country``, ``enrolled``.
- ``outcomes`` (``outcome_id`` like ``'OUT-01'``; ``reported_at``; FK
  ``site_id``): ``endpoint`` (``'primary'``, ``'safety'``, ``'secondary'``),
  ``result`` (``'Positive'``, ``'Negative'``, ``'Inconclusive'``).

The first rows are written by hand (the README's example): studies
``NCT-4401`` .. ``NCT-4403``, sites ``SITE-01`` .. ``SITE-05``, outcomes
``OUT-01`` .. ``OUT-05``. ``NCT-4403`` has a site but no outcome yet, and the
primary endpoint of ``SITE-03`` (study ``NCT-4402``) is ``'Negative'``.
Generated rows follow, their IDs continuing the same formats in time order
(``NCT-4404``, ``SITE-06``, ``OUT-06``, ...): 2,000 studies at ``scale=1``
(linear in ``scale``), started 2015-01-01 .. 2025-03-31, with 1-6 sites each
(at most 3 in Phase 1) and 0-4 outcomes per site. Outcomes are reported
200-900 days after a site's activation; those due after 2025-06-30 are not
reported yet, so recent studies have few or none.

Planted signal: each outcome's result comes from a score that adds
- the ``phase`` (Phase 3 best, Phase 2 worst) and the ``condition``
  (cancers and brain diseases are hard),
- enrollment against ``target`` (the study's ``enrolled / target``),
- a latent efficacy of the study's treatment, shared by all its sites (so a
  site's result informs its sibling sites': a two-hop signal),
- site-level features: the latent quality of the site's institution (which
  recurs across studies), the site's activation delay after the study start
  (late sites do worse) and its size (small sites are more often
  ``'Inconclusive'``),
- the ``endpoint`` (safety endpoints succeed most often), and noise.
A score above a band is ``'Positive'``, below it ``'Negative'``, inside it
``'Inconclusive'``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["make_trials"]

# Dates as whole days since 1970-01-01.
FIRST_START = int(np.datetime64("2015-01-01", "D").astype(np.int64))
LAST_START = int(np.datetime64("2025-04-01", "D").astype(np.int64))  # exclusive
SNAPSHOT = int(np.datetime64("2025-07-01", "D").astype(np.int64))  # exclusive: nothing later

PHASES = np.array(["Phase 1", "Phase 2", "Phase 3"])
PHASE_P = np.array([0.3, 0.4, 0.3])
PHASE_EFFECT = np.array([0.0, -0.5, 0.5])
PHASE_TARGET = np.array([[20, 80], [80, 400], [300, 3000]])  # log-uniform range per phase
CONDITIONS = np.array(
    [
        "Type 2 diabetes",
        "Hypertension",
        "Breast cancer",
        "Lung cancer",
        "Asthma",
        "Alzheimer disease",
        "Rheumatoid arthritis",
        "Major depression",
        "Heart failure",
        "Migraine",
        "COPD",
        "Psoriasis",
    ]
)
CONDITION_EFFECT = np.array([0.4, 0.5, -0.6, -0.8, 0.3, -1.0, 0.1, -0.4, -0.2, 0.3, 0.0, 0.5])
ENDPOINTS = np.array(["primary", "safety", "secondary"])
ENDPOINT_EFFECT = np.array([0.0, 0.6, 0.2])
RESULTS = np.array(["Positive", "Negative", "Inconclusive"])

CITIES = np.array(
    [
        ["Riverton", "US"],
        ["Maplewood", "US"],
        ["Cedar Falls", "US"],
        ["Brookhaven", "US"],
        ["Fairview", "US"],
        ["Oakridge", "US"],
        ["Hamelin", "DE"],
        ["Lindenau", "DE"],
        ["Rosenfeld", "DE"],
        ["Montclair", "FR"],
        ["Beaulieu", "FR"],
        ["Valmont", "FR"],
        ["Ashford", "GB"],
        ["Kingsbridge", "GB"],
        ["Whitmore", "GB"],
        ["Solara", "ES"],
        ["Montalba", "ES"],
        ["Vellano", "IT"],
        ["Castelmare", "IT"],
        ["Zuiderveen", "NL"],
        ["Nordvik", "SE"],
        ["Kastell", "AT"],
        ["Lakemont", "CA"],
        ["Port Avery", "CA"],
    ]
)
INSTITUTION_KINDS = np.array(
    [
        "University Hospital",
        "Medical Center",
        "Clinical Research",
        "Cancer Institute",
        "Heart Center",
        "General Hospital",
        "Research Clinic",
        "Trial Unit",
    ]
)

SEED_STUDIES = pd.DataFrame(
    {
        "study_id": ["NCT-4401", "NCT-4402", "NCT-4403"],
        "phase": ["Phase 2", "Phase 3", "Phase 1"],
        "condition": ["Type 2 diabetes", "Hypertension", "Breast cancer"],
        "institution": [
            "Northlake University Hospital",
            "Rhine Medical Center",
            "Saint Aurelia Clinic",
        ],
        "country": ["US", "DE", "FR"],
        "enrolled": [180, 420, 24],
        "target": [200, 600, 40],
        "started_at": pd.to_datetime(["2021-03-15", "2021-09-01", "2022-06-20"]),
    }
)
SEED_SITES = pd.DataFrame(
    {
        "site_id": ["SITE-01", "SITE-02", "SITE-03", "SITE-04", "SITE-05"],
        "study_id": ["NCT-4401", "NCT-4401", "NCT-4402", "NCT-4402", "NCT-4403"],
        "institution": [
            "Northlake University Hospital",
            "Lakeside Clinical Research",
            "Rhine Medical Center",
            "Alpine Trial Unit",
            "Saint Aurelia Clinic",
        ],
        "country": ["US", "US", "DE", "AT", "FR"],
        "enrolled": [110, 70, 250, 170, 24],
        "activated_at": pd.to_datetime(
            ["2021-04-01", "2021-05-10", "2021-10-01", "2021-11-15", "2022-07-01"]
        ),
    }
)
SEED_OUTCOMES = pd.DataFrame(
    {
        "outcome_id": ["OUT-01", "OUT-02", "OUT-03", "OUT-04", "OUT-05"],
        "site_id": ["SITE-01", "SITE-01", "SITE-02", "SITE-03", "SITE-04"],
        "endpoint": ["primary", "safety", "secondary", "primary", "secondary"],
        "result": ["Positive", "Positive", "Inconclusive", "Negative", "Positive"],
        "reported_at": pd.to_datetime(
            ["2022-04-01", "2022-05-01", "2022-06-15", "2022-09-30", "2022-11-20"]
        ),
    }
)


def _labels(names: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[codes]`` as a string array, without a Python object per row."""
    taken = pa.array(names.tolist(), type=pa.string()).take(pa.array(codes, type=pa.int64()))
    return pd.array(taken, dtype="str")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """``prefix`` followed by each number, zero-padded to at least ``width`` digits."""
    return prefix + pd.Series(numbers, dtype=np.int64).astype("str").str.zfill(width)


def _timestamps(days: np.ndarray) -> np.ndarray:
    """Days after the epoch to ``datetime64[us]`` (midnight)."""
    return (days.astype(np.int64) * 86_400_000_000).astype("datetime64[us]")


def _group_sum(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n_groups)


def make_trials(scale: float = 1.0, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Generate the clinical-trials demo database.

    See the module docstring for the tables, the hand-written seed rows and
    the planted signal.

    Args:
        scale (float): Size factor; 1.0 gives the 3 seed studies plus 2,000
            generated ones (about 6,000 sites and 10,000 outcomes); sizes grow
            linearly. (default: ``1.0``)
        seed (int): Seed of :func:`numpy.random.default_rng`; the same
            ``(scale, seed)`` gives identical tables. (default: ``0``)

    Returns:
        dict[str, pandas.DataFrame]: ``studies``, ``sites`` and ``outcomes``.

    Raises:
        ValueError: If ``scale`` is negative.

    Example:
        >>> from relgraph.bench.demo import make_trials
        >>> tables = make_trials(scale=0.01)
        >>> tables["studies"]["study_id"].head(4).tolist()
        ['NCT-4401', 'NCT-4402', 'NCT-4403', 'NCT-4404']
        >>> "NCT-4403" in set(tables["sites"].merge(tables["outcomes"])["study_id"])
        False
    """
    if not scale >= 0:
        raise ValueError(f"Expected make_trials(scale=...) to be >= 0 (got {scale!r}).")
    rng = np.random.default_rng(seed)
    n_studies = round(2000 * scale)

    # Institutions: a fixed pool of names, each with a country and a latent quality.
    city = np.repeat(np.arange(len(CITIES)), len(INSTITUTION_KINDS))
    kind = np.tile(np.arange(len(INSTITUTION_KINDS)), len(CITIES))
    pool = rng.permutation(len(city))[: max(20, min(len(city), round(60 * (1 + scale) ** 0.5)))]
    institution_name = np.char.add(
        np.char.add(CITIES[city[pool], 0], " "), INSTITUTION_KINDS[kind[pool]]
    )
    institution_country = CITIES[city[pool], 1]
    institution_quality = rng.normal(0.0, 0.7, len(pool))
    institution_popularity = rng.lognormal(0.0, 0.8, len(pool))
    institution_p = institution_popularity / institution_popularity.sum()

    # Studies, in start order.
    started = np.sort(rng.integers(FIRST_START, LAST_START, n_studies))
    phase = rng.choice(len(PHASES), n_studies, p=PHASE_P)
    condition = rng.integers(0, len(CONDITIONS), n_studies)
    low, high = np.log(PHASE_TARGET[phase, 0]), np.log(PHASE_TARGET[phase, 1])
    target = np.rint(np.exp(rng.uniform(low, high))).astype(np.int64)
    fill = np.clip(rng.beta(6.0, 2.0, n_studies) * 1.15, 0.2, 1.25)
    efficacy = rng.normal(0.0, 0.8, n_studies)
    n_sites = np.where(phase == 0, rng.integers(1, 4, n_studies), rng.integers(1, 7, n_studies))

    # Sites: the first one is the lead institution's, activated within a month;
    # sites planned after the snapshot do not exist yet.
    site_study = np.repeat(np.arange(n_studies), n_sites)
    first_site = np.zeros(len(site_study), dtype=bool)
    first_site[np.cumsum(n_sites) - n_sites] = True
    site_institution = rng.choice(len(pool), len(site_study), p=institution_p)
    lag = np.where(
        first_site,
        rng.integers(0, 30, len(site_study)),
        np.rint(rng.exponential(100.0, len(site_study))),
    ).astype(np.int64)
    site_weight = rng.gamma(2.0, 1.0, len(site_study))
    share = site_weight / _group_sum(site_study, site_weight, n_studies)[site_study]
    site_enrolled = np.maximum(1, np.rint(share * (target * fill)[site_study])).astype(np.int64)
    lead_institution = site_institution[first_site]
    exists = started[site_study] + lag < SNAPSHOT
    site_study, site_institution, lag, site_enrolled = (
        a[exists] for a in (site_study, site_institution, lag, site_enrolled)
    )
    n_site_rows = len(site_study)
    activated = started[site_study] + lag
    enrolled = np.bincount(site_study, weights=site_enrolled, minlength=n_studies).astype(np.int64)

    # Outcomes: the first is the primary endpoint, then safety, then secondary ones.
    n_outcomes = rng.integers(0, 5, n_site_rows)
    outcome_site = np.repeat(np.arange(n_site_rows), n_outcomes)
    rank = np.arange(len(outcome_site)) - np.repeat(np.cumsum(n_outcomes) - n_outcomes, n_outcomes)
    endpoint = np.minimum(rank, 2)
    reported = activated[outcome_site] + rng.integers(200, 900, len(outcome_site)) + 60 * rank
    o_study = site_study[outcome_site]
    score = (
        0.3
        + PHASE_EFFECT[phase[o_study]]
        + CONDITION_EFFECT[condition[o_study]]
        + 2.0 * (np.minimum(enrolled / target, 1.2)[o_study] - 0.8)
        + efficacy[o_study]
        + institution_quality[site_institution[outcome_site]]
        - 0.006 * np.maximum(lag[outcome_site] - 30.0, 0.0)
        + ENDPOINT_EFFECT[endpoint]
        + rng.logistic(0.0, 0.5, len(outcome_site))
    )
    band = np.where(site_enrolled[outcome_site] < 15, 1.0, 0.4)
    result = np.where(score > band, 0, np.where(score < -band, 1, 2))
    visible = reported < SNAPSHOT
    site_sort = np.argsort(activated, kind="stable")
    site_rank = np.empty_like(site_sort)
    site_rank[site_sort] = np.arange(n_site_rows)
    outcome_sort = np.flatnonzero(visible)[np.argsort(reported[visible], kind="stable")]

    n_seed = len(SEED_STUDIES), len(SEED_SITES), len(SEED_OUTCOMES)
    study_ids = _ids("NCT-", 4401 + n_seed[0] + np.arange(n_studies), 4)
    site_ids = _ids("SITE-", 1 + n_seed[1] + np.arange(n_site_rows), 2)
    studies = pd.DataFrame(
        {
            "study_id": study_ids,
            "phase": _labels(PHASES, phase),
            "condition": _labels(CONDITIONS, condition),
            "institution": _labels(institution_name, lead_institution),
            "country": _labels(institution_country, lead_institution),
            "enrolled": enrolled,
            "target": target,
            "started_at": _timestamps(started),
        }
    )
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "study_id": study_ids.array.take(site_study[site_sort]),
            "institution": _labels(institution_name, site_institution[site_sort]),
            "country": _labels(institution_country, site_institution[site_sort]),
            "enrolled": site_enrolled[site_sort],
            "activated_at": _timestamps(activated[site_sort]),
        }
    )
    outcomes = pd.DataFrame(
        {
            "outcome_id": _ids("OUT-", 1 + n_seed[2] + np.arange(len(outcome_sort)), 2),
            "site_id": site_ids.array.take(site_rank[outcome_site[outcome_sort]]),
            "endpoint": _labels(ENDPOINTS, endpoint[outcome_sort]),
            "result": _labels(RESULTS, result[outcome_sort]),
            "reported_at": _timestamps(reported[outcome_sort]),
        }
    )
    return {
        "studies": _with_seed_rows(SEED_STUDIES, studies),
        "sites": _with_seed_rows(SEED_SITES, sites),
        "outcomes": _with_seed_rows(SEED_OUTCOMES, outcomes),
    }


def _with_seed_rows(seed_rows: pd.DataFrame, generated: pd.DataFrame) -> pd.DataFrame:
    seed_rows = seed_rows.astype(generated.dtypes.to_dict())
    return pd.concat([seed_rows, generated], ignore_index=True)
