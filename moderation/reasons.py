"""Moderation's system reasons (see ``community.reasons``): why the system held, hid, queued,
escalated or sanctioned, as codes put into words in the reader's language when shown.

Imported by ``moderation.models``, so the codes are known wherever the app is installed. A
code, once stored, is a contract: rename one only with a data migration."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.reasons import register

HIDDEN_BY_FLAGS = register(
    "hidden_by_flags", gettext_noop("Hidden by the community's flags, pending review.")
)
WATCHED_WORD_HOLD = register(
    "watched_word_hold", gettext_noop("Held for review: it contains a watched word.")
)
# The word is a parameter: it is the community's text, never translated.
WATCHED_WORD_FLAG = register(
    "watched_word_flag", gettext_noop("Contains a watched word: “%(word)s”.")
)
WATCHED_WORD_REPLACED = register("watched_word_replaced", gettext_noop("Watched word replaced."))
SPAM_LINKS = register(
    "spam_links",
    gettext_noop("Held for review: new members' posts with more than %(max)d links are checked."),
)
SPAM_DUPLICATE = register(
    "spam_duplicate",
    gettext_noop("Held for review: the same text was posted %(count)d times."),
)
PROBATION = register(
    "probation",
    gettext_noop("Held for review: your posts are reviewed during your probation."),
)
AUTHOR_EDITED_HIDDEN = register(
    "author_edited_hidden", gettext_noop("The author edited the hidden post.")
)
ESCALATED = register("escalated", gettext_noop("Waiting for more than %(hours)d hours."))
AUTO_SILENCE = register(
    "auto_silence",
    gettext_noop(
        "Silenced automatically: %(count)d of your posts were hidden by the community's "
        "flags within a day. A moderator will review them."
    ),
)
APPEAL_GRANTED = register("appeal_granted", gettext_noop("Appeal granted."))
