"""Settings of the bench's "bare" server: Causerie's own settings, one view that says "ok".

The request goes through the same WSGI handler and the same middleware (sessions, CSRF, auth,
CSP, locale…) as a real page, with the same database and cache settings, so its throughput is
the ceiling of the stack on this machine: no page can be faster. Used only by bench/run.py
(`DJANGO_SETTINGS_MODULE=bench.bare_settings`); the product's URLs are not touched.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
