"""Registering endpoints: who may, which URLs (the SSRF rule), which events."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from webhooks import conf, services, targets
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def production_rule(settings):
    """As in production: private targets refused."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


def _create(actor, url, events=("topic.created",), **kwargs):
    return services.endpoint_create(actor=actor, url=url, events=list(events), **kwargs)


def test_the_setting_defaults_to_refusing_private_targets(settings, monkeypatch):
    del settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", raising=False)
    assert conf.allow_private_targets() is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1")
    assert conf.allow_private_targets() is True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "http://localhost/hook",
        "https://localhost:8443/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(production_rule, administrator, url):
    with pytest.raises(ValidationError) as refused:
        _create(administrator, url)
    assert "url" in refused.value.message_dict
    assert "public addresses" in " ".join(refused.value.message_dict["url"])
    assert not WebhookEndpoint.objects.exists()


def test_a_host_name_is_refused_if_any_of_its_addresses_is_private(
    production_rule, administrator, monkeypatch
):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(ValidationError, match=r"10\.1\.2\.3"):
        _create(administrator, "https://mixed.example.com/hook")


def test_a_public_target_is_accepted(production_rule, administrator, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1111", port, 0, 0))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    endpoint = _create(administrator, "https://crm.example.com/hooks?source=causerie")
    assert endpoint.url == "https://crm.example.com/hooks?source=causerie"


def test_an_unresolvable_host_is_refused(production_rule, administrator, monkeypatch):
    def fake_getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(ValidationError, match="could not be resolved"):
        _create(administrator, "https://nowhere.invalid/hook")


def test_loopback_is_allowed_when_the_setting_allows_it(administrator, receiver):
    assert _create(administrator, receiver.url).url == receiver.url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("http:///no-host", "name a host"),
        ("http://user:pass@127.0.0.1/hook", "no user name or password"),
        ("http://127.0.0.1:99999/hook", "valid URL"),
        ("", "http:// or https://"),
    ],
)
def test_only_plain_http_and_https_urls_are_accepted(administrator, url, message):
    with pytest.raises(ValidationError, match=message):
        _create(administrator, url)


def test_events_must_be_known_and_at_least_one(administrator, receiver):
    with pytest.raises(ValidationError) as unknown:
        _create(administrator, receiver.url, events=["topic.created", "user.deleted"])
    assert "user.deleted" in unknown.value.message_dict["events"][0]
    with pytest.raises(ValidationError, match="at least one"):
        _create(administrator, receiver.url, events=[])
    endpoint = _create(
        administrator, receiver.url, events=["decision.made", "topic.created", "topic.created"]
    )
    assert endpoint.events == ["topic.created", "decision.made"]


def test_a_short_secret_is_refused_and_an_empty_one_generated(administrator, receiver):
    with pytest.raises(ValidationError, match="at least 16"):
        _create(administrator, receiver.url, secret="short")
    endpoint = _create(administrator, receiver.url, secret="")
    assert len(endpoint.secret) >= 32
    assert endpoint.owner == administrator and endpoint.owner_name == administrator.username


@pytest.mark.parametrize("role", ["member", "moderator", "brand_staff"])
def test_only_administrators_manage_endpoints(request, role, administrator, receiver):
    someone = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        _create(someone, receiver.url)
    endpoint = _create(administrator, receiver.url)
    (delivery,) = services.event_record(event="topic.created", data={})
    for call in (
        lambda: services.endpoint_update(actor=someone, endpoint=endpoint, events=["post.created"]),
        lambda: services.endpoint_delete(actor=someone, endpoint=endpoint),
        lambda: services.endpoint_enable(actor=someone, endpoint=endpoint),
        lambda: services.endpoint_disable(actor=someone, endpoint=endpoint),
        lambda: services.endpoint_ping(actor=someone, endpoint=endpoint),
        lambda: services.delivery_redeliver(actor=someone, delivery=delivery),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).events == ["topic.created"]
    assert WebhookDelivery.objects.count() == 1


def test_update_keeps_the_secret_unless_a_new_one_is_given(
    administrator, receiver, production_rule
):
    with_private = receiver.url
    from django.test import override_settings

    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True):
        endpoint = _create(administrator, with_private, secret="the-first-secret-0001")
    endpoint = services.endpoint_update(
        actor=administrator, endpoint=endpoint, events=["post.created"], secret=""
    )
    assert endpoint.secret == "the-first-secret-0001"
    assert endpoint.events == ["post.created"]
    # The unchanged (private) URL is not checked again; a new private one is refused.
    with pytest.raises(ValidationError):
        services.endpoint_update(actor=administrator, endpoint=endpoint, url="http://10.0.0.1/")
    endpoint = services.endpoint_update(
        actor=administrator, endpoint=endpoint, secret="the-second-secret-002"
    )
    assert endpoint.secret == "the-second-secret-002"


def test_deleting_an_endpoint_deletes_its_log(administrator, receiver):
    endpoint = _create(administrator, receiver.url)
    services.event_record(event="topic.created", data={})
    services.endpoint_delete(actor=administrator, endpoint=endpoint)
    assert not WebhookDelivery.objects.exists()


def test_the_subscription_cache_follows_endpoint_changes(administrator, receiver):
    from webhooks.selectors import subscribed_events

    assert subscribed_events() == frozenset()
    endpoint = _create(administrator, receiver.url, events=["idea.created"])
    assert subscribed_events() == {"idea.created"}
    services.endpoint_update(actor=administrator, endpoint=endpoint, events=["post.created"])
    assert subscribed_events() == {"post.created"}
    services.endpoint_disable(actor=administrator, endpoint=endpoint)
    assert subscribed_events() == frozenset()
