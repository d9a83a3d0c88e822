"""Spirit 0.14.3 as the bench serves it: Spirit's own project settings, production-like.

Spirit ships its recommended settings as the project template of `spirit-startproject`
(`settings/base.py`, importable from the package); this module imports them and overrides only
what a deployment must set (database, secret, hosts, DEBUG) plus:

* cache: local memory for `default` and `st_rate_limit`. The template's defaults are
  DatabaseCache tables; local memory is never slower, so the peer is not handicapped.
* static files: plain `StaticFilesStorage` (the template's base; its prod module switches to
  the manifest storage, which needs a collectstatic): the measured pages only build URLs.
* search index and media under the peer's var directory, logging to stderr.
"""

import peer_common as common
from spirit.extra.project_template.project_name.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = common.SECRET_KEY
ALLOWED_HOSTS = common.ALLOWED_HOSTS
LOGGING = common.LOGGING
DATABASES = {"default": common.database()}
CACHES = {
    "default": common.locmem("spirit-default"),
    "st_rate_limit": common.locmem("spirit_rl_cache", TIMEOUT=None),
}
ROOT_URLCONF = "spirit_urls"
WSGI_APPLICATION = "peer_wsgi.application"
MEDIA_ROOT = str(common.VAR_DIR / "media")
STATIC_ROOT = str(common.VAR_DIR / "static")
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": str(common.VAR_DIR / "st_search"),
    }
}
ST_SITE_URL = "http://127.0.0.1/"
