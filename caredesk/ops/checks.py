"""Which system checks the commands that serve no web page run.

Django runs every system check before a management command; the URL checks import the whole URL
configuration, and with it the API: every django-ninja operation and its pydantic models, about
3 s of a command's start. A worker, a delivery loop or a data command never routes a request, so
they run every check but those (``caredesk serve`` and ``caredesk check`` still run them all).
"""

from __future__ import annotations

from django.core.checks import Tags

WITHOUT_URL_CHECKS: list[str] = sorted(
    value for name, value in vars(Tags).items() if not name.startswith("_") and value != Tags.urls
)
