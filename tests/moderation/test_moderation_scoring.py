"""moderation.scoring: Discourse's flag weights and item scores. Pure functions, no database."""

from __future__ import annotations

import math

import pytest

from moderation import scoring

POLICY = scoring.ScoringPolicy(
    reason_bonus={"illegal": 3.0, "abusive": 1.0, "spam": 1.0},
    kind_bonus={"flagged": 0.0, "held": 1.0, "recheck": 3.0, "appeal": 10.0},
)


def weight(trust_level=1, *, staff=False, agreed=0, disagreed=0, reason="off_topic"):
    return scoring.flag_weight(
        trust_level=trust_level,
        is_staff=staff,
        agreed=agreed,
        disagreed=disagreed,
        reason=reason,
        policy=POLICY,
    )


@pytest.mark.parametrize(("trust_level", "expected"), [(0, 1.0), (1, 2.0), (2, 3.0), (4, 5.0)])
def test_flag_weighs_one_plus_trust_level(trust_level, expected):
    assert weight(trust_level) == expected


def test_staff_flag_weighs_as_trust_level_five_whatever_their_level():
    assert weight(2, staff=True) == 6.0


def test_accuracy_bonus_is_zero_until_more_than_five_resolved_flags():
    assert scoring.accuracy_bonus(5, 0, POLICY) == 0.0
    assert scoring.accuracy_bonus(0, 5, POLICY) == 0.0
    assert scoring.accuracy_bonus(6, 0, POLICY) > 0


def test_accuracy_bonus_for_a_perfect_flagger_is_five_log4_of_total():
    assert scoring.accuracy_bonus(6, 0, POLICY) == round(5 * math.log(6, 4), 2)  # 6.46
    assert scoring.accuracy_bonus(16, 0, POLICY) == 10.0


def test_accuracy_bonus_is_zero_at_the_seventy_percent_pivot():
    assert scoring.accuracy_bonus(7, 3, POLICY) == 0.0


def test_accuracy_bonus_is_negative_below_seventy_percent():
    # p = 0.5, n = 16: -((0.7 - 0.5) / 0.7) * 5 * log4(16) = -2.857
    assert scoring.accuracy_bonus(8, 8, POLICY) == -2.86
    # p = 0, n = 10: -5 * log4(10)
    assert scoring.accuracy_bonus(0, 10, POLICY) == round(-5 * math.log(10, 4), 2)


def test_a_bad_flaggers_weight_stops_at_the_floor_instead_of_going_negative():
    assert weight(1, agreed=0, disagreed=10) == 0.0


def test_severe_reasons_add_their_bonus():
    assert weight(1, reason="spam") == 3.0
    assert weight(1, reason="illegal") == 5.0
    assert weight(1, reason="off_topic") == 2.0


def test_item_score_sums_weights_and_adds_the_kind_bonus():
    assert scoring.item_score([2.0, 2.0, 2.0], "flagged", POLICY) == 6.0
    assert scoring.item_score([2.0, 2.0, 2.0], "appeal", POLICY) == 16.0
    assert scoring.item_score([], "held", POLICY) == 1.0


def test_hide_threshold_is_lower_outside_coverage_hours():
    on = scoring.hide_threshold(on_duty=True, policy=POLICY)
    off = scoring.hide_threshold(on_duty=False, policy=POLICY)
    assert off < on
    assert (on, off) == (8.33, 6.0)


def test_three_basic_flags_hide_off_hours_but_not_on_duty():
    three = scoring.item_score([weight(1)] * 3, "flagged", POLICY)
    assert three >= scoring.hide_threshold(on_duty=False, policy=POLICY)
    assert three < scoring.hide_threshold(on_duty=True, policy=POLICY)
    assert scoring.crosses_hide_threshold(
        old_score=4.0, new_score=three, on_duty=False, policy=POLICY
    )
    assert not scoring.crosses_hide_threshold(
        old_score=6.0, new_score=8.0, on_duty=False, policy=POLICY
    )


@pytest.mark.parametrize(
    ("prior", "hours"), [(0, 24), (1, 72), (2, 168), (3, 720), (9, 720), (-1, 24)]
)
def test_penalty_ladder_suggests_the_next_step_for_repeat_offences(prior, hours):
    assert scoring.suggested_penalty_hours(prior, [24, 72, 168, 720]) == hours


def test_penalty_ladder_suggests_nothing_when_empty():
    assert scoring.suggested_penalty_hours(2, []) is None


def test_policy_reads_the_moderation_settings(settings):
    settings.MODERATION_HIDE_SCORE_OFF_HOURS = 4.5
    settings.MODERATION_REASON_BONUS = {"spam": 2.0}
    policy = scoring.policy_from_settings()
    assert policy.hide_score_off_hours == 4.5
    assert policy.reason_bonus == {"spam": 2.0}
    assert policy.staff_trust_weight == 5.0
