"""Settings for Parley, read from the environment.

Development defaults are safe on a laptop; with ``DJANGO_DEBUG`` off the process refuses
to start until the settings that must not have a default (secret key, hosts) are given.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets admin and other generic classes be subscripted at runtime, as the type hints do.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. List the host names this server answers to, "
        "comma-separated (for example chat.example.com)."
    )
if not DEBUG and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS contains '*': name the host names this server answers to. "
        "A wildcard would let any website open agent sockets."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "chat",
    "chat.webhooks",
    "chat.api",
    "chat.privacy",
    "ninja",
    "chat.servicelevels",
    "chat.attachments",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The dashboard speaks the agent's browser language (LANGUAGES below; English else).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # An agent's own language preference over the browser's (and the browser's recorded).
    "dashboard.middleware.AgentLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords from one
# address, or for one user name, sign-in is refused for AXES_COOLOFF_TIME. Attempts are
# stored in the database, so the limit holds across processes. Admins unlock from the
# admin (Axes > Access attempts) or with `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# daphne (--proxy-headers behind the proxy) already put the client's address here; a
# client-sent X-Forwarded-For must not choose whose counter a failure lands on.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Reuse connections: every socket message is a short transaction, and opening a
        # connection for each one cost about a fifth of the server's time under load.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while a visitor's message is being written; the busy
    # timeout makes concurrent writers queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs: Django's tasks interface (the django-tasks backport), stored in the
# database by default so a task is enqueued in the same transaction as the change that
# caused it. Run the worker beside the servers: `python manage.py db_worker`.
TASKS: dict[str, Any] = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "chat.layers.ResilientRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s, which aborts channels-redis'
                # blocking BZPOPMIN (5 s) and tears sockets down: wait longer than that.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}
                ],
                "prefix": os.environ.get("CHANNELS_PREFIX", "parley"),
                "capacity": 1000,
                "expiry": 60,
                # Every socket re-joins its groups each CHAT_GROUP_REFRESH_SECONDS, so a
                # membership left behind by a killed process lapses within minutes.
                "group_expiry": 300,
            },
        }
    }
    CACHES: dict[str, Any] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CHANNELS_PREFIX", "parley"),
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "group_expiry": 300},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The dashboard's languages, the same as the widget's (chat/widget_text.py).
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# The widget is loaded by other websites: it must be fetchable cross-origin.
WHITENOISE_ALLOW_ALL_ORIGINS = True
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:inbox"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "support@localhost")
# An email that fails (SMTP down) is tried again this many times in all, backing off.
CHAT_EMAIL_ATTEMPTS = int(os.environ.get("CHAT_EMAIL_ATTEMPTS", "6"))
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "20"))

SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Browsers that once reached us over HTTPS never try plain HTTP again.
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)

# --- Chat ---------------------------------------------------------------------------
# Widget key of the site a client joins when it does not name one (the seed tutorial's
# client does not).
CHAT_DEFAULT_SITE = os.environ.get("CHAT_DEFAULT_SITE", "demo")
CHAT_MESSAGE_MAX_LENGTH = int(os.environ.get("CHAT_MESSAGE_MAX_LENGTH", "5000"))
# Inbound websocket frames larger than this are refused before they are parsed.
CHAT_FRAME_MAX_BYTES = int(os.environ.get("CHAT_FRAME_MAX_BYTES", "65536"))
# Per-connection token bucket: sustained frames per second, and the burst allowed.
CHAT_RATE_PER_SECOND = float(os.environ.get("CHAT_RATE_PER_SECOND", "5"))
CHAT_RATE_BURST = int(os.environ.get("CHAT_RATE_BURST", "20"))
# Frames refused by the rate limit before the socket is closed with 4429.
CHAT_RATE_STRIKES = int(os.environ.get("CHAT_RATE_STRIKES", "10"))
CHAT_NEW_CONVERSATIONS_PER_IP_HOUR = int(os.environ.get("CHAT_NEW_CONVERSATIONS_PER_IP_HOUR", "30"))
CHAT_TYPING_MIN_INTERVAL = float(os.environ.get("CHAT_TYPING_MIN_INTERVAL", "1.5"))
# channels-redis forgets group memberships after its group_expiry and when Redis
# restarts; each socket re-joins its groups this often.
CHAT_GROUP_REFRESH_SECONDS = float(os.environ.get("CHAT_GROUP_REFRESH_SECONDS", "60"))
# A visitor socket on an existing conversation that has not presented its token by then
# is closed (4401); one on a new conversation that has said nothing at all (no hello, no
# first message) after CHAT_HELLO_TIMEOUT_SECONDS is closed with 4408.
CHAT_AUTH_TIMEOUT_SECONDS = float(os.environ.get("CHAT_AUTH_TIMEOUT_SECONDS", "15"))
CHAT_HELLO_TIMEOUT_SECONDS = float(os.environ.get("CHAT_HELLO_TIMEOUT_SECONDS", "60"))
# Presence is a lease per socket, renewed by its process every third of the lease: the
# sockets of a killed process stop counting within one lease.
CHAT_PRESENCE_LEASE_SECONDS = float(os.environ.get("CHAT_PRESENCE_LEASE_SECONDS", "45"))
# How often each process turns expired leases into "went away" broadcasts.
CHAT_PRESENCE_SWEEP_SECONDS = float(os.environ.get("CHAT_PRESENCE_SWEEP_SECONDS", "5"))
# After an agent's last dashboard socket closes, they stay available this long (a reload
# or a flaky network is not leaving). Likewise for a visitor's last widget socket.
CHAT_AGENT_AWAY_GRACE_SECONDS = float(os.environ.get("CHAT_AGENT_AWAY_GRACE_SECONDS", "20"))
CHAT_VISITOR_AWAY_GRACE_SECONDS = float(os.environ.get("CHAT_VISITOR_AWAY_GRACE_SECONDS", "10"))
# An agent with no input at the dashboard for this long counts as away (0: never).
CHAT_AGENT_IDLE_AWAY_SECONDS = float(os.environ.get("CHAT_AGENT_IDLE_AWAY_SECONDS", "900"))
# Abuse limits that hold across sockets. Per process: open visitor sockets per IP.
CHAT_VISITOR_SOCKETS_PER_IP = int(os.environ.get("CHAT_VISITOR_SOCKETS_PER_IP", "50"))
# Shared cache (all processes): messages per visitor per minute, new visitors per IP per
# hour, new conversations per site per minute.
CHAT_VISITOR_MESSAGES_PER_MINUTE = int(os.environ.get("CHAT_VISITOR_MESSAGES_PER_MINUTE", "60"))
CHAT_NEW_VISITORS_PER_IP_HOUR = int(os.environ.get("CHAT_NEW_VISITORS_PER_IP_HOUR", "100"))
CHAT_SITE_NEW_CONVERSATIONS_PER_MINUTE = int(
    os.environ.get("CHAT_SITE_NEW_CONVERSATIONS_PER_MINUTE", "120")
)
# Visitor tokens older than this are refused (a fresh one is issued on every attach).
CHAT_VISITOR_TOKEN_MAX_AGE_DAYS = float(os.environ.get("CHAT_VISITOR_TOKEN_MAX_AGE_DAYS", "365"))

# --- Webhooks (chat/webhooks, docs/webhooks.md) ---------------------------------------
# Receivers on private, loopback, link-local, multicast or reserved addresses are refused
# (SSRF) unless this is on: only for a receiver on your own network, or tests.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_CONNECT_TIMEOUT_SECONDS", "5"))
WEBHOOK_READ_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_READ_TIMEOUT_SECONDS", "10"))
# A failed delivery is retried after 30 s, 1 min, 2 min, ... (capped at an hour) for a day
# after it was created, then marked failed.
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_DELAY_SECONDS", "3600"))
WEBHOOK_RETRY_WINDOW_SECONDS = float(os.environ.get("WEBHOOK_RETRY_WINDOW_SECONDS", "86400"))
# An endpoint with no successful delivery for this long is paused and its site's staff
# agents are mailed.
WEBHOOK_PAUSE_AFTER_SECONDS = float(os.environ.get("WEBHOOK_PAUSE_AFTER_SECONDS", "86400"))

# --- Attachments (chat/attachments, docs/attachments.md) ----------------------------
# Files are stored through Django's storage API: under MEDIA_ROOT by default, in an
# S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (the "s3" extra). MEDIA_URL is
# never served: every download goes through an authorised view.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "var" / "media")
MEDIA_URL = "media/"
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
CHAT_ATTACHMENT_MAX_BYTES = int(os.environ.get("CHAT_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
CHAT_ATTACHMENTS_PER_MESSAGE = int(os.environ.get("CHAT_ATTACHMENTS_PER_MESSAGE", "5"))
# Uploaded but not yet sent, per uploader and conversation.
CHAT_ATTACHMENTS_PENDING_MAX = int(os.environ.get("CHAT_ATTACHMENTS_PENDING_MAX", "20"))
# Types recognised by content (names as in docs/attachments.md). HTML, SVG, XML, scripts
# and executables are refused even when listed.
CHAT_ATTACHMENT_TYPES = env_list(
    "CHAT_ATTACHMENT_TYPES", "png,jpg,gif,webp,pdf,txt,csv,zip,docx,xlsx,pptx"
)
CHAT_ATTACHMENT_UPLOADS_PER_MINUTE = int(os.environ.get("CHAT_ATTACHMENT_UPLOADS_PER_MINUTE", "20"))
CHAT_ATTACHMENT_UPLOADS_PER_IP_HOUR = int(
    os.environ.get("CHAT_ATTACHMENT_UPLOADS_PER_IP_HOUR", "300")
)
# Images larger than this (all frames together) are refused: decompression bombs.
CHAT_ATTACHMENT_MAX_PIXELS = int(os.environ.get("CHAT_ATTACHMENT_MAX_PIXELS", "40000000"))
CHAT_ATTACHMENT_THUMBNAIL_PX = int(os.environ.get("CHAT_ATTACHMENT_THUMBNAIL_PX", "320"))
# Uploaded files never sent with a message are deleted after this long.
CHAT_ATTACHMENT_UNSENT_HOURS = float(os.environ.get("CHAT_ATTACHMENT_UNSENT_HOURS", "24"))
# Signed download links (emails) stop working after this long.
CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS = float(os.environ.get("CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS", "7"))

# --- REST API (chat/api, docs/api.md) ------------------------------------------------
# Requests per API token (or signed-in agent) per minute; more are answered 429.
API_RATE_PER_MINUTE = int(os.environ.get("API_RATE_PER_MINUTE", "120"))

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
# Where the demo shop page loads the widget from: the server's own address, reached from
# the shop's different origin (the shop is at http://localhost:8000/demo/).
CHAT_DEMO_SERVER = os.environ.get("CHAT_DEMO_SERVER", "http://127.0.0.1:8000")
# The demo shop is served in development only, unless asked for.
CHAT_DEMO_ENABLED = env_bool("CHAT_DEMO_ENABLED", False)
# The address visitors' browsers reach this server at; used in the embed snippet.
CHAT_PUBLIC_URL = os.environ.get("CHAT_PUBLIC_URL", "http://127.0.0.1:8000")


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{url!r} is not an http(s) URL (CHAT_PUBLIC_URL, CSRF_TRUSTED_ORIGINS)."
        )
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{parts.port or default}"


# The only origins whose pages may open agent sockets: this server's own public address
# and the trusted origins, matched on scheme, host and port.
CHAT_AGENT_ORIGINS = frozenset(
    _origin(url) for url in [CHAT_PUBLIC_URL, *CSRF_TRUSTED_ORIGINS] if "*" not in url
)
