"""Flag weights, review item scores, hide thresholds and the penalty ladder: pure functions.

No database and no Django settings here: callers pass a :class:`ScoringPolicy` (built from
``moderation.conf`` by :func:`policy_from_settings`), so the formulas can be tested and
benchmarked alone.

The formulas follow Discourse (``app/models/reviewable_score.rb``):

    flag weight = base (1.0)
                + the flagger's trust level (staff count as 5)
                + accuracy bonus
                + reason bonus (severe reasons: spam, abusive, illegal)

    accuracy bonus = 0 while the flagger has at most 5 resolved flags; then, with
                     p = agreed / (agreed + disagreed) and n = agreed + disagreed:
                     p >= 0.7:  ((p - 0.7) / 0.3) x 5 x log4(n)
                     p <  0.7: -((0.7 - p) / 0.7) x 5 x log4(n)

    item score = sum of the weights of its pending flags + a bonus for why it is queued
                 (held, re-check after an edit, appeal)

Unlike Discourse, a weight never drops below ``weight_floor`` (0 by default): a flagger with a
bad record counts for nothing instead of subtracting from other members' flags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScoringPolicy:
    base_weight: float = 1.0
    staff_trust_weight: float = 5.0
    accuracy_min_resolved: int = 5
    accuracy_pivot: float = 0.7
    accuracy_scale: float = 5.0
    accuracy_log_base: float = 4.0
    weight_floor: float = 0.0
    reason_bonus: Mapping[str, float] = field(default_factory=dict)
    kind_bonus: Mapping[str, float] = field(default_factory=dict)
    hide_score: float = 8.33
    hide_score_off_hours: float = 6.0


def policy_from_settings() -> ScoringPolicy:
    """Build the policy from the ``MODERATION_*`` settings (see ``moderation.conf``)."""
    from moderation.conf import moderation_settings as conf

    return ScoringPolicy(
        base_weight=float(conf.FLAG_BASE_WEIGHT),
        staff_trust_weight=float(conf.STAFF_TRUST_WEIGHT),
        accuracy_min_resolved=int(conf.ACCURACY_MIN_RESOLVED),
        accuracy_pivot=float(conf.ACCURACY_PIVOT),
        accuracy_scale=float(conf.ACCURACY_SCALE),
        accuracy_log_base=float(conf.ACCURACY_LOG_BASE),
        weight_floor=float(conf.FLAG_WEIGHT_FLOOR),
        reason_bonus=dict(conf.REASON_BONUS),
        kind_bonus=dict(conf.KIND_BONUS),
        hide_score=float(conf.HIDE_SCORE),
        hide_score_off_hours=float(conf.HIDE_SCORE_OFF_HOURS),
    )


def accuracy(agreed: int, disagreed: int) -> float | None:
    """Share of a flagger's resolved flags that moderators agreed with; None before any."""
    total = agreed + disagreed
    return None if total == 0 else agreed / total


def accuracy_bonus(agreed: int, disagreed: int, policy: ScoringPolicy) -> float:
    """Discourse's accuracy bonus (rounded to 2 decimals); see the module docstring."""
    total = agreed + disagreed
    if total <= policy.accuracy_min_resolved:
        return 0.0
    p = agreed / total
    pivot = policy.accuracy_pivot
    magnitude = policy.accuracy_scale * math.log(total, policy.accuracy_log_base)
    if p >= pivot:
        bonus = (p - pivot) / (1.0 - pivot) * magnitude
    else:
        bonus = -(pivot - p) / pivot * magnitude
    return round(bonus, 2)


def flag_weight(
    *,
    trust_level: int,
    is_staff: bool,
    agreed: int,
    disagreed: int,
    reason: str,
    policy: ScoringPolicy,
) -> float:
    """The weight one flag adds to its item's score."""
    trust = policy.staff_trust_weight if is_staff else float(trust_level)
    weight = (
        policy.base_weight
        + trust
        + accuracy_bonus(agreed, disagreed, policy)
        + float(policy.reason_bonus.get(reason, 0.0))
    )
    return round(max(policy.weight_floor, weight), 2)


def kind_bonus(kind: str, policy: ScoringPolicy) -> float:
    return float(policy.kind_bonus.get(kind, 0.0))


def item_score(weights: Iterable[float], kind: str, policy: ScoringPolicy) -> float:
    """An item's score: its pending flags' weights plus the bonus of why it is queued."""
    return round(sum(weights) + kind_bonus(kind, policy), 2)


def hide_threshold(*, on_duty: bool, policy: ScoringPolicy) -> float:
    """The score at which flagged content is hidden at once: lower when nobody is on duty."""
    return policy.hide_score if on_duty else policy.hide_score_off_hours


def crosses_hide_threshold(
    *, old_score: float, new_score: float, on_duty: bool, policy: ScoringPolicy
) -> bool:
    """True when this change takes the score from below the threshold to at or above it."""
    threshold = hide_threshold(on_duty=on_duty, policy=policy)
    return old_score < threshold <= new_score


def suggested_penalty_hours(prior_offences: int, ladder: Sequence[int]) -> int | None:
    """The ladder's step for a member with ``prior_offences`` recent sanctions (0 → first
    step; past the end, the last step). None when the ladder is empty."""
    if not ladder:
        return None
    return int(ladder[min(max(prior_offences, 0), len(ladder) - 1)])
