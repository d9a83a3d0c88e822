"""Where a webhook may go, and how it gets there: URL checks, the SSRF rule, and the one HTTP
POST of an attempt. No database here.

The SSRF rule
    Unless ``WEBHOOKS_ALLOW_PRIVATE_TARGETS`` is on, a target's host name is resolved with
    ``socket.getaddrinfo`` and *every* address it resolves to must be public: private
    (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 — cloud
    metadata services live there — and fe80::/10), shared (100.64/10), multicast, reserved
    and unspecified addresses are refused, IPv4-mapped IPv6 addresses by their IPv4 address.
    The check runs when an endpoint is saved and again at every attempt, and the attempt
    connects to the very address it checked (the host name is not resolved a second time):
    a name that resolved to a public address at registration and to 127.0.0.1 later (DNS
    rebinding) is refused at delivery time. Redirects are never followed, so a public
    endpoint cannot bounce the request inward either.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USER_AGENT = "Causerie-Webhooks/1.0"
#: Bytes of the receiver's answer kept in the delivery log.
EXCERPT_BYTES = 1024


class TargetRefused(Exception):
    """The target is not allowed (a non-public address) or cannot be resolved."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, what goes on the request line


def parse(url: str) -> Target:
    """Split an http(s) URL; raise ValidationError for anything else."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("The URL must start with http:// or https://."), code="scheme")
    if not parts.hostname:
        raise ValidationError(_("The URL must name a host."), code="host")
    if parts.username or parts.password:
        raise ValidationError(
            _("Put no user name or password in the URL: the secret signs every delivery."),
            code="credentials",
        )
    if parts.fragment:
        raise ValidationError(_("The URL must not contain a fragment (#…)."), code="fragment")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (443 if parts.scheme == "https" else 80),
        path=path,
    )


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(target: Target, *, allow_private: bool) -> list[str]:
    """The addresses to connect to, in resolver order; raise TargetRefused when the name does
    not resolve or — unless ``allow_private`` — when any of its addresses is not public."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(
            _("The host name “%(host)s” could not be resolved.") % {"host": target.host}
        ) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused(
            _("The host name “%(host)s” could not be resolved.") % {"host": target.host}
        )
    if not allow_private:
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise TargetRefused(
                _(
                    "“%(host)s” resolves to a private, loopback, link-local or reserved "
                    "address (%(address)s): webhooks only go to public addresses."
                )
                % {"host": target.host, "address": refused[0]}
            )
    return addresses


def validate(url: str, *, allow_private: bool) -> str:
    """Check a URL an administrator entered; return it cleaned, or raise ValidationError."""
    url = (url or "").strip()
    target = parse(url)
    try:
        resolve(target, allow_private=allow_private)
    except TargetRefused as exc:
        raise ValidationError(str(exc), code="target") from exc
    return url


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever the host name resolves to now;
    the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same for HTTPS: TLS to the checked address, the certificate checked for the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Outcome:
    """POST ``body`` to ``url`` once: the SSRF check, then one request to the checked address,
    no redirect followed. Never raises for a network or HTTP problem: the outcome says it."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = parse(url)
        address = resolve(target, allow_private=allow_private)[0]
    except (ValidationError, TargetRefused) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        return Outcome(None, "", _("Refused: %(reason)s") % {"reason": message}, elapsed())
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, address=address, timeout=timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(EXCERPT_BYTES)
        excerpt = raw.decode("utf-8", errors="replace")
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        # OSError covers refused connections, timeouts, TLS and DNS errors.
        detail = str(exc) or type(exc).__name__
        return Outcome(None, "", f"{type(exc).__name__}: {detail}"[:500], elapsed())
    finally:
        connection.close()
    error = ""
    if 300 <= status < 400:
        error = _("Redirects are not followed: register the final URL.")
    elif not 200 <= status < 300:
        error = _("The receiver answered HTTP %(status)d.") % {"status": status}
    return Outcome(status, excerpt, error, elapsed())
