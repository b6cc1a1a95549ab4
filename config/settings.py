"""caredesk settings: composed from config.env, with safe production defaults.

Policy and tenant settings are data (policy files and rows), never Django settings.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from config import env

ROOT = env.ROOT
ENV = env.get_str("CAREDESK_ENV", "development")
if ENV not in {"development", "test", "production"}:
    raise RuntimeError(f"CAREDESK_ENV must be development, test or production, not {ENV!r}")
PRODUCTION = ENV == "production"
DEBUG = ENV == "development"

DATA_DIR = Path(env.get_str("CAREDESK_DATA_DIR", str(ROOT / "var")))


def _secret_key() -> str:
    configured = env.get("CAREDESK_SECRET_KEY")
    if configured:
        return configured
    if PRODUCTION:
        raise RuntimeError("CAREDESK_SECRET_KEY is required when CAREDESK_ENV=production")
    # A development machine keeps one random key, so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.get_list("CAREDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "django_htmx",
    "axes",
    "caredesk.tenancy",
    "caredesk.sla",
    "caredesk.cases",
    "caredesk.incidents",
    "caredesk.sweep",
    "caredesk.maintenance",
    "caredesk.knowledge",
    "caredesk.notifications",
    "caredesk.ops",
    "caredesk.portal",
    "caredesk.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "config.middleware.ValueOutOfRangeMiddleware",
    "config.middleware.NulCharacterMiddleware",
    "caredesk.api.idempotency.IdempotencyMiddleware",
    # Last, so that a lock-out answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT / "caredesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.get_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'caredesk.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids upgrade deadlocks.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own backend, with aware datetimes sent in UTC (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    DATABASES["default"]["TEST"] = {"NAME": "test_caredesk"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenancy.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Log-in throttling (django-axes): lock the (user name, address) pair after N failures.
AXES_FAILURE_LIMIT = env.get_int("CAREDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "config.middleware.login_locked_out"

# The client address behind reverse proxies (config/env.py, CAREDESK_TRUSTED_PROXIES): one count for
# every throttle. django-ninja reads NINJA_NUM_PROXIES (unset, it would believe the whole of a
# forged X-Forwarded-For); django-axes takes the same function as the API's refused-token budget
# (its AXES_IPWARE_* settings only work through django-ipware, which caredesk does not install).
TRUSTED_PROXIES = env.get_count("CAREDESK_TRUSTED_PROXIES", 0)
NINJA_NUM_PROXIES = TRUSTED_PROXIES
AXES_CLIENT_IP_CALLABLE = "caredesk.api.base.client_address"

CACHES = {
    "default": {
        # Shared by every web process and worker without another server to run.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "caredesk_cache",
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if ENV == "test":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve static files from the apps directly outside production (no collectstatic step needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600

# E-mail (Django 6.1 mailers): development prints to the console; otherwise SMTP at CAREDESK_EMAIL_URL.
_email_url = env.get("CAREDESK_EMAIL_URL")
MAILERS: dict[str, dict[str, object]]
if _email_url is None and DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    _host, _, _port = (_email_url or "smtp://127.0.0.1:25").removeprefix("smtp://").partition(":")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": _host, "port": int(_port or 25), "timeout": 10},
        }
    }
DEFAULT_FROM_EMAIL = env.get_str("CAREDESK_DEFAULT_FROM_EMAIL", "caredesk@localhost")
# Notifications: how long a worker holds a claimed message (longer than any one send), and whether
# webhooks may reach private and loopback addresses (only tests and a local demo want that).
CAREDESK_NOTIFY_LEASE_SECONDS = env.get_int("CAREDESK_NOTIFY_LEASE_SECONDS", 120)
CAREDESK_WEBHOOK_ALLOW_PRIVATE = ENV == "test" or env.get_str("CAREDESK_WEBHOOK_ALLOW_PRIVATE", "0") == "1"

# Security. Strict CSP: no inline script or style anywhere.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are Secure, for path / and never sent to another host (ASVS 5 3.3.1, 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CAREDESK_POLICY_FILE = env.get_str(
    "CAREDESK_POLICY_FILE", str(ROOT / "caredesk" / "policies" / "cloud-resellers-v4.toml")
)
CAREDESK_API_RATE = env.get_str("CAREDESK_API_RATE", "600/m")
# Refused bearer tokens per client address before the answer is 429 (caredesk.api.base).
CAREDESK_API_FAILED_AUTH_RATE = env.get_str("CAREDESK_API_FAILED_AUTH_RATE", "30/m")
# The scanner reads about 1 MB/s per core (docs/sanitizer.md): 10 MiB keeps an upload under ~10 s.
CAREDESK_UPLOAD_MAX_BYTES = env.get_int("CAREDESK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Extra customer-data patterns for the upload scanner: [(name, regex), ...] (data, not code paths).
CAREDESK_SANITIZER_PATTERNS: list[tuple[str, str]] = []
NINJA_PAGINATION_MAX_LIMIT = 100
# The background sweep (caredesk.sweep): seconds between sweeps, alerts per transaction, and how long
# a warning instant waits before the sweep reads past it (longer than any case write takes to commit).
CAREDESK_SWEEP_INTERVAL = env.get_int("CAREDESK_SWEEP_INTERVAL", 30)
CAREDESK_SWEEP_BATCH = env.get_int("CAREDESK_SWEEP_BATCH", 500)
CAREDESK_SWEEP_SETTLE = env.get_int("CAREDESK_SWEEP_SETTLE", 15)
CAREDESK_REPORTS_PREPARE_INTERVAL = env.get_int("CAREDESK_REPORTS_PREPARE_INTERVAL", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "INFO" if ENV != "test" else "WARNING"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
