"""Pure ranking formulas for topics and posts. No database, no Django.

Hot (time-decayed) score, as popularised by Reddit::

    hot = sign(s) * log10(max(|s|, 1)) + (t - EPOCH) / DECAY_SECONDS

where ``s`` is the net score (up minus down), ``t`` the creation time in Unix seconds,
``EPOCH`` = 2024-01-01T00:00:00Z and ``DECAY_SECONDS`` = 45,000 s = 12.5 h. One order of
magnitude of votes (10 → 100) is worth the same as being posted 12.5 h later, so a new
topic needs ten times the votes to outrank one from half a day earlier.

Why this form rather than a "gravity" formula such as ``s / (age + 2) ** 1.8``: the
time term depends on the creation time, not on *now*, so the score only changes when a
vote is cast. It can be stored in a column, indexed and sorted by the database, instead
of being recomputed for every row on every page view. Ordering between two items never
changes as time passes; newer items simply start higher.

Wilson score lower bound (for "best" ordering of replies): the lower end of the Wilson
score interval for the proportion of up-votes, at confidence ``z`` (1.96 ≈ 95 %)::

    p = up / n,  n = up + down
    (p + z²/2n - z * sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)

It ranks 1 up / 0 down below 100 up / 5 down, which a plain ratio would not. 0 votes
gives 0.0.

Top-period windows: ``top_period_start`` maps "day", "week", "month", "year" to a fixed
length look-back (1, 7, 30, 365 days) from ``now``; "all" means no lower bound.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

__all__ = [
    "DECAY_SECONDS",
    "EPOCH",
    "TOP_PERIODS",
    "hot_score",
    "top_period_start",
    "wilson_lower_bound",
]

#: Fixed origin of the time term. Changing it shifts every stored hot score by the same
#: amount (ordering is preserved), but stored and fresh scores must use the same value.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

#: Seconds of age worth one order of magnitude of net votes (12.5 hours).
DECAY_SECONDS = 45_000

#: Look-back length of each "top" period; ``None`` means unbounded.
TOP_PERIODS: dict[str, timedelta | None] = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
    "all": None,
}


def hot_score(score: int, created_at: datetime) -> float:
    """Time-decayed score; higher is hotter. Monotone in time, so it can be stored.

    ``created_at`` must be timezone-aware (Django's ``USE_TZ`` datetimes are); a naive
    datetime raises ``ValueError`` rather than being silently read as local time.
    Recompute and store it whenever the net ``score`` changes.
    """
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("created_at must be timezone-aware")
    order = math.log10(max(abs(score), 1))
    sign = (score > 0) - (score < 0)
    seconds = (created_at - EPOCH).total_seconds()
    return sign * order + seconds / DECAY_SECONDS


def wilson_lower_bound(up: int, down: int, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval for the up-vote proportion, in [0, 1].

    Returns 0.0 when there are no votes. Negative counts raise ``ValueError``.
    """
    if up < 0 or down < 0:
        raise ValueError("vote counts must be non-negative")
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
    return max(0.0, (centre - margin) / (1 + z2 / n))


def top_period_start(period: str, now: datetime) -> datetime | None:
    """Start of the "top of <period>" window ending at ``now``; ``None`` for "all".

    Raises ``ValueError`` for an unknown period (validate user input against
    :data:`TOP_PERIODS` first if you want a 404 rather than a 500).
    """
    try:
        length = TOP_PERIODS[period]
    except KeyError:
        raise ValueError(f"unknown top period {period!r}") from None
    return None if length is None else now - length
