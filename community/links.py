"""URLs for long lists, reversed once per pattern and then filled in.

``reverse()`` costs tens of microseconds (URL resolver, script prefix, quoting); a page of 30
topics or 20 posts needed about 160 of them. :class:`UrlPattern` reverses its route once
with placeholder values and then fills in each row's values with string replacement — the
same URL ``reverse()`` returns, since ids are plain digits and slugs are checked against the
``slug`` converter's alphabet (anything else falls back to ``reverse()`` itself).

Create the patterns per request (:func:`list_links`): the script prefix may differ between
deployments behind different paths, never within one request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
#: Placeholders: values no real id or slug takes, and that the route's converters accept.
_INT_PLACEHOLDERS = ("987654301", "987654302")
_SLUG_PLACEHOLDER = "zzcauserieslugzz"


class UrlPattern:
    """One route reversed once; ``fill(*ints, slug=...)`` gives the URL for these values."""

    def __init__(self, name: str, *, ints: int = 0, slug: bool = False):
        self.name = name
        self._ints = ints
        self._slug = slug
        args = [int(value) for value in _INT_PLACEHOLDERS[:ints]]
        if slug:
            args.append(_SLUG_PLACEHOLDER)
        self._template = reverse(name, args=args)

    def fill(self, *ints: int, slug: str | None = None) -> str:
        if len(ints) != self._ints or (slug is None) == self._slug:
            raise TypeError(f"{self.name}: {self._ints} ids and {'a' if self._slug else 'no'} slug")
        if self._slug and not _SLUG.fullmatch(slug):
            return reverse(self.name, args=[*ints, slug])
        url = self._template
        for placeholder, value in zip(_INT_PLACEHOLDERS, ints, strict=False):
            url = url.replace(placeholder, str(int(value)), 1)
        if self._slug:
            url = url.replace(_SLUG_PLACEHOLDER, slug, 1)
        return url


@dataclass(frozen=True)
class ListLinks:
    """The patterns a topic list's rows use."""

    topic: UrlPattern
    topic_post_number: UrlPattern
    category: UrlPattern
    tag: UrlPattern


@dataclass(frozen=True)
class PostLinks:
    """The patterns a topic page's posts use (``flag``/``topic_flag`` are None where the
    moderation pages are not mounted)."""

    permalink: UrlPattern
    vote: UrlPattern
    quote: UrlPattern
    edit: UrlPattern
    delete: UrlPattern
    history: UrlPattern
    profile: UrlPattern
    flag: UrlPattern | None
    topic_flag: UrlPattern | None


def _optional(name: str, **kwargs) -> UrlPattern | None:
    try:
        return UrlPattern(name, **kwargs)
    except NoReverseMatch:
        return None


def post_links() -> PostLinks:
    return PostLinks(
        permalink=UrlPattern("community:post_permalink", ints=1),
        vote=UrlPattern("community:post_vote", ints=1),
        quote=UrlPattern("community:post_quote", ints=1),
        edit=UrlPattern("community:post_edit", ints=1),
        delete=UrlPattern("community:post_delete", ints=1),
        history=UrlPattern("community:post_history", ints=1),
        profile=UrlPattern("accounts:profile", slug=True),
        flag=_optional("moderation_public:post_flag", ints=1),
        topic_flag=_optional("moderation_public:topic_flag", ints=1),
    )


def list_links() -> ListLinks:
    return ListLinks(
        topic=UrlPattern("community:topic", ints=1, slug=True),
        topic_post_number=UrlPattern("community:topic_post_number", ints=2),
        category=UrlPattern("community:category", slug=True),
        tag=UrlPattern("community:tag", slug=True),
    )
