"""The voter's network, never their address: what the vote-integrity report compares.

Accounts keep no sign-up IP. At vote time the web view passes ``request.META["REMOTE_ADDR"]``
to :func:`network_of`, and only the network is stored on the vote: the /24 of an IPv4
address, the /48 of an IPv6 address (a site's allocation). That is enough to see "twenty
supports from one office network" and too coarse to identify a person or a household, which
is what privacy asks (GDPR data minimisation). IPv4-mapped IPv6 addresses count as IPv4.

Behind a reverse proxy REMOTE_ADDR is the proxy's address: the deployment must set it from the
trusted forwarding header (docs/deploy.md), or every vote shares one network.
"""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def network_of(address: object) -> str:
    """``"203.0.113.0/24"`` for ``"203.0.113.77"``, ``"2001:db8:1::/48"`` for an IPv6
    address; ``""`` for anything that is not an IP address (absent, garbage, a hostname).
    A network given in place of an address is truncated the same way, so whatever a caller
    passes, no more than the prefix is ever kept."""
    text = str(address or "").strip()
    if not text or len(text) > 64:
        return ""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return ""
    ip = network.network_address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    prefix = min(prefix, network.prefixlen if network.version == ip.version else prefix)
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
