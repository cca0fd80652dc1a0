"""Settings for the test suite: the real settings, with a development secret key."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: F403

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
# Separate channel-layer keys per test run, so leftovers from another run never arrive.
for _layer in CHANNEL_LAYERS.values():  # noqa: F405
    if "CONFIG" in _layer:
        _layer["CONFIG"]["prefix"] = f"parley-test-{os.getpid()}"
