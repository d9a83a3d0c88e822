"""Member Markdown → safe HTML: the only way user text becomes markup in Causerie.

Every piece of member-authored text that is shown as HTML (posts, previews, signatures,
private messages…) must go through :func:`render_markdown`, and any HTML that did not come
from it must go through :func:`sanitize_html`. Templates should mark only these results
as safe.

The pipeline has two independent layers, so that one bug is not enough for an XSS:

1. markdown-it-py, "commonmark" preset with raw HTML **off** (``html=False``; the
   preset's default is on), plus tables, strikethrough and linkify. A stricter
   ``validateLink`` than the library's (only http, https, mailto and relative URLs) is
   installed, so a bad link stays plain text instead of becoming an ``<a>`` without href.
   Causerie extensions are parser rules, not regexes over HTML: ``@mentions`` (a core rule
   over inline text tokens, so code and links are never touched) and ``[quote]`` blocks (a
   block rule).
2. nh3 (ammonia) with an explicit allowlist (:data:`ALLOWED_TAGS`,
   :data:`ALLOWED_ATTRIBUTES`, :data:`ALLOWED_CLASSES`), URL-scheme allowlist and a
   Python ``attribute_filter`` that re-checks every URL, class and ``data-post`` value.

Stored posts should keep both the Markdown source and the rendered HTML, and be re-rendered
when this module's allowlist or rules change.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_CLASSES",
    "ALLOWED_TAGS",
    "ALLOWED_URL_SCHEMES",
    "LINK_REL",
    "MAX_QUOTE_DEPTH",
    "MENTION_URL",
    "USERNAME_PATTERN",
    "RenderedPost",
    "extract_mentions",
    "plain_text",
    "quote_block",
    "render_markdown",
    "sanitize_html",
]

# ---------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------

#: Username syntax recognised after ``@`` and in ``[quote="…"]``. Must stay in step with
#: the account model's username validator, or some members cannot be mentioned.
USERNAME_PATTERN = r"[A-Za-z0-9_.\-]{1,30}"

#: Where a resolved mention links to (``username`` is URL-quoted).
MENTION_URL = "/u/{username}/"

#: Quotes nested deeper than this are left as plain text.
MAX_QUOTE_DEPTH = 3

#: Added by nh3 to every ``<a>``; ``ugc``/``nofollow`` deny spammers link juice, ``noopener``
#: stops reverse tab-nabbing if a browser extension adds ``target``.
LINK_REL = "nofollow ugc noopener"

ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "aside", "div",
        "ul", "ol", "li",
        "pre", "code", "em", "strong", "del", "s", "sup", "sub",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip

#: ``rel`` is not listed: nh3 sets it on every ``<a>`` (see :data:`LINK_REL`).
#: No ``id``/``name`` anywhere (DOM clobbering), no ``style``, no ``on*``, no ``hx-*``.
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "a": frozenset({"href", "title", "class"}),
        "img": frozenset({"src", "alt", "title"}),
        "ol": frozenset({"start"}),
        "code": frozenset({"class"}),
        "aside": frozenset({"class", "data-post"}),
        "div": frozenset({"class"}),
        "th": frozenset({"class"}),
        "td": frozenset({"class"}),
    }
)

#: Exact class values kept per tag; ``code`` additionally keeps ``language-<name>``.
ALLOWED_CLASSES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "a": frozenset({"mention"}),
        "aside": frozenset({"quote"}),
        "div": frozenset({"quote-title"}),
        "th": frozenset({"align-left", "align-center", "align-right"}),
        "td": frozenset({"align-left", "align-center", "align-right"}),
    }
)

# Dropping these with their content (rather than unwrapping them) matters for the raw-HTML
# path: their text is script, CSS or foreign markup, which is noise or worse once unwrapped.
_DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "object", "embed", "svg",
        "math", "textarea", "select", "title", "xmp", "noembed", "noframes", "plaintext",
    }
)  # fmt: skip

_LANGUAGE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.\-]{1,40}")
_DATA_POST_RE = re.compile(r"[0-9]{1,12}")
_OL_START_RE = re.compile(r"[0-9]{1,9}")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")
_PLAIN_URL_RE = re.compile(r"[\x21-\x7e]*")

# Removed before probing a URL for its scheme. Browsers drop tab/newline anywhere and
# strip controls and spaces at the ends; we also drop zero-width and bidi characters.
_IGNORABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


# ---------------------------------------------------------------------------------------
# URL policy, shared by the Markdown layer and the sanitizer layer
# ---------------------------------------------------------------------------------------


def _scheme_probe(url: str) -> str:
    # Strictly more aggressive than any browser: remove every control, format (zero-width,
    # bidi) and space character, and fold compatibility forms (fullwidth letters/colon).
    # If *that* looks like a forbidden scheme the URL is refused even if a browser would
    # have treated it as a harmless relative path.
    if _PLAIN_URL_RE.fullmatch(url):
        return url.lower()
    cleaned = "".join(ch for ch in url if unicodedata.category(ch) not in _IGNORABLE_CATEGORIES)
    return unicodedata.normalize("NFKC", cleaned).lower()


def _url_is_safe(url: str) -> bool:
    probe = _scheme_probe(url)
    # Browsers read "\" as "/" in http(s) URLs, so "/\host" is protocol-relative.
    if probe.startswith(("\\", "/\\")):
        return False
    match = _SCHEME_RE.match(probe)
    if match is not None:
        return match.group(1) in ALLOWED_URL_SCHEMES
    # A colon before any "/", "?" or "#" means the URL has *some* scheme we did not
    # recognise (e.g. a digit-first or mangled one): refuse rather than guess.
    head = re.split(r"[/?#]", probe, maxsplit=1)[0]
    return ":" not in head


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _image_src_allowed(src: str, image_hosts: frozenset[str], site_host: str | None) -> bool:
    # Only printable ASCII without backslash: markdown-it percent-encodes everything else,
    # and backslashes make urlsplit and browsers disagree about the host.
    if not src or "\\" in src or not _PLAIN_URL_RE.fullmatch(src):
        return False
    if src.startswith("/"):
        return not src.startswith("//")
    try:
        parts = urlsplit(src)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    host = _normalise_host(host)
    return host in image_hosts or (site_host is not None and host == site_host)


def _is_external(href: str, site_host: str | None) -> bool:
    if href.startswith("//"):
        return True
    try:
        parts = urlsplit(href)
        host = parts.hostname
    except ValueError:
        return True
    if parts.scheme.lower() not in ("http", "https"):
        return False
    return not host or site_host is None or _normalise_host(host) != site_host


def _validate_link(url: str) -> bool:
    return _url_is_safe(url.strip())


# ---------------------------------------------------------------------------------------
# Sanitizer
# ---------------------------------------------------------------------------------------


def _filter_classes(tag: str, value: str) -> str | None:
    allowed = ALLOWED_CLASSES.get(tag, frozenset())
    kept = [
        cls
        for cls in value.split()
        if cls in allowed or (tag == "code" and _LANGUAGE_CLASS_RE.fullmatch(cls))
    ]
    return " ".join(kept) if kept else None


@functools.lru_cache(maxsize=32)
def _cleaner(image_hosts: frozenset[str], site_host: str | None) -> nh3.Cleaner:
    # Built once per image policy: a Cleaner pre-compiles the allowlist, which is most of
    # nh3's per-call overhead on short posts.
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "a" and attr == "rel":
            return value  # the value nh3 itself inserts from LINK_REL
        if attr not in ALLOWED_ATTRIBUTES.get(tag, ()):
            return None
        if attr == "href":
            return value if _url_is_safe(value) else None
        if attr == "src":
            if not _url_is_safe(value):
                return None
            return value if _image_src_allowed(value, image_hosts, site_host) else None
        if attr == "class":
            return _filter_classes(tag, value)
        if attr == "data-post":
            return value if _DATA_POST_RE.fullmatch(value) else None
        if attr == "start":
            return value if _OL_START_RE.fullmatch(value) else None
        return value  # title / alt: plain text, escaped by the serializer

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(ALLOWED_URL_SCHEMES),
    )


def _policy_key(
    image_hosts: frozenset[str] | set[str], site_host: str | None
) -> tuple[frozenset[str], str | None]:
    return (
        frozenset(_normalise_host(h) for h in image_hosts),
        _normalise_host(site_host) if site_host else None,
    )


def sanitize_html(
    html: str,
    *,
    image_hosts: frozenset[str] = frozenset(),
    site_host: str | None = None,
) -> str:
    """Return ``html`` reduced to Causerie's allowlist. Safe on any untrusted input.

    Use it for HTML that did not come from :func:`render_markdown` (imports, e-mail
    bodies, legacy content). Elements outside :data:`ALLOWED_TAGS` are unwrapped (their
    text kept, escaped), except script-like/foreign elements, which are dropped with their
    content. ``<a>`` always gets ``rel="nofollow ugc noopener"``; URLs must be http, https,
    mailto or relative. ``<img src>`` is kept only for same-site paths (``/…`` but not
    ``//…``) or absolute http(s) URLs on ``image_hosts``/``site_host``; otherwise the src is
    removed (unlike :func:`render_markdown`, this function cannot rewrite the element into
    a link). The result is idempotent: sanitizing it again returns it unchanged.
    """
    return _cleaner(*_policy_key(image_hosts, site_host)).clean(html)


# ---------------------------------------------------------------------------------------
# Markdown extensions
# ---------------------------------------------------------------------------------------

_ENV_QUOTE_DEPTH = "causerie_quote_depth"
_ENV_QUOTE_BUDGET = "causerie_quote_budget"
_ENV_MENTIONS = "causerie_mentions"
_ENV_IMAGE_POLICY = "causerie_image_policy"

# Finding a [quote]'s closing line is a forward scan; with thousands of unterminated
# openers that is quadratic, so each document gets a fixed number of scanned lines.
# Real posts use a few hundred at most.
_QUOTE_SCAN_BUDGET = 200_000

_QUOTE_OPEN_RE = re.compile(
    r"\[quote"
    r'(?:=(?:"(?P<qname>[^"\[\]\\\n\r]{1,60})"|(?P<name>' + USERNAME_PATTERN + r")))?"
    r"(?:[ \t]+post=(?P<post>[0-9]{1,12}))?"
    r"[ \t]*\]",
    re.IGNORECASE,
)
_QUOTE_CLOSE_RE = re.compile(r"\[/quote\]", re.IGNORECASE)


def _line_text(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()


def _find_quote_close(state: StateBlock, start_line: int, end_line: int) -> int | None:
    budget: int = state.env.get(_ENV_QUOTE_BUDGET, _QUOTE_SCAN_BUDGET)
    nesting = 0
    line = start_line + 1
    found = None
    while line < end_line:
        budget -= 1
        if budget <= 0:
            break
        begin = state.bMarks[line] + state.tShift[line]
        if begin < state.eMarks[line] and state.sCount[line] < state.blkIndent:
            break  # dedented line: we have left the enclosing list item
        if state.src.startswith("[", begin) and not state.is_code_block(line):
            text = _line_text(state, line)
            if _QUOTE_CLOSE_RE.fullmatch(text):
                if nesting == 0:
                    found = line
                    break
                nesting -= 1
            elif _QUOTE_OPEN_RE.fullmatch(text):
                nesting += 1
        line += 1
    state.env[_ENV_QUOTE_BUDGET] = max(budget, 0)
    return found


def _quote_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.is_code_block(start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("[", begin):
        return False
    match = _QUOTE_OPEN_RE.fullmatch(_line_text(state, start_line))
    if match is None:
        return False
    depth: int = state.env.get(_ENV_QUOTE_DEPTH, 0)
    if depth >= MAX_QUOTE_DEPTH:
        return False
    close_line = _find_quote_close(state, start_line, end_line)
    if close_line is None:
        return False  # unterminated: the paragraph rule shows it as text
    if silent:
        return True

    username = match.group("qname") or match.group("name") or ""
    username = username.strip()
    post = match.group("post")

    old_parent, old_line_max = state.parentType, state.lineMax
    state.parentType = "container"
    state.lineMax = close_line  # keeps lazy paragraph continuation inside the quote

    token = state.push("quote_open", "aside", 1)
    token.block = True
    token.map = [start_line, close_line + 1]
    token.attrs = {"class": "quote"}
    if post is not None:
        token.attrs["data-post"] = str(int(post))
    token.meta = {"username": username, "post_id": int(post) if post is not None else None}

    if username:
        token = state.push("quote_title", "div", 0)
        token.block = True
        token.content = username

    token = state.push("quote_body_open", "blockquote", 1)
    token.block = True
    state.env[_ENV_QUOTE_DEPTH] = depth + 1
    try:
        state.md.block.tokenize(state, start_line + 1, close_line)
    finally:
        state.env[_ENV_QUOTE_DEPTH] = depth
    state.push("quote_body_close", "blockquote", -1).block = True
    state.push("quote_close", "aside", -1).block = True

    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = close_line + 1
    return True


_MENTION_RE = re.compile(r"@([A-Za-z0-9_.\-]+)")
# A mention must start a "word": after these (or a letter/digit) the "@" is part of an
# e-mail address, a URL, a handle like user@host, or an escaped construct.
_MENTION_BLOCKERS = frozenset("_.-@/+:&=%~")
_USERNAME_RE = re.compile(USERNAME_PATTERN)


def _mention_boundary_ok(prev: str) -> bool:
    return not prev or not (prev.isalnum() or prev in _MENTION_BLOCKERS)


def _split_mentions(text: str, prev: str, level: int, in_quote: bool) -> list[Token] | None:
    pieces: list[Token] = []
    last = 0
    for match in _MENTION_RE.finditer(text):
        start = match.start()
        before = text[start - 1] if start else prev
        if not _mention_boundary_ok(before):
            continue
        end = match.end()
        if text.startswith("@", end):
            continue  # user@host style handle, not ours
        name = match.group(1).rstrip(".")  # "thanks @bob." ends the sentence
        if not _USERNAME_RE.fullmatch(name):
            continue
        if start > last:
            pieces.append(_text_token(text[last:start], level))
        token = Token("mention", "", 0)
        token.content = "@" + name
        token.level = level
        token.meta = {"name": name, "in_quote": in_quote}
        pieces.append(token)
        last = start + 1 + len(name)
    if not pieces:
        return None
    if last < len(text):
        pieces.append(_text_token(text[last:], level))
    return pieces


def _text_token(content: str, level: int) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token


def _process_inline_children(children: list[Token], in_quote: bool) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    prev_char = ""
    for child in children:
        kind = child.type
        if kind == "link_open":
            link_depth += 1
        elif kind == "link_close":
            link_depth -= 1
        elif kind == "image":
            # An image that must be degraded to a link cannot become an <a> inside an <a>.
            child.meta["in_link"] = link_depth > 0
        elif kind == "text" and link_depth == 0 and "@" in child.content:
            split = _split_mentions(child.content, prev_char, child.level, in_quote)
            if split is not None:
                out.extend(split)
                prev_char = child.content[-1:]
                continue
        out.append(child)
        # Only plain text gives a preceding character; after any markup a mention may start.
        prev_char = child.content[-1:] if kind in ("text", "text_special") else ""
    return out


_TABLE_ALIGN_RE = re.compile(r"text-align:(left|center|right)")


def _postprocess_rule(state: StateCore) -> None:
    # Runs after linkify (so autolinked text is already inside <a>) and before text_join
    # (so a backslash-escaped "\@" is still a separate token and never starts a mention).
    quote_depth = 0
    for token in state.tokens:
        kind = token.type
        if kind == "quote_open":
            quote_depth += 1
        elif kind == "quote_close":
            quote_depth -= 1
        elif kind in ("th_open", "td_open") and token.attrs:
            # markdown-it emits style="text-align:…"; style is never allowed, classes are.
            style = str(token.attrs.pop("style", ""))
            align = _TABLE_ALIGN_RE.fullmatch(style)
            if align:
                token.attrs["class"] = "align-" + align.group(1)
        elif kind == "inline" and token.children and ("@" in token.content or "!" in token.content):
            token.children = _process_inline_children(token.children, quote_depth > 0)


def _render_mention(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    resolved: dict[str, str] = env.get(_ENV_MENTIONS) or {}
    username = resolved.get(token.meta["name"].lower())
    if username is None:
        return escapeHtml(token.content)
    href = MENTION_URL.format(username=url_quote(username, safe=""))
    return f'<a class="mention" href="{escapeHtml(href)}">@{escapeHtml(username)}</a>'


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    image_hosts, site_host = env.get(_ENV_IMAGE_POLICY) or (frozenset(), None)
    if _image_src_allowed(src, image_hosts, site_host):
        title = token.attrGet("title")
        title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}"{title_attr}>'
    # Off-site images are not embedded (trackers, hot-linking, mixed content): the reader
    # gets a link and decides.
    label = escapeHtml(alt or src)
    if token.meta.get("in_link"):
        return label
    return f'<a href="{escapeHtml(src)}">{label}</a>'


def _render_quote_title(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return f'<div class="quote-title">{escapeHtml(tokens[idx].content)}:</div>\n'


# Every link linkify-it can find contains "//" (scheme links), "@" (e-mail) or a dot
# followed by a non-space (bare domains). Its own pretest accepts any text with a ".", i.e.
# almost all prose, and then runs its large regexes over every text token: checking this
# first halves the linkify cost on typical posts without changing what gets linked.
_MAYBE_LINK_RE = re.compile(r"//|@|\.\S")


def _add_linkify_prefilter(md: MarkdownIt) -> None:
    linkify = md.linkify
    if linkify is None:
        raise RuntimeError("linkify-it-py is required (markdown-it-py[linkify])")
    pretest, test = linkify.pretest, linkify.test

    def quick_pretest(text: str) -> bool:
        return _MAYBE_LINK_RE.search(text) is not None and bool(pretest(text))

    def quick_test(text: str) -> bool:
        return _MAYBE_LINK_RE.search(text) is not None and bool(test(text))

    linkify.pretest = quick_pretest  # type: ignore[method-assign]
    linkify.test = quick_test  # type: ignore[method-assign]


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        # breaks: forum members expect a single newline to stay a line break, as on
        # Discourse and GitHub comments, not CommonMark's paragraph folding.
        {"html": False, "linkify": True, "typographer": False, "xhtmlOut": False, "breaks": True},
    )
    md.enable(["table", "strikethrough", "linkify"])
    # html=False already makes these no-ops; disabling them too means a future options
    # change cannot silently re-enable raw HTML.
    md.disable(["html_block", "html_inline"])
    md.validateLink = _validate_link  # type: ignore[method-assign]
    _add_linkify_prefilter(md)
    md.block.ruler.before(
        "fence",
        "causerie_quote",
        _quote_rule,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    md.core.ruler.before("text_join", "causerie_postprocess", _postprocess_rule)
    md.add_render_rule("mention", _render_mention)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("quote_title", _render_quote_title)
    return md


# Built once: configuring MarkdownIt compiles rule chains, far costlier than a render.
# The instance is not mutated after this point, so it is safe to share across threads.
_MD = _build_markdown()


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPost:
    """The result of :func:`render_markdown`.

    ``html`` is sanitized and may be marked safe in templates. ``mentions`` holds the
    usernames (spelled as the resolver returned them) mentioned *outside* quotes, i.e. the
    people to notify; mentions inside quotes are still linked but do not re-notify.
    ``quoted_post_ids`` are the ``post=`` ids of the outermost quotes, in order, without
    duplicates. ``link_count`` counts links to other hosts (including protocol-relative
    links and off-site images shown as links; with ``site_host=None`` every absolute
    http(s) link counts); relative links, mentions and mailto links are not counted.
    ``image_count`` counts images actually embedded.
    """

    html: str
    mentions: frozenset[str]
    quoted_post_ids: tuple[int, ...]
    link_count: int
    image_count: int


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.type == "inline" and token.children:
            yield from token.children


def render_markdown(
    source: str,
    *,
    resolve_mentions: Callable[[set[str]], set[str]] | None = None,
    image_hosts: frozenset[str] = frozenset(),
    site_host: str | None = None,
) -> RenderedPost:
    """Render member Markdown to sanitized HTML plus the facts callers act on.

    ``resolve_mentions`` is called at most once, with the candidate names exactly as typed
    (without ``@``). It must return the subset that belong to existing, mentionable
    members, matching **case-insensitively**, and may return the canonical spelling (e.g.
    given ``{"BOB"}`` return ``{"bob"}``); names it returns that were not asked for are
    ignored. Without a resolver no mention becomes a link and ``mentions`` is empty.

    ``image_hosts`` lists extra hosts whose images may be embedded (``site_host``, the
    site's own host, is implicitly allowed); other images become links.

    The caller must bound ``source`` length (the parser is linear-ish but not free: see
    ``bench/bench_rendering.py``). Rendering does no I/O except the resolver call.
    """
    policy = _policy_key(image_hosts, site_host)
    env: dict[str, Any] = {_ENV_IMAGE_POLICY: policy}
    tokens = _MD.parse(source, env)

    candidates: set[str] = set()
    notify: set[str] = set()
    quoted: list[int] = []
    quote_depth = 0
    link_count = 0
    image_count = 0
    for token in _walk(tokens):
        kind = token.type
        if kind == "mention":
            candidates.add(token.meta["name"])
            if not token.meta["in_quote"]:
                notify.add(token.meta["name"].lower())
        elif kind == "quote_open":
            post_id = token.meta["post_id"]
            if quote_depth == 0 and post_id is not None and post_id not in quoted:
                quoted.append(post_id)
            quote_depth += 1
        elif kind == "quote_close":
            quote_depth -= 1
        elif kind == "link_open":
            if _is_external(str(token.attrGet("href") or ""), policy[1]):
                link_count += 1
        elif kind == "image":
            if _image_src_allowed(str(token.attrGet("src") or ""), *policy):
                image_count += 1
            elif not token.meta.get("in_link"):
                link_count += 1

    resolved: dict[str, str] = {}
    if resolve_mentions is not None and candidates:
        asked = {name.lower() for name in candidates}
        for name in resolve_mentions(set(candidates)):
            # A resolver bug must not be able to inject markup or odd URLs.
            if isinstance(name, str) and _USERNAME_RE.fullmatch(name) and name.lower() in asked:
                resolved[name.lower()] = name
    env[_ENV_MENTIONS] = resolved

    html = _MD.renderer.render(tokens, _MD.options, env)
    return RenderedPost(
        html=_cleaner(*policy).clean(html),
        mentions=frozenset(resolved[key] for key in notify if key in resolved),
        quoted_post_ids=tuple(quoted),
        link_count=link_count,
        image_count=image_count,
    )


def extract_mentions(source: str) -> set[str]:
    """Return candidate usernames (as typed, without ``@``) that would notify someone.

    Same rules as :func:`render_markdown`: ignores code spans/blocks, link text, e-mail
    addresses, backslash-escaped ``\\@`` and text inside ``[quote]`` blocks. Existence is
    not checked; pass the result to your resolver.
    """
    return {
        token.meta["name"]
        for token in _walk(_MD.parse(source, {}))
        if token.type == "mention" and not token.meta["in_quote"]
    }


def _balance_quote_markers(text: str) -> str:
    # Unmatched [quote]/[/quote] lines in the quoted text would pair with our wrapper and
    # change its meaning; escaping them ("\[") keeps them visible as the text they were.
    lines = text.split("\n")
    opens: list[int] = []
    unmatched: set[int] = set()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _QUOTE_CLOSE_RE.fullmatch(stripped):
            if opens:
                opens.pop()
            else:
                unmatched.add(index)
        elif _QUOTE_OPEN_RE.fullmatch(stripped):
            opens.append(index)
    unmatched.update(opens)
    for index in unmatched:
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        lines[index] = line[:indent] + "\\" + line[indent:]
    return "\n".join(lines)


_QUOTE_NAME_DROP_RE = re.compile(r'["\[\]\\\r\n]')


def quote_block(*, username: str, post_id: int, source: str) -> str:
    """Return the Markdown that quotes ``source`` (a post's Markdown) in a reply.

    The result ends with a blank line so the reply text can follow directly. Characters
    that would break the ``[quote="…"]`` syntax are removed from ``username``; quote
    markers in ``source`` that would mis-pair with the wrapper are escaped.
    """
    if isinstance(post_id, bool) or not isinstance(post_id, int) or post_id < 0:
        raise ValueError(f"post_id must be a non-negative int, got {post_id!r}")
    name = _QUOTE_NAME_DROP_RE.sub("", username).strip()[:60]
    body = _balance_quote_markers(source.replace("\r\n", "\n").replace("\r", "\n").strip("\n"))
    head = f'[quote="{name}" post={post_id}]' if name else f"[quote post={post_id}]"
    return f"{head}\n{body.rstrip()}\n[/quote]\n\n"


_BLOCK_TAGS = frozenset(
    {
        "p", "div", "aside", "blockquote", "pre", "ul", "ol", "li", "table", "thead",
        "tbody", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "section",
        "article", "header", "footer",
    }
)  # fmt: skip
_SKIP_CONTENT_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
_WS_RE = re.compile(r"[ \t\r\n\f\v]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT_TAGS:
            self.skip += 1
        elif tag == "pre":
            self.pre += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img" and not self.skip:
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT_TAGS:
            self.skip = max(self.skip - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else _WS_RE.sub(" ", data))


def plain_text(html: str, limit: int | None = None) -> str:
    """Return the visible text of ``html`` (entities decoded), for excerpts and e-mails.

    The result is **text, not HTML**: escape it before putting it in markup (Django
    templates do). Blocks are separated by newlines, other whitespace collapsed; script and
    style content is dropped. With ``limit``, the result has at most ``limit`` characters,
    cut at a word boundary when one is near and ending with "…" when shortened.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    if limit is None or len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= (limit * 2) // 3:
        cut = cut[:space]
    return cut.rstrip(" \n\t.,;:!?-") + "…"
