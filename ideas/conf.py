"""Settings of the ideas app, each with a documented default.

Every value is read from ``django.conf.settings`` as ``IDEAS_<NAME>`` when it is used, so a
deployment overrides one line of its settings (or a test the ``settings`` fixture) without
touching this module. Use ``from ideas.conf import ideas_settings as conf`` then
``conf.TRENDING_DAYS``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # "Trending" ranks ideas by the supports they received in the last N days (the issue asks
    # for 7; Fider uses 30-day windows, CONSUL's hot_score 31 days).
    "TRENDING_DAYS": 7,
    # The shipped column of the roadmap shows the most recently shipped ideas only.
    "ROADMAP_SHIPPED_LIMIT": 12,
    # Per-column cap of the roadmap (planned, in progress): a roadmap is read, not scrolled.
    "ROADMAP_COLUMN_LIMIT": 50,
    # Similar ideas suggested while a member types a title.
    "SIMILAR_LIMIT": 5,
    "SIMILAR_MIN_CHARS": 3,
    # Official responses and release notes are Markdown, at most this long.
    "RESPONSE_MAX_LENGTH": 5000,
    # --- Vote integrity (staff report; nothing is discounted automatically) -----------------
    # Voters whose accounts were created the same day form a cohort; a cohort this large is
    # suspicious.
    "SUSPICIOUS_SAME_DAY_COHORT": 5,
    # Voters sharing one network (/24 IPv4, /48 IPv6): this many or more is suspicious.
    "SUSPICIOUS_SHARED_NETWORK": 3,
    # A "burst": this many supports or more within BURST_WINDOW_MINUTES.
    "SUSPICIOUS_BURST_VOTES": 10,
    "BURST_WINDOW_MINUTES": 60,
    # A vote is listed as suspicious from this many signals on (same-day cohort, single-idea
    # voter, shared network, part of a burst).
    "SUSPICIOUS_MIN_SIGNALS": 2,
}


class _IdeasSettings:
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, f"IDEAS_{name}", DEFAULTS[name])


ideas_settings = _IdeasSettings()
