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
