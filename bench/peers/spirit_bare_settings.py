"""Spirit's settings and middleware, one view answering "ok" (see bare_urls.py)."""

from spirit_settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
