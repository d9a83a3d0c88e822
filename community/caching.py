"""Whole-page cache of the topic lists and topic pages, for anonymous visitors only.

Why: most visitors of a community are anonymous readers, and rendering a list or a topic page
costs far more than the stack itself (shared/PERFORMANCE.md, bench/README.md). An anonymous
reader sees exactly what every other anonymous reader sees, so the rendered page can be
reused until something on it changes.

What is served from the cache
    A GET of a view decorated with :func:`anonymous_page`, by a visitor with no session cookie
    (so not signed in) and no message waiting, when the request is not an htmx request.
    :class:`AnonymousPageMiddleware` looks the page up before the rest of the middleware runs
    and serves a hit at once; on a miss the view renders, and the page is stored only when it
    is a 200 answer to an anonymous visitor that set no cookie (but the CSRF cookie), added
    no message and left the session untouched. A signed-in member never reads from the cache
    nor fills it: they always see their own writes at once. An anonymous visitor who holds a
    session (a sign-up in progress, a message stored in the session) gets rendered pages.

Keys and generations
    A page's key holds its path and query string, host, scheme and language; the page is
    stored with the *generation* of each scope it depends on — ``global`` for the site-wide
    lists, ``category:<slug>`` for a category's list (its subcategories' topics included),
    ``topic:<id>`` for a topic page — and served only while those generations are current.
    The page and the generations are read in one round trip (``get_many``): a hit costs one
    cache request, plus the view counter's on a topic page. Generations are counters in the
    cache. Every write that
    changes what a page shows announces a community event (``community.events``);
    :func:`connect_invalidation` (called from ``CommunityConfig.ready``) listens to them and,
    once the transaction commits, bumps the topic's, its category's (and parent's) and the
    global generation. A page stored with an old generation is never served again; pages
    expire after ``COMMUNITY_ANON_CACHE_SECONDS`` (60 s by default), which is also the safety
    net for changes that announce no event (a category or member renamed, view counts).

    The generations are read *before* the page is rendered, so a page rendered while a write
    commits is stored with the old generation and never served after the bump (at worst it
    overwrites a fresher copy, which costs one more rendering). A generation that disappears
    from the cache (eviction) starts again from the current time in milliseconds, never from
    a value an old page may have been stored with.

CSRF tokens
    Every page carries a CSRF token (the htmx meta tag, the language form). A stored page holds
    a placeholder instead, and each visitor served from the cache gets their own token through
    ``get_token`` — which also sets the CSRF cookie of a new visitor, as a rendered page would.

Failures
    The cache is an optimisation, never a reason to fail: when it is unreachable the page is
    rendered as usual (and the cache is left alone for a few seconds, so that a hanging Redis
    does not add its timeout to every request). Invalidation errors are logged; the TTL bounds
    what a lost bump can cost.

Settings: ``COMMUNITY_ANON_CACHE`` (on by default), ``COMMUNITY_ANON_CACHE_SECONDS`` (60).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import Resolver404, resolve
from django.utils import translation

from config.cache import counter_incr

logger = logging.getLogger(__name__)

GLOBAL_SCOPE = "global"
GENERATION_KEY = "community:page_gen:{scope}"
PAGE_KEY = "community:page:{language}:{digest}"
#: Response header saying how the page was served (``hit``, ``miss``): handy in benchmarks.
STATUS_HEADER = "X-Anonymous-Cache"
#: After a cache error, leave the cache alone for this long (seconds, per process).
PAUSE_AFTER_ERROR = 5.0

_CSRF_PLACEHOLDER = b"@@causerie-anonymous-cache-csrf-token@@"
_CSRF_TOKEN_RE = re.compile(
    rb'(?:name="csrfmiddlewaretoken" value="|name="csrf-token" content=")([A-Za-z0-9]{64})"'
)
_FORM_TOKEN = b'name="csrfmiddlewaretoken"'
_DROPPED_HEADERS = frozenset({"content-length", "set-cookie", STATUS_HEADER.lower()})

_paused_until = 0.0


# --- Scopes -------------------------------------------------------------------------------------


def category_scope(slug: str) -> str:
    return f"category:{slug}"


def topic_scope(topic_id: int | str) -> str:
    return f"topic:{int(topic_id)}"


# --- Settings and failure handling ----------------------------------------------------------------


def _enabled() -> bool:
    return bool(getattr(settings, "COMMUNITY_ANON_CACHE", True)) and time.monotonic() >= (
        _paused_until
    )


def _timeout() -> int:
    return int(getattr(settings, "COMMUNITY_ANON_CACHE_SECONDS", 60))


def _cache_failed(what: str) -> None:
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_AFTER_ERROR
    logger.warning("anonymous page cache unavailable (%s); rendering pages", what, exc_info=True)


def _fresh_generation() -> int:
    # Milliseconds since the epoch: always above any counter an evicted key may have reached.
    return time.time_ns() // 1_000_000


# --- Generations --------------------------------------------------------------------------------


def generations(
    scopes: Iterable[str], *, also: Iterable[str] = (), counter: str | None = None
) -> tuple[tuple, dict, int | None]:
    """The current generation of each scope (created when missing), the values of the
    ``also`` keys read in the same round trip, and the new value of ``counter`` when one is
    given (increased in that round trip on Redis). Raises on cache errors."""
    keys = [GENERATION_KEY.format(scope=scope) for scope in scopes]
    wanted = [*also, *keys]
    count = None
    if counter is None:
        found = cache.get_many(wanted)
    elif hasattr(cache, "get_many_and_incr"):  # config.cache.TolerantRedisCache
        found, count = cache.get_many_and_incr(wanted, counter)
        if count is None:
            raise ConnectionError("cache unreachable")
    else:
        found, count = cache.get_many(wanted), counter_incr(counter)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _fresh_generation(), timeout=None)
        found.update(cache.get_many(missing))
    return tuple(int(found[key]) for key in keys), found, count


def generations_bump(scopes: Iterable[str]) -> None:
    """Move each scope to a new generation: every page stored under the old one is stale."""
    for scope in dict.fromkeys(scopes):
        key = GENERATION_KEY.format(scope=scope)
        try:
            cache.incr(key)
        except ValueError:  # not there (never used, or evicted): any fresh value will do
            cache.set(key, _fresh_generation(), timeout=None)


# --- Serving: the middleware and the decorator ------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitCounter:
    """A counter increased in the page lookup's round trip, such as a topic's views."""

    key: str
    #: Called with the counter's new value.
    counted: Callable[[int], None]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A page looked up and not found: where to store it once rendered."""

    key: str
    generations: tuple
    language: str


def _pending_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    # len() counts loaded and queued messages without marking them as seen.
    return storage is not None and len(storage) > 0


def _may_look_up(request: HttpRequest) -> bool:
    """A GET by a visitor who cannot be signed in (no session cookie) and has no message
    waiting (messages live in a cookie, or in the session), for a whole page (not htmx)."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not request.headers.get("HX-Request")
        and _enabled()
    )


def _page_key(request: HttpRequest, language: str) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return PAGE_KEY.format(
        language=language, digest=hashlib.sha256(address.encode()).hexdigest()[:32]
    )


def _lookup(key: str, scopes: list[str], counter: HitCounter | None) -> tuple[tuple, tuple | None]:
    """(current generations, the stored page if it is current) in one round trip, which also
    increases the counter."""
    current, found, count = generations(
        scopes, also=[key], counter=counter.key if counter else None
    )
    if counter is not None:
        try:
            counter.counted(count)
        except Exception:
            logger.warning("anonymous page cache: hit counter failed", exc_info=True)
    stored = found.get(key)
    if stored is not None and stored[0] != current:
        stored = None  # rendered before a change: stale
    return current, stored


def counted_with_lookup(request: HttpRequest) -> bool:
    """Whether the view's hit counter was already increased with the page's lookup: the view
    must then not count this request again."""
    return getattr(request, "anonymous_page_counted", False)


def _without_csrf_token(content: bytes) -> bytes | None:
    """The page with its CSRF token(s) replaced by the placeholder; None when a form's token
    was not recognised (the page is then not stored rather than stored with a stranger's)."""
    for token in set(_CSRF_TOKEN_RE.findall(content)):
        content = content.replace(token, _CSRF_PLACEHOLDER)
    replaced = content.count(_FORM_TOKEN + b' value="' + _CSRF_PLACEHOLDER)
    if content.count(_FORM_TOKEN) != replaced:
        return None
    return content


def _storable_by_view(request: HttpRequest, response: HttpResponse) -> bool:
    """What only the view's side can tell: an anonymous visitor, no message added, the
    session untouched, a complete 200 page."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    user = getattr(request, "user", None)
    return user is not None and not user.is_authenticated and not _pending_messages(request)


def _storable_by_stack(response: HttpResponse) -> bool:
    """What the whole stack may have added since: a cookie other than the CSRF cookie every
    new visitor gets, or a private cache policy."""
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


def _store(pending: _Pending, response: HttpResponse) -> None:
    content = _without_csrf_token(response.content)
    if content is None:
        logger.warning("anonymous page cache: unrecognised CSRF token; page not stored")
        return
    headers = [(k, v) for k, v in response.items() if k.lower() not in _DROPPED_HEADERS]
    try:
        cache.set(
            pending.key,
            (pending.generations, response.status_code, headers, content),
            _timeout(),
        )
    except Exception:
        _cache_failed("store")


class AnonymousPageMiddleware:
    """Serves stored pages to anonymous visitors before the rest of the stack runs, and stores
    the pages that views decorated with :func:`anonymous_page` mark as storable.

    Why a middleware and not only the decorator: a hit served from the view still went through
    every middleware (sessions, locale, CSRF, authentication, messages, CSP, htmx, allauth and
    Causerie's own), which cost more than the hit itself (bench/README.md). Here a hit costs
    one URL resolution, one cache round trip and the visitor's CSRF token. The page is stored
    with the headers the whole stack gave it (CSP, X-Frame-Options, Content-Language, Vary), so
    a hit answers exactly what a rendered page would; ``SecurityMiddleware``, above this one,
    still adds its own.

    Place it right after ``WhiteNoiseMiddleware``, before ``SessionMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # A hit skips CsrfViewMiddleware; its two steps are run here: read the visitor's CSRF
        # cookie before the token is made, set a cookie for a new visitor afterwards.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _may_look_up(request):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        scopes = getattr(match.func, "anonymous_page_scopes", None)
        if scopes is None:
            return self.get_response(request)
        try:
            # LocaleMiddleware makes the same choice (Causerie uses no i18n_patterns); the
            # decorator checks that both agree before a page is stored under this language.
            language = translation.get_language_from_request(request)
            key = _page_key(request, language)
        except DisallowedHost:
            return self.get_response(request)  # CommonMiddleware answers 400, as usual
        make_counter = getattr(match.func, "anonymous_page_counter", None)
        counter = None
        if make_counter is not None:
            counter = make_counter(request, *match.args, **match.kwargs)
            request.anonymous_page_counted = True  # with the lookup below, or at once
        try:
            current, stored = _lookup(key, scopes(request, *match.args, **match.kwargs), counter)
        except Exception:
            _cache_failed("read")
            return self.get_response(request)
        if stored is not None:
            return self._serve(request, stored)
        pending = _Pending(key, current, language)
        request.anonymous_page = pending
        response = self.get_response(request)
        if getattr(response, "anonymous_page_storable", False) and _storable_by_stack(response):
            _store(pending, response)
        if getattr(response, "anonymous_page_storable", None) is not None:
            response[STATUS_HEADER] = "miss"
        return response

    def _serve(self, request: HttpRequest, stored: tuple) -> HttpResponse:
        _generations, status, headers, content = stored
        self.csrf.process_request(request)
        if _CSRF_PLACEHOLDER in content:
            content = content.replace(_CSRF_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(content))
        response[STATUS_HEADER] = "hit"
        return self.csrf.process_response(request, response)


def anonymous_page(
    scopes: Callable[..., list[str]],
    *,
    counter: Callable[..., HitCounter | None] | None = None,
) -> Callable:
    """Let :class:`AnonymousPageMiddleware` serve the decorated GET view from the cache to
    anonymous visitors (see the module doc).

    ``scopes(request, *args, **kwargs)`` names the generations the page depends on; it runs
    before the session, the user and the language are known, so it may use the URL only.
    ``counter(request, *args, **kwargs)``, for a page that counts its visits (a topic's
    views), gives the :class:`HitCounter` to increase in the lookup's round trip — or counts
    the visit itself and returns None. Either way the visit is counted before the page is
    looked up, so on a miss the view must not count it again (:func:`counted_with_lookup`)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            pending = getattr(request, "anonymous_page", None)
            if pending is not None:
                response.anonymous_page_storable = getattr(
                    request, "LANGUAGE_CODE", None
                ) == pending.language and _storable_by_view(request, response)
            return response

        wrapper.anonymous_page_scopes = scopes
        wrapper.anonymous_page_counter = counter
        return wrapper

    return decorator


def global_scopes(request: HttpRequest, *args, **kwargs) -> list[str]:
    """Scopes of the site-wide lists (latest, top, hot, tags…)."""
    return [GLOBAL_SCOPE]


# --- Invalidation -------------------------------------------------------------------------------


def pages_invalidate(
    *,
    topic_ids: Iterable[int] = (),
    post_ids: Iterable[int] = (),
    category_ids: Iterable[int] = (),
) -> None:
    """Bump the generations of these topics, of their categories (and parents) and the global
    one. Never raises: a failure is logged and the pages expire on their own."""
    from community.models import Category, Post, Topic

    try:
        topic_ids = {int(pk) for pk in topic_ids}
        post_ids = [int(pk) for pk in post_ids if pk]
        if post_ids:
            topic_ids.update(
                Post.objects.filter(pk__in=post_ids).values_list("topic_id", flat=True)
            )
        slugs: set[str] = set()
        for row in Topic.objects.filter(pk__in=topic_ids).values_list(
            "category__slug", "category__parent__slug"
        ):
            slugs.update(slug for slug in row if slug)
        category_ids = [int(pk) for pk in category_ids if pk]
        if category_ids:
            for row in Category.objects.filter(pk__in=category_ids).values_list(
                "slug", "parent__slug"
            ):
                slugs.update(slug for slug in row if slug)
        scopes = [topic_scope(pk) for pk in sorted(topic_ids)]
        scopes += [category_scope(slug) for slug in sorted(slugs)]
        generations_bump([*scopes, GLOBAL_SCOPE])
    except Exception:
        logger.warning("anonymous page cache not invalidated", exc_info=True)


def _after_commit(**ids) -> None:
    transaction.on_commit(functools.partial(pages_invalidate, **ids), robust=True)


def _topic_created(sender, *, topic_id, category_id=None, **kwargs) -> None:
    _after_commit(topic_ids=[topic_id], category_ids=[category_id])


def _topic_changed(sender, *, topic_id, **kwargs) -> None:
    _after_commit(topic_ids=[topic_id])


def _post_changed(sender, *, post_id, **kwargs) -> None:
    _after_commit(post_ids=[post_id])


def _topic_moved(sender, *, topic_id, from_category_id=None, to_category_id=None, **kwargs):
    _after_commit(topic_ids=[topic_id], category_ids=[from_category_id, to_category_id])


def connect_invalidation() -> None:
    """Listen to the community's own events (called once, from ``CommunityConfig.ready``)."""
    from community import events

    receivers = {
        events.topic_created: _topic_created,
        events.post_created: _topic_changed,
        events.post_edited: _post_changed,
        events.post_state_changed: _topic_changed,
        events.vote_changed: _post_changed,
        events.answer_accepted: _topic_changed,
        events.answer_unaccepted: _topic_changed,
        events.topic_moved: _topic_moved,
        events.topic_status_changed: _topic_changed,
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, dispatch_uid=f"community.caching.{receiver.__name__}")
