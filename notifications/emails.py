"""Building the e-mails: text and HTML parts, in the member's language and time zone, with
one-click unsubscribe headers (RFC 2369 List-Unsubscribe, RFC 8058 List-Unsubscribe-Post).

Nothing here sends or writes to the database: ``services`` decides what to send and records it.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from notifications import conf, texts
from notifications.models import DigestFrequency, Notification, NotificationKind
from notifications.selectors import DigestContent


def message_domain() -> str:
    """The right-hand side of our Message-IDs: the sender's domain."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or "causerie.invalid"


def absolute(path: str) -> str:
    return f"{conf.site_url()}{path}"


class Links:
    """The absolute links every e-mail carries, reversed once per batch of e-mails rather
    than once per mail (URL reversing is a measurable share of a digest's cost)."""

    _PLACEHOLDER = "TOKEN"

    def __init__(self) -> None:
        self.preferences = absolute(reverse("notifications:preferences"))
        self.notifications = absolute(reverse("notifications:list"))
        self._unsubscribe = absolute(
            reverse("notifications:unsubscribe", kwargs={"token": self._PLACEHOLDER})
        )

    def unsubscribe(self, *, user: User, scope: str) -> str:
        from notifications.services import unsubscribe_token

        token = unsubscribe_token(user=user, scope=scope)
        return self._unsubscribe.replace(self._PLACEHOLDER, token)


def unsubscribe_url(*, user: User, scope: str) -> str:
    return Links().unsubscribe(user=user, scope=scope)


def _headers(*, unsubscribe: str, message_id: str, bulk: bool) -> dict[str, str]:
    headers = {
        "Message-ID": message_id,
        # RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to the https URL.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # RFC 3834: no vacation auto-replies to robots.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if bulk:
        headers["Precedence"] = "bulk"
    return headers


_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def _subject(text: str) -> str:
    # Titles are members' text: a line break in a header would make Django refuse the mail
    # (BadHeaderError). Only line breaks go: French no-break spaces around « » stay.
    return _LINE_BREAKS.sub(" ", f"[{settings.SITE_NAME}] {text}")[:250]


def _item(notification: Notification) -> dict[str, str]:
    return {
        "text": texts.describe(notification),
        "detail": texts.detail(notification),
        "url": absolute(notification.get_absolute_url()),
    }


def notification_message(
    *,
    user: User,
    notifications: list[Notification],
    message_id: str,
    connection=None,
    links: Links | None = None,
) -> EmailMultiAlternatives:
    """One e-mail for one or several immediate notifications of ``user``."""
    links = links or Links()
    kinds = sorted({n.kind for n in notifications})
    scope = ",".join(kinds)
    with translation.override(user.language), timezone.override(_zone(user)):
        items = [_item(n) for n in notifications]
        if len(notifications) == 1:
            subject = _subject(items[0]["text"])
        else:
            subject = _subject(
                ngettext(
                    "%(count)d new notification",
                    "%(count)d new notifications",
                    len(notifications),
                )
                % {"count": len(notifications)}
            )
        unsubscribe = links.unsubscribe(user=user, scope=scope)
        context = {
            "user": user,
            "items": items,
            "site_name": settings.SITE_NAME,
            "site_url": conf.site_url(),
            "kinds": [NotificationKind(kind).label for kind in kinds],
            "unsubscribe_url": unsubscribe,
            "preferences_url": links.preferences,
            "notifications_url": links.notifications,
        }
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        headers=_headers(unsubscribe=unsubscribe, message_id=message_id, bulk=False),
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def digest_message(
    *,
    user: User,
    frequency: str,
    content: DigestContent,
    message_id: str,
    connection=None,
    links: Links | None = None,
) -> EmailMultiAlternatives:
    """The daily or weekly digest of ``user``."""
    links = links or Links()
    with translation.override(user.language), timezone.override(_zone(user)):
        if frequency == DigestFrequency.DAILY:
            subject = _subject(_("Your daily summary"))
        else:
            subject = _subject(_("Your weekly summary"))
        unsubscribe = links.unsubscribe(user=user, scope=f"digest:{frequency}")
        context = {
            "user": user,
            "frequency": frequency,
            "daily": frequency == DigestFrequency.DAILY,
            "notifications": [_item(n) for n in content.notifications],
            "missed": content.missed,
            "followed": content.followed,
            "popular": content.popular,
            "queue": content.queue,
            "site_name": settings.SITE_NAME,
            "site_url": conf.site_url(),
            "unsubscribe_url": unsubscribe,
            "preferences_url": links.preferences,
        }
        text = render_to_string("notifications/email/digest.txt", context)
        html = render_to_string("notifications/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        headers=_headers(unsubscribe=unsubscribe, message_id=message_id, bulk=True),
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _zone(user: User):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(user.timezone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)
