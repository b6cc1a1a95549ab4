import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Import the URL configuration (and with it the whole API) now rather than on the first request:
# `caredesk serve` preloads this module in gunicorn's master, so every worker forks with it done
# (about 3 s of CPU each otherwise, and the first request of each worker waited for it).
get_resolver().url_patterns  # noqa: B018 -- evaluated for its side effect
