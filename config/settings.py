"""Causerie settings: one file, read from the environment (a `.env` file is honoured).

With nothing set, Causerie runs *embedded*: SQLite under `var/`, Celery tasks executed eagerly
in the web process, the local-memory cache and e-mails written to files under `var/mail/`.
`DATABASE_URL` switches to PostgreSQL; `REDIS_URL` to the Redis cache and a Redis Celery broker
with real workers. `DJANGO_ENV=production` turns on the deployment hardening that
`manage.py check --deploy` expects. `.env.example` lists every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


# --- Mode -------------------------------------------------------------------------------------
DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
DATABASE_URL = env("DATABASE_URL")
REDIS_URL = env("REDIS_URL")
EMBEDDED = not DATABASE_URL and not REDIS_URL

VAR_DIR = Path(env("CAUSERIE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# DEBUG is only ever on in the embedded default, never by accident on a shared deployment.
DEBUG = env_bool("DJANGO_DEBUG", EMBEDDED and not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "django-insecure-causerie-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_filters",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "community",
    "ideas",
    "moderation",
    "notifications",
    "webhooks",
    "insights",
    "demo",  # the demo-data generator; it depends on every app, so it comes last
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A GET whose database connection dies mid-request is answered again (config/db_retry.py).
    "config.db_retry.RetryReadsOnConnectionLossMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Serves anonymous pages from the cache before the rest of the stack (community/caching.py).
    "community.caching.AnonymousPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "moderation.middleware.SuspensionMiddleware",
    "accounts.middleware.VisitMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Persistent connections: without them every request pays a new PostgreSQL connection, which
# divides the stack's ceiling by ~8 on this hardware (see shared/PERFORMANCE.md).
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "causerie.sqlite3",
            "OPTIONS": {
                # WAL and a busy timeout let the eager Celery tasks and the web process share the
                # file without "database is locked" errors on a laptop.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
# Read replica (config/db_router.py, docs/deploy.md): safe web requests read from it, writes,
# tasks, commands and a client's requests for DATABASE_REPLICA_PIN_SECONDS after it wrote use
# the primary. In tests the replica mirrors `default` (one test database).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_URL and DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
    DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 5)
    # Outside SessionMiddleware, so that the session it saves counts as a write.
    MIDDLEWARE.insert(1, "config.db_router.ReplicaMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
# Redis down must not mean a site down: config.cache.TolerantRedisCache is Django's RedisCache
# answering as an empty cache while Redis is unreachable (allauth's rate limits and DRF's
# throttle would otherwise answer 500); see its docstring for what each call does then.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "causerie"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication (django-allauth, current setting names) -----------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "accounts.validators.USERNAME_VALIDATORS"
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Causerie] "
ACCOUNT_RATE_LIMITS_ENABLED = env_bool("ACCOUNT_RATE_LIMITS_ENABLED", True)
# allauth's defaults (login_failed: 10/m/ip and 5 failures per account in 5 minutes) stay on;
# this only makes them explicit so a reader sees them.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("SITE_NAME", "Causerie")
# When on, members of a staff role (moderator, brand staff, administrator) must set up TOTP
# before they can use the site.
CAUSERIE_REQUIRE_2FA_FOR_STAFF = env_bool("CAUSERIE_REQUIRE_2FA_FOR_STAFF", False)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise) ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail -----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Causerie <community@causerie.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A worker that dies mid-task must not lose it: acknowledge after the task ran, and requeue
# when the worker process is lost. Tasks are idempotent, so a second run is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task running when the broker connection drops finishes, and its acknowledgement is delivered
# once Redis is back (config/celery_redis.py); cancelling it (Celery 6's planned default) could
# cut an e-mail between the SMTP server's "250 OK" and the row marked sent.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page's meta tag, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy, a second wall behind the Markdown sanitizer: no inline script at all.
# data: images are needed only for the TOTP QR code that allauth draws as an inline SVG.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Eager tasks would log every execution inside the web process (and the demo seed).
        "celery.app.trace": {"level": "INFO" if not CELERY_TASK_ALWAYS_EAGER else "WARNING"},
    },
}

# --- REST API (config/api/, each app's api.py) -------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens for integrations, session for the site's own pages (DRF enforces CSRF on it).
        # The token class comes first: its WWW-Authenticate header turns "not logged in" into 401.
        "config.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.TrustLevelThrottle"],
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per minute through the API, by trust level ("anon" for visitors). Staff roles count
# as the highest level. Services keep their own daily limits (topics, posts, votes) on top.
API_THROTTLE_RATES = {
    "anon": env("API_THROTTLE_ANON", "60/min"),
    0: env("API_THROTTLE_TL0", "60/min"),
    1: env("API_THROTTLE_TL1", "120/min"),
    2: env("API_THROTTLE_TL2", "240/min"),
    3: env("API_THROTTLE_TL3", "480/min"),
    4: env("API_THROTTLE_TL4", "960/min"),
}
API_MAX_PAGE_SIZE = 100
SPECTACULAR_SETTINGS = {
    "TITLE": "Causerie API",
    "DESCRIPTION": (
        "The community over HTTP: members, moderators and integrations use the same rules as "
        "the web pages. Authenticate with `Authorization: Token <token>` "
        "(POST /api/v1/auth/token/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("status", "kind") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "IdeaStatusEnum": "ideas.models.IdeaStatus",
        "FlagStatusEnum": "moderation.models.FlagStatus",
        "ReviewItemStatusEnum": "moderation.models.ItemStatus",
        "ReviewItemKindEnum": "moderation.models.ItemKind",
        "TopicKindEnum": "community.models.TopicKind",
        "ContentStateEnum": "community.models.ContentState",
        "NotificationKindEnum": "notifications.models.NotificationKind",
    },
    # Assets from drf-spectacular-sidecar: nothing loads from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # 429 (throttles) on every operation, 401 on those needing authentication: once, there.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.postprocess_error_responses",
    ],
}

# --- Causerie ---------------------------------------------------------------------------------
SITE_NAME = env("SITE_NAME", "Causerie")
BRAND_NAME = env("BRAND_NAME", "Kettlebrook")

# Trust levels, in the spirit of Discourse (0 new, 1 basic, 2 member, 3 regular, 4 leader).
# Each level's requirements; a member is promoted when every figure is reached. Level 4 is
# granted by staff only, as in Discourse. Reading time ("time_read_minutes") is counted in
# UserStats but not measured yet (it needs a reading beacon in the topic page), so no level
# requires it: a requirement that can never be met would block every promotion.
TRUST_LEVEL_REQUIREMENTS = {
    1: {"topics_entered": 5, "posts_read": 30},
    2: {
        "days_visited": 15,
        "topics_entered": 20,
        "posts_read": 100,
        "likes_given": 1,
        "likes_received": 1,
        "posts_created": 3,
    },
    3: {
        "days_visited": 50,
        "topics_entered": 200,
        "posts_read": 500,
        "likes_given": 30,
        "likes_received": 20,
        "posts_created": 10,
    },
}

# Community (topics, posts, votes). Bounds follow Discourse's defaults loosely; rate limits are
# per rolling 24 hours and per trust level (staff roles are exempt).
COMMUNITY_TITLE_MIN = 8
COMMUNITY_TITLE_MAX = 200
COMMUNITY_BODY_MIN = 1
COMMUNITY_BODY_MAX = 50_000
COMMUNITY_MAX_TAGS = 5
COMMUNITY_TAG_MAX_LENGTH = 30
COMMUNITY_MAX_MENTIONS = 10
# How long an author may edit their own post (Discourse: 1440 min for new users).
COMMUNITY_EDIT_WINDOW_MINUTES = env_int("COMMUNITY_EDIT_WINDOW_MINUTES", 1440)
COMMUNITY_MIN_TRUST_TO_VOTE = 0
COMMUNITY_DAILY_LIMITS = {
    "topics": {0: 3, 1: 10, 2: 20, 3: 50, 4: 100},
    "posts": {0: 20, 1: 100, 2: 200, 3: 500, 4: 1000},
    "votes": {0: 10, 1: 50, 2: 100, 3: 200, 4: 500},
}
# Extra hosts whose images may be embedded in posts (the site's own host always may).
COMMUNITY_IMAGE_HOSTS = env_list("COMMUNITY_IMAGE_HOSTS")
SITE_HOST = env("SITE_HOST")
# Topic views are counted in the cache and flushed to the database every minute by the beat.
# Without a beat (the embedded default runs tasks eagerly) each view is written through.
COMMUNITY_VIEW_COUNTS_BUFFERED = env_bool(
    "COMMUNITY_VIEW_COUNTS_BUFFERED", not CELERY_TASK_ALWAYS_EAGER
)
# Reputation earned by the author of a post (Stack Exchange's figures).
REPUTATION = {"upvote": 10, "downvote": -2, "accepted_answer": 15}

# --- Anonymous page cache (community/caching.py) ------------------------------------------------
# Topic lists and topic pages are cached whole for anonymous visitors and invalidated by the
# community's events; the TTL is the safety net for changes no event announces (a category
# renamed, view counts). Members are never served from this cache. Off: every page is rendered
# (`bench/run.py --anon-cache off` measures that).
COMMUNITY_ANON_CACHE = env_bool("COMMUNITY_ANON_CACHE", True)
COMMUNITY_ANON_CACHE_SECONDS = env_int("COMMUNITY_ANON_CACHE_SECONDS", 60)
