"""Webhooks in Chromium: an administrator registers an endpoint (a real HTTP receiver on
127.0.0.1), sends a test ping and reads the delivery in the log."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import wait_for
from tests.e2e.journeys import sign_in
from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The receiver listens on 127.0.0.1, which production refuses (SSRF guard).
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    """An HTTP server on 127.0.0.1 that answers 200 and keeps every request: (url, received)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append({"headers": dict(self.headers.items()), "json": json.loads(body)})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/causerie", received
    server.shutdown()
    server.server_close()


def test_an_administrator_registers_an_endpoint_and_pings_it(
    page: Page, live_server, receiver, browser_watch
):
    url, received = receiver
    administrator = UserFactory(username="admin_ada", administrator=True)
    sign_in(page, live_server, administrator)
    page.goto("/webhooks/")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.get_by_text("No endpoint is registered yet.")).to_be_visible()

    page.get_by_role("link", name="Register an endpoint").click()
    expect(page.get_by_role("heading", name="Register an endpoint", level=1)).to_be_visible()
    # Submitting without an event is refused on the form, nothing is saved.
    browser_watch.expect_status(400, r"/webhooks/new/$")
    page.get_by_role("textbox", name="Payload URL").fill(url)
    page.get_by_role("textbox", name="Description").fill("Our CRM")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text("Choose at least one event.")).to_be_visible()
    assert WebhookEndpoint.objects.count() == 0

    checkboxes = page.get_by_role("checkbox")
    assert checkboxes.count() >= 3
    checkboxes.first.check()
    checkboxes.nth(1).check()
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page.get_by_role("heading", name="Our CRM", level=1)).to_be_visible()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == url and len(endpoint.events) == 2
    expect(page.get_by_text("Nothing was delivered yet.", exact=False)).to_be_visible()

    page.get_by_role("button", name="Send test ping").click()
    expect(page.locator("#messages")).to_contain_text("Test ping queued")
    ping = wait_for(lambda: received[0] if received else None, message="no ping received")
    assert ping["json"]["event"] == "ping", ping
    assert "X-Causerie-Signature" in ping["headers"], ping["headers"]

    page.reload()
    log = page.get_by_role("table", name="Deliveries, newest first")
    rows = log.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ping")
    expect(rows.first).to_contain_text("200")
    delivery = WebhookDelivery.objects.get()
    expect(rows.first).to_contain_text(delivery.get_status_display())
    rows.first.get_by_role("link", name="ping").click()
    expect(page).to_have_url(re.compile(rf"/webhooks/deliveries/{delivery.pk}/$"))

    # Back on the list, the endpoint shows its delivery.
    page.goto("/webhooks/")
    row = page.get_by_role("row", name=re.compile("Our CRM"))
    expect(row).to_contain_text("1 delivery")
    expect(row).to_contain_text("Active")
