"""The sentence that says what a notification is about, in the active language.

Shared by the notifications page, the bell and the e-mails (which activate the member's
language first), so that the three always say the same thing."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community import reasons
from notifications.models import Notification, NotificationKind


def _label(module: str, choices: str, value: str) -> str:
    """The translated label of a choice of another app (the raw value if unknown)."""
    from importlib import import_module

    try:
        return str(getattr(import_module(module), choices)(value).label)
    except (ImportError, AttributeError, ValueError):
        return value


def _outcome(value: str) -> str:
    labels = {
        "agreed": _("the moderators agreed and acted"),
        "disagreed": _("the moderators found nothing wrong"),
        "ignored": _("no action for now"),
        "granted": _("granted"),
        "denied": _("denied"),
    }
    return labels.get(value, value or _("decided"))


def _actor(notification: Notification) -> str:
    return notification.actor_name or _("Someone")


def describe(notification: Notification, *, count: int = 1) -> str:
    """One sentence; ``count`` > 1 describes a group of notifications like this one."""
    data = notification.data or {}
    kind = notification.kind
    values = {
        "actor": _actor(notification),
        "title": data.get("title") or _("a topic"),
        "category": data.get("category", ""),
        "count": count,
    }
    if kind == NotificationKind.REPLY:
        if count > 1:
            return (
                ngettext(
                    "%(count)d new reply to you in “%(title)s”",
                    "%(count)d new replies to you in “%(title)s”",
                    count,
                )
                % values
            )
        return _("%(actor)s replied to you in “%(title)s”") % values
    if kind == NotificationKind.POSTED:
        if count > 1:
            return (
                ngettext(
                    "%(count)d new post in “%(title)s”", "%(count)d new posts in “%(title)s”", count
                )
                % values
            )
        return _("%(actor)s posted in “%(title)s”") % values
    if kind == NotificationKind.MENTION:
        return _("%(actor)s mentioned you in “%(title)s”") % values
    if kind == NotificationKind.QUOTE:
        return _("%(actor)s quoted you in “%(title)s”") % values
    if kind == NotificationKind.NEW_TOPIC:
        return _("%(actor)s started “%(title)s” in %(category)s") % values
    if kind == NotificationKind.UPVOTES:
        milestone = int(data.get("milestone") or 1)
        if milestone == 1:
            return _("%(actor)s up-voted your post in “%(title)s”") % values
        return _("Your post in “%(title)s” reached %(milestone)d up-votes") % {
            **values,
            "milestone": milestone,
        }
    if kind == NotificationKind.ANSWER_ACCEPTED:
        return _("%(actor)s accepted your answer in “%(title)s”") % values
    if kind == NotificationKind.OFFICIAL_ANSWER:
        return _("%(actor)s answered officially in “%(title)s”") % values
    if kind == NotificationKind.IDEA_STATUS:
        if data.get("merged_into"):
            return _("The idea “%(title)s” was merged into “%(target)s”") % {
                **values,
                "target": data["merged_into"],
            }
        return _("The idea “%(title)s” is now: %(status)s") % {
            **values,
            "status": _label("ideas.models", "IdeaStatus", data.get("status", "")),
        }
    if kind == NotificationKind.CHALLENGE:
        return _("Challenge “%(title)s”: %(phase)s") % {
            **values,
            "phase": _label("ideas.models", "ChallengePhase", data.get("phase", "")),
        }
    if kind == NotificationKind.CONTENT_MODERATED:
        state = data.get("new_state")
        if state == "hidden":
            return _("Your post in “%(title)s” was hidden by moderation") % values
        if state == "removed":
            return _("Your post in “%(title)s” was removed by moderation") % values
        if state == "visible" and data.get("old_state") == "held":
            return _("Your post in “%(title)s” was approved: everyone can see it now") % values
        if state == "visible":
            return _("Your post in “%(title)s” is visible again") % values
        return _("A moderator reviewed your post in “%(title)s”") % values
    if kind == NotificationKind.FLAG_RESOLVED:
        return _("Your flag on “%(title)s” was reviewed: %(outcome)s") % {
            **values,
            "outcome": _outcome(data.get("outcome", "")),
        }
    if kind == NotificationKind.APPEAL_DECIDED:
        if data.get("outcome") == "granted":
            return _("Your appeal was granted")
        if data.get("outcome") == "denied":
            return _("Your appeal was denied")
        return _("Your appeal was reviewed")
    if kind == NotificationKind.SANCTION:
        return _sanction(data)
    if kind == NotificationKind.QUEUE:
        return _queue(data, values, count)
    if kind == NotificationKind.INSIGHTS_ALERT:
        return _insights_alert(data)
    if kind == NotificationKind.WEBHOOK:
        return _("The webhook endpoint “%(endpoint)s” was disabled after repeated failures") % {
            "endpoint": data.get("endpoint", "")
        }
    return _("New notification")


def detail(notification: Notification) -> str:
    """The secondary line: an excerpt of the post, or the reason moderation gave (a system
    reason in the reader's language, see community.reasons)."""
    data = notification.data or {}
    reason = reasons.display(
        data.get("reason") or "", data.get("reason_code") or "", data.get("reason_params")
    )
    if reason:
        return _("Reason: %(reason)s") % {"reason": reason}
    return data.get("excerpt", "")


def _sanction(data: dict) -> str:
    sanction = data.get("sanction")
    if sanction == "warning":
        return _("A moderator sent you a warning")
    if sanction == "probation":
        return _("Your account is on probation: your posts are reviewed before they appear")
    if sanction == "silence":
        return _("Your account is silenced: you cannot post for now")
    if sanction == "suspend":
        return _("Your account is suspended")
    if sanction == "lifted":
        return _("The sanction on your account was lifted")
    return _("Moderation changed the status of your account")


def _queue(data: dict, values: dict, count: int) -> str:
    notice = data.get("notice")
    if count > 1:
        return (
            ngettext(
                "%(count)d new item in the review queue",
                "%(count)d new items in the review queue",
                count,
            )
            % values
        )
    if notice == "appeal_filed":
        return _("An appeal waits in the review queue")
    if notice == "escalated":
        number = int(data.get("count") or 1)
        return ngettext(
            "%(count)d item has waited too long in the review queue",
            "%(count)d items have waited too long in the review queue",
            number,
        ) % {"count": number}
    if notice == "away_summary":
        return _("While no moderator was on duty: the summary is ready")
    if notice == "staff_request":
        return _("“%(title)s” waits for an official answer") % values
    if data.get("hidden"):
        return _("Hidden by the community's flags, to review: “%(title)s”") % values
    return _("New item in the review queue: “%(title)s”") % values


def _insights_alert(data: dict) -> str:
    """An alert of the e-reputation watch (insights.watch): a term or a category's flags."""
    values = {"subject": data.get("subject", ""), "observed": int(data.get("observed") or 0)}
    if data.get("alert_kind") == "flag_rate":
        return _("Alert: %(observed)d flags in the last hour in “%(subject)s”") % values
    return _("Alert: “%(subject)s” mentioned %(observed)d times in the last hour") % values
