"""Small presentation helpers for the community templates: compact times, icons, badges.

Everything here is pure presentation (no query): tags receive what the view already loaded.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()

# Icons drawn inline (24 by 24, stroke = currentColor): no icon font, no extra request, and
# nothing the CSP has to allow. Paths are constants written here, never user data.
_ICONS = {
    "up": '<path d="M12 5l7 8h-4.5v6h-5v-6H5z"/>',
    "down": '<path d="M12 19l-7-8h4.5V5h5v6H19z"/>',
    "reply": '<path d="M10 8V4L3 11l7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z"/>',
    "quote": '<path d="M7 7h4v4l-2 6H7l2-6H7zM14 7h4v4l-2 6h-2l2-6h-2z"/>',
    "edit": '<path d="M4 17.25V20h2.75l8.1-8.1-2.75-2.75zM19.7 7.04a1 1 0 000-1.41l-1.34-1.34a1 1 0 00-1.41 0l-1.06 1.06 2.75 2.75z"/>',  # noqa: E501
    "trash": '<path d="M6 7h12l-1 13H7zM9 4h6l1 2H8z"/>',
    "check": '<path d="M9 16.2l-3.5-3.5L4 14.2l5 5 11-11-1.5-1.5z"/>',
    "link": '<path d="M10.6 13.4a1 1 0 001.4 0l3.5-3.5a3 3 0 00-4.2-4.2l-1.2 1.2 1.4 1.4 1.2-1.2a1 1 0 011.4 1.4L10.6 12a1 1 0 000 1.4zM13.4 10.6a1 1 0 00-1.4 0L8.5 14.1a3 3 0 004.2 4.2l1.2-1.2-1.4-1.4-1.2 1.2a1 1 0 01-1.4-1.4L13.4 12a1 1 0 000-1.4z"/>',  # noqa: E501
    "pin": '<path d="M14 3l7 7-2 1-3 3 1 5-2 2-4-4-5 5-1-1 5-5-4-4 2-2 5 1 3-3z"/>',
    "lock": '<path d="M7 10V8a5 5 0 0110 0v2h1v11H6V10zm2 0h6V8a3 3 0 00-6 0z"/>',
    "closed": '<path d="M12 3a9 9 0 100 18 9 9 0 000-18zm-5 8h10v2H7z"/>',
    "question": '<path d="M12 3a9 9 0 100 18 9 9 0 000-18zm1 15h-2v-2h2zm2.1-7.7l-.9.9c-.7.7-1.2 1.3-1.2 2.8h-2v-.5c0-1.1.5-2.1 1.2-2.8l1.2-1.3a2 2 0 10-3.4-1.4H8a4 4 0 118 0c0 .9-.4 1.6-.9 2.3z"/>',  # noqa: E501
    "idea": '<path d="M9 21h6v-1H9zm3-19a7 7 0 00-4 12.7V17h8v-2.3A7 7 0 0012 2z"/>',
    "eye": '<path d="M12 5C7 5 3 8.5 2 12c1 3.5 5 7 10 7s9-3.5 10-7c-1-3.5-5-7-10-7zm0 11a4 4 0 110-8 4 4 0 010 8z"/>',  # noqa: E501
    "bell": '<path d="M12 22a2 2 0 002-2h-4a2 2 0 002 2zm6-6V11a6 6 0 00-5-5.9V4h-2v1.1A6 6 0 006 11v5l-2 2v1h16v-1z"/>',  # noqa: E501
    "bell-off": '<path d="M12 22a2 2 0 002-2h-4a2 2 0 002 2zM18 16V11a6 6 0 00-5-5.9V4h-2v1.1a6 6 0 00-2.4 1L18 16zM3.3 3.3L2 4.6l4.2 4.2A6 6 0 006 11v5l-2 2v1h13.4l2 2 1.3-1.3z"/>',  # noqa: E501
    "history": '<path d="M13 3a9 9 0 00-9 9H1l4 4 4-4H6a7 7 0 112 4.9l-1.4 1.4A9 9 0 1013 3zm-1 5v5l4 2.3.8-1.3-3.3-2V8z"/>',  # noqa: E501
    "search": '<path d="M15.5 14h-.8l-.3-.3A6.5 6.5 0 109.5 16a6.5 6.5 0 004.2-1.6l.3.3v.8l5 5 1.5-1.5zm-6 0a4.5 4.5 0 110-9 4.5 4.5 0 010 9z"/>',  # noqa: E501
    "plus": '<path d="M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z"/>',
    "shield": '<path d="M12 2l8 3v6c0 5-3.4 9.7-8 11-4.6-1.3-8-6-8-11V5z"/>',
    "filter": '<path d="M3 5h18l-7 8v6l-4 2v-8z"/>',
    "chevron": '<path d="M7 10l5 5 5-5z"/>',
    "star": '<path d="M12 17.3l6.2 3.7-1.6-7 5.4-4.7-7.1-.6L12 2 9.1 8.7 2 9.3l5.4 4.7-1.6 7z"/>',
}


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon; decorative unless `label` is given (then it is the accessible name)."""
    path = _ICONS.get(name, "")
    if label:
        return format_html(
            '<svg class="icon icon--{}" viewBox="0 0 24 24" role="img" aria-label="{}" '
            'focusable="false">{}</svg>',
            name,
            label,
            mark_safe(path),  # a constant of this module, not user data
        )
    return format_html(
        '<svg class="icon icon--{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        "{}</svg>",
        name,
        mark_safe(path),  # a constant of this module, not user data
    )


def _compact_age(value: datetime, now: datetime) -> str:
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 60:
        return pgettext("compact age", "now")
    minutes = seconds // 60
    if minutes < 60:
        return pgettext("compact age in minutes", "%(count)d min") % {"count": minutes}
    hours = minutes // 60
    if hours < 24:
        return pgettext("compact age in hours", "%(count)d h") % {"count": hours}
    days = hours // 24
    if days < 30:
        return pgettext("compact age in days", "%(count)d d") % {"count": days}
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return date_format(local, pgettext("compact date of this year", "M j"))
    return date_format(local, "M Y")


def _long_age(value: datetime, now: datetime) -> str:
    if now - value < timedelta(days=30):
        return naturaltime(value)
    return date_format(timezone.localtime(value), "DATE_FORMAT")


@register.simple_tag
def timetag(value: datetime | None, style: str = "compact") -> SafeString:
    """`<time datetime>` with the full date as title and, as text, a compact age ("3 h",
    "2 d", "Mar 4") for lists or, with style "long", one that reads in a sentence ("3 hours
    ago", "March 4, 2026")."""
    if value is None:
        return mark_safe("")
    now = timezone.now()
    text = _long_age(value, now) if style == "long" else _compact_age(value, now)
    full = date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), full, text)


@register.filter
def avatar_hue(name: str | None) -> int:
    """A stable colour slot (0 to 7) for a member's initial, so avatars are told apart."""
    return zlib.crc32((name or "").encode()) % 8


@register.filter
def initial(name: str | None) -> str:
    return (name or "?").strip()[:1].upper() or "?"


#: A topic the reader never opened counts as "new" for this long after it was started (as in
#: Discourse, where older unopened topics are simply old, not new).
NEW_TOPIC_DURATION = timedelta(days=7)


@register.filter
def is_unopened(topic) -> bool:
    """A signed-in reader never opened this recent topic (the list marks it "new")."""
    if not hasattr(topic, "last_read_number") or topic.last_read_number is not None:
        return False
    return topic.created_at >= timezone.now() - NEW_TOPIC_DURATION


@register.simple_tag
def level_label(level: int) -> str:
    from community.models import NotificationLevel

    try:
        return str(NotificationLevel(level).label)
    except ValueError:
        return _("Normal")
