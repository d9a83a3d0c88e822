"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

- One Chromium serves a run of consecutive e2e tests; each test gets a fresh context (cookies,
  storage), so tests do not leak sessions into each other.
- The `page` fixture fails the test on any console error, uncaught script error, failed request,
  HTTP response >= 400 that the test did not announce with `browser_watch.expect_status(...)`,
  and any Content-Security-Policy violation.
- Every page load is photographed to var/screenshots/<test>/NN-<slug>.png, and once more at the
  end of the test, pass or fail.
- Without /usr/bin/chromium the tests skip, saying why; CI (CAUSERIE_REQUIRE_SERVICES=1) fails.

The live server runs in a thread of the test process, so `settings` overrides (the e-mail backend
for instance) reach it, and pytest-django's StaticFilesHandler serves /static/ from the finders,
whatever DEBUG is.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings

from tests.conftest import service_missing, wait_for

if TYPE_CHECKING:
    from email.message import EmailMessage

    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
# Console text that marks a CSP violation: Chromium's own report, and the line our init script
# logs from the `securitypolicyviolation` event (which carries the directive and the source).
CSP_MARKERS = ("Content Security Policy", "[csp-violation]")
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `[csp-violation] ${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
    ` in ${event.sourceFile || document.URL}:${event.lineNumber}`
  );
});
"""
WATCH_KEY = pytest.StashKey["BrowserWatch"]()


# --- One Chromium per run of e2e tests --------------------------------------------------------


class _Chromium:
    """Playwright and Chromium, started on first use and stopped after the last e2e test in a row.

    Playwright's sync API keeps an asyncio loop marked as running in the test thread while it is
    started. Django then refuses ORM calls from that thread (SynchronousOnlyOperation), so while
    the browser runs DJANGO_ALLOW_ASYNC_UNSAFE is set — Django's documented escape hatch for this
    case. Stopping right after the last e2e test keeps both the loop and the escape hatch away
    from the tests that run after them (a session-scoped fixture would leak them to every later
    test directory).
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._async_unsafe_before: str | None = None

    def get(self) -> Browser:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._async_unsafe_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
            except Exception:
                self.stop()
                raise
        return self._browser

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
            if self._async_unsafe_before is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._async_unsafe_before


_chromium = _Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    # After this test's fixtures (the database flush included) are torn down.
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("e2e") is None:
            _chromium.stop()


@pytest.fixture(scope="session", autouse=True)
def _chromium_stopped_at_exit() -> Iterator[None]:
    yield
    _chromium.stop()  # after an interrupted run (-x, Ctrl-C)


@pytest.fixture
def browser() -> Browser:
    if not CHROMIUM.exists():
        service_missing(f"needs Chromium at {CHROMIUM}: apt-get install chromium")
    return _chromium.get()


# --- Watching what the browser sees -----------------------------------------------------------


@dataclass
class BrowserWatch:
    """What went wrong in the browser during one test, and the test's screenshots."""

    screenshot_dir: Path
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)
    tolerated: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    shots: int = 0
    # Main-frame navigations started so far, and the count when each pending request started:
    # a request aborted because the page navigated away is not a failure. Chromium may report
    # the abort before the navigation that caused it, so aborts are judged when the test ends.
    navigations: int = 0
    request_generation: dict[int, int] = field(default_factory=dict)
    aborted: list[tuple[int, str]] = field(default_factory=list)
    # URLs the browser saved as downloads: Chromium reports their request as aborted.
    downloads: set[str] = field(default_factory=set)

    def expect_status(self, status: int, url_pattern: str) -> None:
        """Announce that a response with `status` for a URL matching `url_pattern` (a regex,
        searched) is part of the test, so the watch does not count it as a problem."""
        self.expected.append((status, re.compile(url_pattern)))

    def tolerate(self, pattern: str, *, reason: str) -> None:
        """Do not count problems matching `pattern` (a regex, searched in the problem's text).
        For a known defect only, with the reason and the fix it waits for."""
        self.tolerated.append((re.compile(pattern), reason))

    def _add(self, problem: str) -> None:
        if not any(pattern.search(problem) for pattern, _ in self.tolerated):
            self.problems.append(problem)

    def verdict(self) -> list[str]:
        """The problems, including aborted requests that no later navigation explains."""
        for started_in, problem in self.aborted:
            if started_in == self.navigations and not any(
                problem.endswith(f" {url}: net::ERR_ABORTED") for url in self.downloads
            ):
                self._add(problem)
        self.aborted.clear()
        return self.problems

    def _is_expected(self, status: int, url: str) -> bool:
        return any(s == status and p.search(url) for s, p in self.expected)

    def _expected_resource_url(self, url: str) -> bool:
        return any(p.search(url) for _, p in self.expected)

    # Listeners

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        where = message.location.get("url") or ""
        if any(marker in text for marker in CSP_MARKERS):
            self._add(f"CSP violation on {message.page.url if message.page else where}: {text}")
        elif message.type == "error":
            # Chromium logs every failed sub-resource as a console error; an expected status
            # (announced with expect_status) is not a problem.
            if text.startswith("Failed to load resource") and self._expected_resource_url(where):
                return
            self._add(f"console error at {where}: {text}")

    def on_download(self, download) -> None:
        self.downloads.add(download.url)

    def on_page_error(self, error: Exception) -> None:
        self._add(f"uncaught script error: {error}")

    def on_request(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.navigations += 1
        self.request_generation[id(request)] = self.navigations

    def on_request_finished(self, request: Request) -> None:
        self.request_generation.pop(id(request), None)

    def on_request_failed(self, request: Request) -> None:
        started_in = self.request_generation.pop(id(request), self.navigations)
        problem = f"request failed: {request.method} {request.url}: {request.failure}"
        if request.failure == "net::ERR_ABORTED":
            self.aborted.append((started_in, problem))
        else:
            self._add(problem)

    def on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        if not self._is_expected(response.status, response.url):
            self._add(f"HTTP {response.status} for {response.request.method} {response.url}")

    # Screenshots

    def screenshot(self, page: Page, label: str | None = None) -> Path | None:
        """Save the page as NN-<slug>.png, the slug taken from `label` or the page's path."""
        self.shots += 1
        slug = _slug(label or _path_of(page.url))
        path = self.screenshot_dir / f"{self.shots:02d}-{slug}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as error:  # a page navigating or closing under the camera
            if not page.is_closed():
                warnings.warn(f"screenshot {path} not taken: {error}", stacklevel=2)
            return None
        return path


def _path_of(url: str) -> str:
    match = re.match(r"^[a-z]+://[^/]+(?P<path>/[^?#]*)", url)
    path = match.group("path") if match else url
    return path.strip("/") or "home"


def _slug(text: str, length: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:length].strip("-") or "page"


@pytest.fixture
def browser_watch(request: pytest.FixtureRequest) -> BrowserWatch:
    name = _slug(request.node.name, length=120)
    screenshot_dir = Path(settings.VAR_DIR) / "screenshots" / name
    shutil.rmtree(screenshot_dir, ignore_errors=True)
    screenshot_dir.mkdir(parents=True)
    watch = BrowserWatch(screenshot_dir=screenshot_dir)
    request.node.stash[WATCH_KEY] = watch
    return watch


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail the test (not its teardown) when the browser saw problems."""
    __tracebackhide__ = True
    outcome_error: BaseException | None = None
    try:
        result = yield
    except BaseException as error:
        outcome_error = error
    watch = item.stash.get(WATCH_KEY, None)
    problems = watch.verdict() if watch is not None else []
    if problems:
        report = "\n".join(f"- {problem}" for problem in problems)
        if outcome_error is None:
            pytest.fail(f"the browser saw {len(problems)} problem(s):\n{report}")
        item.add_report_section("call", "browser problems", report)
    if outcome_error is not None:
        raise outcome_error
    return result


@pytest.fixture
def open_page(
    browser: Browser, live_server, browser_watch: BrowserWatch
) -> Iterator[Callable[..., Page]]:
    """Open a watched page in a fresh context; keyword arguments go to `browser.new_context`
    (viewport, locale, java_script_enabled...). Relative URLs resolve on the live server."""
    contexts = []
    pages: list[Page] = []

    def _open(**context_args) -> Page:
        options = {
            "base_url": live_server.url,
            "locale": "en-GB",
            "timezone_id": settings.TIME_ZONE,
            "color_scheme": "light",
            "viewport": {"width": 1280, "height": 800},
            **context_args,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("console", browser_watch.on_console)
        page.on("pageerror", browser_watch.on_page_error)
        page.on("request", browser_watch.on_request)
        page.on("requestfinished", browser_watch.on_request_finished)
        page.on("requestfailed", browser_watch.on_request_failed)
        page.on("response", browser_watch.on_response)
        page.on("download", browser_watch.on_download)
        page.on("load", browser_watch.screenshot)
        pages.append(page)
        return page

    yield _open
    for page in pages:
        if not page.is_closed():
            browser_watch.screenshot(page, f"end-{_path_of(page.url)}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A watched desktop page (1280x800, English) on the live server."""
    return open_page()


# --- Mail -------------------------------------------------------------------------------------


@dataclass
class MailFolder:
    """E-mails the live server writes with Django's file backend, one file per connection."""

    path: Path

    def messages(self) -> list[EmailMessage]:
        found = []
        for file in sorted(self.path.glob("*.log"), key=lambda f: f.stat().st_mtime):
            # The file backend writes each message followed by a line of 79 dashes.
            for chunk in file.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return found

    def wait_for_message(self, *, to: str, timeout: float = 10) -> EmailMessage:
        def find():
            return next((m for m in self.messages() if to in str(m["To"])), None)

        return wait_for(find, timeout=timeout, message=f"no e-mail to {to} in {self.path}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The message's plain-text body, decoded (quoted-printable lines joined)."""
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@pytest.fixture
def mail_folder(settings, tmp_path: Path) -> MailFolder:
    """Switch the site to the file e-mail backend, writing into a fresh temporary folder."""
    folder = tmp_path / "mail"
    folder.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)
    return MailFolder(folder)
