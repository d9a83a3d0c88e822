"""django-machina 1.3.1 as the bench serves it: the settings of machina's "Getting started".

django-machina ships no settings module; this one follows its documentation (apps, middleware,
template directory and context processor, static directory, the `machina_attachments`
file-based cache, haystack's simple engine) on top of Django's `startproject` defaults, with:

* Django 4.2, the newest machina 1.3.1 supports (its release notes: Django 3.2-4.2);
* cache: local memory for `default`, as the documentation shows;
* templates: Django's default loaders (cached when DEBUG is off). The documentation lists the
  filesystem and app-directories loaders explicitly, which would turn the cache off and make
  every request re-read its templates: the bench does not hand the peer that handicap.
"""

import peer_common as common
from machina import MACHINA_MAIN_STATIC_DIR, MACHINA_MAIN_TEMPLATE_DIR

DEBUG = False
SECRET_KEY = common.SECRET_KEY
ALLOWED_HOSTS = common.ALLOWED_HOSTS
LOGGING = common.LOGGING
DATABASES = {"default": common.database()}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "mptt",
    "haystack",
    "widget_tweaks",
    "machina",
    "machina.apps.forum",
    "machina.apps.forum_conversation",
    "machina.apps.forum_conversation.forum_attachments",
    "machina.apps.forum_conversation.forum_polls",
    "machina.apps.forum_feeds",
    "machina.apps.forum_moderation",
    "machina.apps.forum_search",
    "machina.apps.forum_tracking",
    "machina.apps.forum_member",
    "machina.apps.forum_permission",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "machina.apps.forum_permission.middleware.ForumPermissionMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [MACHINA_MAIN_TEMPLATE_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "machina.core.context_processors.metadata",
            ],
        },
    }
]
STATIC_URL = "/static/"
STATIC_ROOT = str(common.VAR_DIR / "static")
STATICFILES_DIRS = [MACHINA_MAIN_STATIC_DIR]
MEDIA_ROOT = str(common.VAR_DIR / "media")
CACHES = {
    "default": common.locmem("machina-default"),
    "machina_attachments": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(common.VAR_DIR / "attachments-cache"),
    },
}
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS = [
    "can_see_forum",
    "can_read_forum",
    "can_start_new_topics",
    "can_reply_to_topics",
    "can_edit_own_posts",
    "can_post_without_approval",
    "can_create_polls",
    "can_vote_in_polls",
    "can_download_file",
]
ROOT_URLCONF = "machina_urls"
WSGI_APPLICATION = "peer_wsgi.application"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
