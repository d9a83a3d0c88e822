"""Full-text search over visible posts: one service, :func:`search_posts`.

PostgreSQL
    Each post stores a ``tsvector`` (``Post.search_vector``, GIN-indexed): the topic title with
    weight A on the first post, the Markdown body with weight B, built with the text-search
    configuration of the topic's language (``french`` or ``english``, see :func:`search_config`).
    The member's query is parsed with ``websearch_to_tsquery`` (quotes, ``or``, ``-word``) in
    **both** configurations and the two are OR-ed. Why both rather than the reader's language:
    the community is bilingual, a French reader searching "kettle" must find English posts,
    and each post's vector was stemmed in its own language — a French query stemmed the
    English way would miss "bouilloires"/"bouilloire". The OR costs one more tsquery and the
    GIN index answers it. Results are ranked with ``ts_rank`` (title hits weigh more), then
    newest first. Snippets come from ``ts_headline`` run over the plain text of ``body_html``
    (one extra query for the whole page): highlights are delimited with private-use sentinel
    characters, the text is HTML-escaped, and only then are the sentinels turned into
    ``<mark>``/``</mark>`` — so ``snippet_html`` contains no markup but those tags and may be
    marked safe.

SQLite (embedded default)
    Every word of the query must appear (case-insensitively, ASCII only — a SQLite LIKE limit)
    in the body or the topic title; newest first, rank 0. The snippet is an escaped excerpt
    around the first match with ``<mark>`` around the matched words.

Either way: visible posts of visible topics only; an empty, whitespace-only or punctuation-only
query returns empty results without touching the database; a query longer than
:data:`MAX_QUERY_LENGTH` characters is cut. The page costs a fixed number of queries (two on
PostgreSQL, one on SQLite), and reports ``has_more`` rather than a total (a COUNT over a
large match set is the slow part of search pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.utils.html import escape

from community.models import Category, ContentState, Post, Tag, Topic
from community.rendering import plain_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 100
MAX_TERMS = 8
SNIPPET_CHARS = 240

SEARCH_CONFIGS = {"en": "english", "fr": "french"}
DEFAULT_CONFIG = "english"

_START, _STOP = "\ue000", "\ue001"  # private-use characters: never meaningful in a post
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=40, MinWords=15, ShortWord=3, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_WORD_RE = re.compile(r"\w+")


def search_config(language: str | None) -> str:
    """PostgreSQL text-search configuration for a content language ("fr" → "french")."""
    return SEARCH_CONFIGS.get((language or "")[:2].lower(), DEFAULT_CONFIG)


@dataclass(frozen=True)
class SearchHit:
    post: Post
    topic: Topic
    snippet_html: str  # escaped text with <mark> highlights only: safe to mark_safe
    rank: float


@dataclass(frozen=True)
class SearchResults:
    query: str  # the query as searched (trimmed, cut); "" when there was nothing to search
    hits: list[SearchHit] = field(default_factory=list)
    offset: int = 0
    limit: int = 20
    has_more: bool = False

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __bool__(self) -> bool:
        return bool(self.hits)


def normalise_query(query: object) -> str:
    """Collapse whitespace, drop NULs, cut to MAX_QUERY_LENGTH; "" if no word is left."""
    text = " ".join(str(query or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH].strip()
    return text if _WORD_RE.search(text) else ""


def _bounded(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(number, high))


def _visible_posts(
    user: User | AnonymousUser | None,
    *,
    category: Category | None,
    tag: Tag | str | None,
    kind: str | None,
    author: User | str | None,
) -> QuerySet[Post]:
    # Every category is public today (community.permissions.can_view_category); private
    # categories would add their filter here.
    posts = Post.objects.filter(state=ContentState.VISIBLE, topic__state=ContentState.VISIBLE)
    if category is not None:
        posts = posts.filter(Q(topic__category=category) | Q(topic__category__parent=category))
    if tag is not None:
        posts = posts.filter(topic__tags__slug=tag if isinstance(tag, str) else tag.slug)
    if kind:
        posts = posts.filter(topic__kind=kind)
    if author is not None:
        if isinstance(author, str):
            posts = posts.filter(author__username__iexact=author)
        else:
            posts = posts.filter(author=author)
    return posts.select_related("topic", "topic__category", "author").defer("body", "search_vector")


def search_posts(
    *,
    user: User | AnonymousUser | None,
    query: str,
    category: Category | None = None,
    tag: Tag | str | None = None,
    kind: str | None = None,
    author: User | str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search visible posts; see the module docstring for matching, ranking and snippets."""
    limit = _bounded(limit, 20, 1, MAX_LIMIT)
    offset = _bounded(offset, 0, 0, 10_000)
    text = normalise_query(query)
    if not text:
        return SearchResults(query="", offset=offset, limit=limit)
    posts = _visible_posts(user, category=category, tag=tag, kind=kind, author=author)
    if connection.vendor == "postgresql":
        return _search_postgresql(posts, text, limit=limit, offset=offset)
    return _search_fallback(posts, text, limit=limit, offset=offset)


def _tsquery(text: str):
    return SearchQuery(text, search_type="websearch", config="english") | SearchQuery(
        text, search_type="websearch", config="french"
    )


def _search_postgresql(posts: QuerySet[Post], text: str, *, limit: int, offset: int):
    tsquery = _tsquery(text)
    rows = list(
        posts.filter(search_vector=tsquery)
        .annotate(rank=SearchRank(F("search_vector"), tsquery))
        .order_by("-rank", "-created_at", "-pk")[offset : offset + limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    snippets = _headlines(rows, text)
    hits = [
        SearchHit(post=post, topic=post.topic, snippet_html=snippet, rank=float(post.rank))
        for post, snippet in zip(rows, snippets, strict=True)
    ]
    return SearchResults(query=text, hits=hits, offset=offset, limit=limit, has_more=has_more)


def _snippet_source(post: Post) -> str:
    # One line of plain text: a snippet is shown inline, paragraph breaks would only add gaps.
    return " ".join(plain_text(post.body_html).split())


def _headlines(rows: list[Post], text: str) -> list[str]:
    """ts_headline for every hit in one query, over the plain text of the rendered post."""
    if not rows:
        return []
    texts = [_snippet_source(post).replace(_START, "").replace(_STOP, "") for post in rows]
    configs = [search_config(post.topic.language) for post in rows]
    sql = (
        "SELECT ts_headline(t.cfg::regconfig, t.txt, "
        "websearch_to_tsquery('english', %s) || websearch_to_tsquery('french', %s), %s) "
        "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t(txt, cfg, ord) "
        "ORDER BY t.ord"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [text, text, _HEADLINE_OPTIONS, texts, configs])
        headlines = [row[0] or "" for row in cursor.fetchall()]
    return [_mark(headline) for headline in headlines]


def _mark(headline: str) -> str:
    html = str(escape(headline))
    # ts_headline may open a highlight it never closes when it cuts a fragment.
    opened = html.count(_START) - html.count(_STOP)
    html = html.replace(_START, "<mark>").replace(_STOP, "</mark>")
    return html + "</mark>" * max(opened, 0)


def _search_fallback(posts: QuerySet[Post], text: str, *, limit: int, offset: int):
    terms = list(dict.fromkeys(word.lower() for word in _WORD_RE.findall(text)))[:MAX_TERMS]
    for term in terms:
        posts = posts.filter(Q(body__icontains=term) | Q(number=1, topic__title__icontains=term))
    rows = list(
        posts.annotate(rank=Value(0.0, output_field=FloatField())).order_by("-created_at", "-pk")[
            offset : offset + limit + 1
        ]
    )
    has_more = len(rows) > limit
    hits = [
        SearchHit(
            post=post,
            topic=post.topic,
            snippet_html=excerpt_with_marks(_snippet_source(post), terms),
            rank=0.0,
        )
        for post in rows[:limit]
    ]
    return SearchResults(query=text, hits=hits, offset=offset, limit=limit, has_more=has_more)


def excerpt_with_marks(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> str:
    """An escaped excerpt of ``text`` around the first of ``terms``, each occurrence wrapped in
    ``<mark>``. Safe HTML: everything but the marks is escaped."""
    if not terms:
        return str(escape(text[:width]))
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - width // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= start - 20 else start
    excerpt = text[start : start + width]
    pieces: list[str] = ["…" if start else ""]
    last = 0
    for match in pattern.finditer(excerpt):
        pieces.append(str(escape(excerpt[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(str(escape(excerpt[last:])))
    if start + width < len(text):
        pieces.append("…")
    return "".join(pieces)
