"""Reasons the system gives (a post held, hidden by flags, a member silenced automatically),
stored as a code and parameters and put into words when they are shown, in the reader's
language.

Why: a reason written as translated text is frozen in whatever language was active when it
was written (the author's request, or the worker's default), so a French moderator would read
an English reason and an English author a French one. A reason a moderator types stays stored
as typed: only the system's own reasons have a code.

How it is stored: next to the text field that always held the reason (``Post.state_reason``,
``ReviewItem.held_reason``, ``AuditEntry.reason``, ``Sanction.reason``…) a ``*_code`` and a
``*_params`` field. With a code, the text field keeps the reason in the source language (the
msgid, rendered with its parameters), for the admin, exports and webhooks, which have no
reader's language; pages, the API and notifications show :func:`display`.

Apps register their reasons at import time with :func:`register` (``community`` here, the
rest in ``moderation.reasons``); an unknown code (an app removed, a code renamed without a
migration) falls back to the stored text, never to an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

_MSGIDS: dict[str, str] = {}

#: The longest code a ``*_code`` field takes.
CODE_MAX_LENGTH = 64


def register(code: str, msgid: str) -> str:
    """Declare a system reason: ``msgid`` is marked with ``gettext_noop`` by the caller (so
    makemessages finds it) and may hold ``%(name)s`` parameters. Returns the code."""
    if not code or len(code) > CODE_MAX_LENGTH:
        raise ValueError(f"bad reason code {code!r}")
    known = _MSGIDS.get(code)
    if known is not None and known != msgid:
        raise ValueError(f"reason code {code!r} is already registered with another text")
    _MSGIDS[code] = msgid
    return code


def is_known(code: str) -> bool:
    return code in _MSGIDS


def render(code: str, params: Mapping[str, Any] | None = None, *, translate: bool = True) -> str:
    """The reason in the active language (``translate``) or in the source language; "" for an
    unknown code."""
    msgid = _MSGIDS.get(code)
    if msgid is None:
        return ""
    template = gettext(msgid) if translate else msgid
    if not params:
        return template
    try:
        return template % dict(params)
    except (KeyError, TypeError, ValueError):
        # A translation that lost a placeholder must not break a page: the source text with
        # its parameters is still right, only not translated.
        try:
            return msgid % dict(params)
        except (KeyError, TypeError, ValueError):
            return msgid


def display(text: str, code: str = "", params: Mapping[str, Any] | None = None) -> str:
    """What to show for a stored reason: the system reason in the active language when there
    is a known code, otherwise the stored text (a moderator's words, or an old row)."""
    if code:
        rendered = render(code, params)
        if rendered:
            return rendered
    return text or ""


@dataclass(frozen=True)
class SystemReason:
    """A reason given by the system, passed where services take a ``reason``: they store its
    code and parameters, and its source-language text in the reason's text field.
    ``params`` hold plain JSON values (numbers, the watched word), never translated text."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not is_known(self.code):
            raise ValueError(f"unknown reason code {self.code!r}")

    @property
    def source_text(self) -> str:
        return render(self.code, self.params, translate=False)

    @property
    def text(self) -> str:
        return render(self.code, self.params)

    def __str__(self) -> str:
        return self.text


def split(reason: str | SystemReason | None, limit: int | None = None) -> tuple[str, str, dict]:
    """``(text, code, params)`` to store for a reason: a system reason's source text, code and
    parameters, or a moderator's text as given (cut to ``limit``) with no code."""
    if isinstance(reason, SystemReason):
        text = reason.source_text
        return (text[:limit] if limit else text), reason.code, dict(reason.params)
    text = str(reason or "")
    return (text[:limit] if limit else text), "", {}


def event_fields(reason: str | SystemReason | None) -> dict[str, Any]:
    """The ``reason``, ``reason_code`` and ``reason_params`` of an event announcing a change
    made for ``reason``: receivers that only keep text get the source-language text, those
    that show it to somebody later keep the code."""
    text, code, params = split(reason)
    return {"reason": text, "reason_code": code, "reason_params": params}


PREMODERATED = register(
    "premoderated",
    gettext_noop("Pre-moderated category: posts of new members are reviewed first."),
)
