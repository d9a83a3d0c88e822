"""ideas.network: only the voter's network is kept, never the address."""

from __future__ import annotations

import pytest

from ideas.network import network_of


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("203.0.113.77/32", "203.0.113.0/24"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        (" 192.0.2.1 ", "192.0.2.0/24"),
        ("", ""),
        (None, ""),
        ("not an address", ""),
        ("example.org", ""),
        ("999.1.1.1", ""),
        ("1" * 100, ""),
    ],
)
def test_network_of_keeps_the_prefix_only(address, network):
    assert network_of(address) == network
