"""The API documentation pages and the API token page in Chromium, and every page added with
them (API docs, tokens, insights, webhooks) on a phone and in French.

The insights journeys are in test_e2e_insights.py, the webhooks one in test_e2e_webhooks.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ApiToken
from tests.e2e.journeys import PHONE, sign_in, tab_to
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def _requests_of(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def _all_local(urls: list[str], live_server) -> None:
    """Every request the page made went to the live server (blob: and data: stay inside the
    browser): nothing is fetched from a CDN."""
    outside = [
        url
        for url in urls
        if not url.startswith(live_server.url) and not url.startswith(("blob:", "data:"))
    ]
    assert urls, "the page made no request at all"
    assert not outside, f"requests left the live server: {outside}"


def _assert_fits(page: Page, what: str) -> None:
    """Nothing sticks out sideways. With is_mobile, Chromium widens the layout viewport
    (window.innerWidth) to the content, so the page is measured against the screen too."""
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    screen = page.viewport_size["width"]
    assert width <= inner + 1, f"{what} is {width}px wide on a {inner}px phone"
    assert inner <= screen + 1, f"{what} widened the phone's layout viewport to {inner}px"


# --- API documentation ---------------------------------------------------------------------


def test_swagger_ui_renders_the_operations_from_the_live_server_only(
    page: Page, live_server, browser_watch
):
    urls = _requests_of(page)
    page.goto("/api/docs/")

    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    topics = page.locator(".opblock", has=page.locator('[data-path="/api/v1/topics/"]'))
    expect(topics.first).to_be_visible()
    assert topics.count() >= 2, "GET and POST /api/v1/topics/ are both documented"
    expect(page.locator(".opblock-summary-method", has_text="GET").first).to_be_visible()
    # Opening an operation shows its parameters, with the keyboard.
    summary = topics.first.locator(".opblock-summary-control")
    summary.focus()
    page.keyboard.press("Enter")
    expect(topics.first.locator(".opblock-body")).to_be_visible()
    browser_watch.screenshot(page, "swagger-operation-open")
    _all_local(urls, live_server)
    assert any("/api/schema/" in url for url in urls), urls


def test_redoc_renders_its_menu_from_the_live_server_only(page: Page, live_server, browser_watch):
    urls = _requests_of(page)
    page.goto("/api/redoc/")

    menu = page.locator(".menu-content")
    expect(menu).to_be_visible(timeout=20_000)
    expect(
        menu.get_by_text("Causerie API", exact=False).or_(menu.locator("li").first)
    ).to_be_visible()
    expect(page.locator("h1", has_text="Causerie API")).to_be_visible()
    assert menu.locator("li").count() >= 5, "the menu lists the API's sections"
    expect(page.get_by_text("/topics/", exact=False).first).to_be_attached()
    browser_watch.screenshot(page, "redoc")
    _all_local(urls, live_server)


# --- API tokens ----------------------------------------------------------------------------


def test_a_member_creates_uses_and_revokes_an_api_token(page: Page, live_server):
    member = UserFactory(username="tokenmia")
    sign_in(page, live_server, member)
    page.goto("/settings/tokens/")
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no API token.")).to_be_visible()

    name = page.get_by_label("Name")
    name.fill("My script")
    name.press("Enter")

    key_box = page.get_by_test_id("new-token")
    expect(key_box).to_be_visible()
    key = key_box.inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9_\-]{20,}", key), key
    assert ApiToken.objects.filter(user=member, name="My script").count() == 1

    # The page's own fetch, with the token and without the session cookie.
    answer = page.evaluate(
        """async (key) => {
            const response = await fetch('/api/v1/me/', {
                headers: {Authorization: 'Token ' + key}, credentials: 'omit'});
            return {status: response.status, body: await response.json()};
        }""",
        key,
    )
    assert answer["status"] == 200, answer
    assert answer["body"]["username"] == "tokenmia", answer

    # Reloading never shows the key again.
    page.goto("/settings/tokens/")
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("My script"))
    expect(row).to_be_visible()
    # Each Revoke button says which token it revokes.
    row.get_by_role("button", name="Revoke My script", exact=True).click()
    expect(page.get_by_text("You have no API token.")).to_be_visible()

    # The revoked key no longer works (a 401 is expected here).
    request = page.context.request
    refused = request.get(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Token {key}"}
    )
    assert refused.status == 401, refused.status


# --- Every new page on a phone, and in French ---------------------------------------------

# path, who may see it, a primary control (role, name in English), the English main heading
NEW_PAGES = [
    ("/settings/tokens/", "member", ("button", "Create a token"), "API tokens"),
    ("/insights/", "moderator", ("button", "Show"), "Community dashboard"),
    ("/insights/people/", "moderator", ("button", "Show"), "Influencers"),
    ("/insights/people/ambassadors/", "moderator", ("button", "Name ambassador"), "Ambassadors"),
    ("/insights/watch/", "moderator", ("button", "Watch"), "E-reputation watch"),
    ("/insights/reports/", "moderator", None, "Weekly report"),
    ("/webhooks/", "administrator", ("link", "Register an endpoint"), "Webhooks"),
    ("/webhooks/new/", "administrator", ("button", "Register"), "Register an endpoint"),
    ("/webhooks/{endpoint}/", "administrator", ("button", "Send test ping"), "Our CRM"),
]
# Headings that read the same in French (a word or the endpoint's own description): the French
# check looks at the primary control instead.
SAME_IN_FRENCH = {"Webhooks", "Our CRM"}
PAGE_IDS = [
    path.strip("/").replace("/", "-").replace("{endpoint}", "endpoint") for path, *_ in NEW_PAGES
]


def _people_and_content(path: str, who: str):
    """The three roles, and something on every page (a token, topics with replies, an
    ambassador, a watched term, an endpoint with a failed ping): returns the person to sign in
    and the page's path."""
    from accounts import services as account_services
    from insights import people, watch
    from webhooks import services as webhook_services

    member = UserFactory(username="member_mia", display_name="Mia with a fairly long name")
    manager = UserFactory(username="cm_camille", moderator=True)
    administrator = UserFactory(username="admin_ada", administrator=True)
    category = CategoryFactory(
        name="Aurora kettles with a rather long category name", slug="aurora"
    )
    for n in range(3):
        topic = TopicFactory(
            category=category, title=f"Kettle number {n} whistles far too loudly at dawn"
        )
        PostFactory(topic=topic, author=member, body="Descale it with citric acid.")
    account_services.api_token_create(actor=member, name="A script with a long descriptive name")
    people.ambassador_mark(actor=manager, member=member, note="Answers every kettle question")
    watch.watched_term_create(actor=manager, term="Aurora kettle", kind="product")
    endpoint = webhook_services.endpoint_create(
        actor=administrator,
        url="http://127.0.0.1:9/hooks/a-rather-long-path/for-our-customer-relationship-tool",
        events=["topic.created"],
        description="Our CRM",
    )
    webhook_services.endpoint_ping(actor=administrator, endpoint=endpoint)
    person = {"member": member, "moderator": manager, "administrator": administrator}[who]
    return person, path.format(endpoint=endpoint.pk)


@pytest.mark.parametrize(("path", "who", "control", "heading"), NEW_PAGES, ids=PAGE_IDS)
def test_new_page_on_a_phone(open_page, live_server, path, who, control, heading):
    person, path = _people_and_content(path, who)
    page = open_page(**PHONE)
    sign_in(page, live_server, person)
    page.goto(path)

    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    _assert_fits(page, path)
    inner = page.viewport_size["width"]
    if control:
        role, name = control
        target = page.get_by_role(role, name=name, exact=True).first
        target.scroll_into_view_if_needed()
        expect(target).to_be_visible()
        box = target.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner + 1, box
        assert box["height"] >= 24, f"{name} is too small to tap: {box}"


@pytest.mark.parametrize(("path", "who", "control", "heading"), NEW_PAGES, ids=PAGE_IDS)
def test_new_page_in_french(open_page, live_server, path, who, control, heading):
    person, path = _people_and_content(path, who)
    page = open_page(locale="fr-FR")
    sign_in(page, live_server, person)
    page.goto(path)

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    main_heading = page.locator("main h1").first
    expect(main_heading).to_be_visible()
    if heading in SAME_IN_FRENCH:
        # The heading is the same word in both languages: the primary control must not be.
        role, name = control
        expect(page.get_by_role(role, name=name, exact=True)).to_have_count(0)
    else:
        assert main_heading.inner_text().strip() != heading, f"{path}: the heading is English"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"], ids=["swagger", "redoc"])
def test_api_docs_on_a_phone(open_page, path):
    page = open_page(**PHONE)
    page.goto(path)
    ready = ".opblock" if path == "/api/docs/" else "h1"
    expect(page.locator(ready).first).to_be_visible(timeout=20_000)

    _assert_fits(page, path)


UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    "main input:not([type=hidden]), main select, main textarea, main button, main a[href]")]
  .filter((el) => el.offsetParent !== null || el.getClientRects().length)
  .filter((el) => {
    const named = (el.labels && [...el.labels].some((l) => l.textContent.trim()))
      || (el.getAttribute("aria-label") || "").trim()
      || el.getAttribute("aria-labelledby") || (el.getAttribute("title") || "").trim();
    const text = ["BUTTON", "A"].includes(el.tagName) && el.textContent.trim();
    return !(named || text);
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize(("path", "who", "control", "heading"), NEW_PAGES, ids=PAGE_IDS)
def test_new_page_with_the_keyboard(page: Page, live_server, path, who, control, heading):
    """Every control has a name, and Tab goes through the page to the footer (no trap)."""
    person, path = _people_and_content(path, who)
    sign_in(page, live_server, person)
    page.goto(path)

    assert page.evaluate(UNNAMED_CONTROLS) == [], f"{path}: controls without a name"
    if control:
        role, name = control
        tab_to(page, page.get_by_role(role, name=name, exact=True).first, limit=150)
    tab_to(page, page.locator("#language-select"), limit=250)


def test_a_new_token_fits_a_phone(open_page, live_server):
    """The key, shown once, can be read and selected whole on a phone."""
    page = open_page(**PHONE)
    sign_in(page, live_server, UserFactory(username="member_mia"))
    page.goto("/settings/tokens/")
    page.get_by_role("textbox", name="Token name").fill("Phone app")
    page.get_by_role("button", name="Create a token").click()

    key = page.get_by_test_id("new-token")
    expect(key).to_be_visible()
    _assert_fits(page, "the token page")
    inner = page.viewport_size["width"]
    box = key.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner + 1, box
    row = page.get_by_role("row", name=re.compile("Phone app"))
    revoke = row.get_by_role("button", name="Revoke Phone app", exact=True)
    revoke.scroll_into_view_if_needed()
    expect(revoke).to_be_in_viewport()
    _assert_fits(page, "the token page, its table scrolled")
