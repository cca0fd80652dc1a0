"""Settings for the test suite: the real settings, with a development secret key."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
# Separate channel-layer and cache keys per test run, so leftovers of another run never
# arrive. Set in the environment so the daphne processes the tests start share it.
# pytest-xdist workers inherit the controller's environment (it loads these settings
# first), so each worker adds its own name: two workers must never share groups or
# rate-limit counters on one Redis.
_prefix = os.environ.setdefault("CHANNELS_PREFIX", f"parley-test-{os.getpid()}")
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and not _prefix.endswith("-" + _worker):
    os.environ["CHANNELS_PREFIX"] = f"{_prefix}-{_worker}"

from config.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the daphne processes of the browser tests share it. One per
    # test run, so two runs on one machine never meet.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    # One test database per run on a shared server too: two runs (two checkouts, an
    # engineer's and CI's) must never create, flush or drop each other's tables.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405

# Tests open connections from worker threads; persistent ones would outlive the test
# database and block its removal on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CHAT_DEMO_ENABLED = True  # pytest-django turns DEBUG off; the demo page is under test

# Fast hashing for the many test sign-ins; the default hasher stays available.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Browser tests run daphne on these settings too; their mail goes to files they can read.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))  # noqa: F405
