"""Settings for the test suite: the same composition, with CAREDESK_ENV=test."""

import os

os.environ["CAREDESK_ENV"] = "test"

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; production uses argon2
