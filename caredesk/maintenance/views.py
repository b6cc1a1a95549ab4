"""The calendar feed URL, outside the API: a calendar client fetches it with no login, so the
secret in the path is the only credential. Unknown, malformed and revoked secrets all answer 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from caredesk.domain.errors import NotFound
from caredesk.maintenance.feeds import feed_for_secret, feed_render


@require_GET
def feed_ics(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        feed = feed_for_secret(secret=secret)
    except NotFound:
        raise Http404("calendar feed not found") from None
    response = HttpResponse(feed_render(feed=feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
