"""Settings for the test suite: the same composition, with CAREDESK_ENV=test."""

import os

os.environ["CAREDESK_ENV"] = "test"

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; production uses argon2

import tempfile  # noqa: E402

# Uploaded files of a test run go to a fresh directory, never into the developer's var/.
STORAGES = {
    **STORAGES,  # noqa: F405
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="caredesk-test-files-")},
    },
}

# Every Django test client builds its own middleware chain, and WhiteNoise otherwise stats and
# indexes every static file each time (about 80 ms, a fifth of a page test's time); in autorefresh
# mode it looks a file up when one is asked for, as in development.
WHITENOISE_AUTOREFRESH = True
