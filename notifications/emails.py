"""Building the e-mails: text and HTML parts, in the member's language and time zone, with
one-click unsubscribe headers (RFC 2369 List-Unsubscribe, RFC 8058 List-Unsubscribe-Post).

Nothing here sends or writes to the database: ``services`` decides what to send and records it.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
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


class DigestRenderer:
    """Renders the digests of one batch. Digests that differ only by the member's name and
    unsubscribe link — no personal notification, the same topics, the same language and time
    zone: most of a weekly digest run — are rendered once, with placeholders that each
    member's values then replace (escaped in the HTML part as the template would escape
    them). The others are rendered one by one."""

    # Plain ASCII: survives the templates' escaping unchanged; not a word of any language.
    _NAME = "causerie0digest0name0placeholder"
    _UNSUBSCRIBE = "causerie0digest0unsubscribe0placeholder"

    def __init__(self) -> None:
        self._shared: dict[tuple, tuple[str, str]] = {}

    @staticmethod
    def _key(user: User, frequency: str, content: DigestContent) -> tuple | None:
        if content.notifications:
            return None  # personal texts: rendered for this member only
        return (
            translation.get_language(),
            str(timezone.get_current_timezone()),
            frequency,
            tuple((t.topic_id, t.title, t.url, t.unread) for t in content.missed),
            tuple((t.topic_id, t.title, t.url, t.category, t.kind) for t in content.followed),
            tuple((t.topic_id, t.title, t.url, t.category, t.kind) for t in content.popular),
            tuple(sorted((content.queue or {}).items())),
        )

    def render(
        self, *, user: User, frequency: str, content: DigestContent, unsubscribe: str, links: Links
    ) -> tuple[str, str]:
        """The text and HTML parts of ``user``'s digest (call in the member's language and time
        zone)."""
        key = self._key(user, frequency, content)
        if key is None:
            return _render_digest(
                name=user.public_name,
                frequency=frequency,
                content=content,
                unsubscribe=unsubscribe,
                links=links,
            )
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _render_digest(
                name=self._NAME,
                frequency=frequency,
                content=content,
                unsubscribe=self._UNSUBSCRIBE,
                links=links,
            )
        text, html = shared
        name = user.public_name
        # The link first, then the name: a name holding the link's placeholder stays as typed.
        text = text.replace(self._UNSUBSCRIBE, unsubscribe).replace(self._NAME, name)
        html = html.replace(self._UNSUBSCRIBE, escape(unsubscribe)).replace(
            self._NAME, escape(name)
        )
        return text, html


def _render_digest(
    *, name: str, frequency: str, content: DigestContent, unsubscribe: str, links: Links
) -> tuple[str, str]:
    context = {
        "user": SimpleNamespace(public_name=name),
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
    return (
        render_to_string("notifications/email/digest.txt", context),
        render_to_string("notifications/email/digest.html", context),
    )


def digest_message(
    *,
    user: User,
    frequency: str,
    content: DigestContent,
    message_id: str,
    connection=None,
    links: Links | None = None,
    renderer: DigestRenderer | None = None,
) -> EmailMultiAlternatives:
    """The daily or weekly digest of ``user``. Pass one ``renderer`` (and one ``links``) to
    every digest of a batch: identical digests are then rendered once."""
    links = links or Links()
    renderer = renderer or DigestRenderer()
    with translation.override(user.language), timezone.override(_zone(user)):
        if frequency == DigestFrequency.DAILY:
            subject = _subject(_("Your daily summary"))
        else:
            subject = _subject(_("Your weekly summary"))
        unsubscribe = links.unsubscribe(user=user, scope=f"digest:{frequency}")
        text, html = renderer.render(
            user=user, frequency=frequency, content=content, unsubscribe=unsubscribe, links=links
        )
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
