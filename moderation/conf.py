"""Moderation settings, each with a documented default.

Every value is read from ``django.conf.settings`` as ``MODERATION_<NAME>`` at the moment it is
used, so a deployment overrides one line in its settings (or a test uses the ``settings``
fixture) without touching this module. ``docs/moderation.md`` explains the policy behind the
numbers; most of them are Discourse's defaults (``config/site_settings.yml``,
``app/models/reviewable_score.rb``).

Use ``from moderation.conf import moderation_settings as conf`` then ``conf.HIDE_SCORE``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # --- Flags ---------------------------------------------------------------------------------
    # Lowest trust level allowed to flag (staff roles always may).
    "MIN_TRUST_TO_FLAG": 1,
    # Flags a member may raise per day, by trust level (Discourse: 20 a day; Stack Exchange:
    # 10 a day rising with good flagging). Staff roles have no limit.
    "DAILY_FLAG_LIMITS": {0: 5, 1: 10, 2: 20, 3: 30, 4: 50},
    "FLAG_NOTE_MAX_LENGTH": 1000,
    # --- Scoring (Discourse's ReviewableScore) ---------------------------------------------------
    # A flag weighs FLAG_BASE_WEIGHT + the flagger's trust level (staff: STAFF_TRUST_WEIGHT)
    # + the accuracy bonus + the reason bonus, never less than FLAG_WEIGHT_FLOOR.
    "FLAG_BASE_WEIGHT": 1.0,
    "STAFF_TRUST_WEIGHT": 5.0,
    # The accuracy bonus counts once a flagger has MORE than this many resolved flags.
    "ACCURACY_MIN_RESOLVED": 5,
    "ACCURACY_PIVOT": 0.7,
    "ACCURACY_SCALE": 5.0,
    "ACCURACY_LOG_BASE": 4.0,
    # Discourse lets a bad flagger's weight go negative; we stop at zero so that a troll's flag
    # counts for nothing instead of cancelling somebody else's.
    "FLAG_WEIGHT_FLOOR": 0.0,
    # Bonus per flag for severe reasons.
    "REASON_BONUS": {"illegal": 3.0, "abusive": 1.0, "spam": 1.0},
    # Bonus added once to an item's score by why it is in the queue.
    "KIND_BONUS": {"flagged": 0.0, "held": 1.0, "watched": 2.0, "recheck": 3.0, "appeal": 10.0},
    # --- Safety nets ---------------------------------------------------------------------------
    # Auto-hide threshold while moderators are on duty: Discourse's typical "high" priority
    # score (12.5) x the medium hide sensitivity (6/9) = 8.33.
    "HIDE_SCORE": 8.33,
    # ... and outside coverage hours: Discourse's documented "3 TL1 or 2 TL2 flags hide a post".
    "HIDE_SCORE_OFF_HOURS": 6.0,
    # A member with this many posts hidden by flags within 24 h is silenced automatically
    # (Discourse: num_users_to_silence_new_user = 3); 0 turns it off.
    "AUTO_SILENCE_HIDDEN_POSTS": 3,
    "AUTO_SILENCE_HOURS": 24,
    # Coverage hours used while an administrator has not set any (weekday 0 = Monday):
    # {weekday: [("HH:MM", "HH:MM"), ...]}. An empty dict means nobody is ever on duty.
    "DEFAULT_COVERAGE": {day: [("09:00", "18:00")] for day in range(5)},
    # --- Queue ---------------------------------------------------------------------------------
    # Items pending longer than this are escalated to every moderator (Discourse: 48 h).
    "ESCALATE_AFTER_HOURS": 48,
    # A claim lapses after this long without a decision, so an abandoned claim blocks nobody.
    "CLAIM_MINUTES": 60,
    "QUEUE_PAGE_SIZE": 50,
    # --- Holding before publication --------------------------------------------------------------
    # Trust-level-0 posts with more links than this are held (Discourse: new users 2 links).
    "SPAM_NEW_MEMBER_MAX_LINKS": 2,
    # Trust level under which the link rule applies (0 = only new members).
    "SPAM_LINK_RULE_MAX_TRUST": 0,
    # The same text posted this many times within the window is held (the last copy).
    "SPAM_DUPLICATE_POSTS": 3,
    "SPAM_DUPLICATE_WINDOW_HOURS": 24,
    # --- Watched words -------------------------------------------------------------------------
    "WATCHED_WORD_MAX_PATTERN_LENGTH": 200,
    # Every quantifier of a regular expression rule is bounded by this (``+`` becomes {1,50}).
    "WATCHED_WORD_MAX_REPEAT": 50,
    # --- Sanctions -----------------------------------------------------------------------------
    # Suggested penalty ladder in hours (Discourse's penalty_step_hours): 24 h, 72 h, 7 d, 30 d.
    "PENALTY_LADDER_HOURS": [24, 72, 168, 720],
    # Sanctions older than this no longer count as prior offences for the ladder.
    "PENALTY_MEMORY_DAYS": 365,
    # Warnings decay: they stop counting (and leave the member's active record) after this.
    "WARNING_DECAY_DAYS": 180,
    "PROBATION_DEFAULT_DAYS": 14,
    # --- Transparency --------------------------------------------------------------------------
    # True: authors read "the moderation team" instead of the moderator's name.
    "ATTRIBUTE_TO_ROLE": True,
    # --- Staff queue ---------------------------------------------------------------------------
    # Name of the group that receives "needs an official answer" flags by default.
    "DEFAULT_BRAND_TEAM": "Brand staff",
    # First-official-answer target, in hours, from the request.
    "OFFICIAL_ANSWER_TARGET_HOURS": 24,
}


class ModerationSettings:
    """Attribute access to the moderation settings: ``conf.HIDE_SCORE``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"unknown moderation setting {name!r}")
        return getattr(settings, f"MODERATION_{name}", DEFAULTS[name])


moderation_settings = ModerationSettings()
