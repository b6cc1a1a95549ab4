"""``Idempotency-Key`` on POST: the first answer to a key is stored and every retry gets it back,
so a client that retries after a timeout never creates a duplicate.

How: the request's record (user, key) is inserted and the view runs *in one transaction*, and the
answer is stored in that same transaction. So:

- Concurrent requests with one key: the unique constraint makes every other INSERT wait for the
  first transaction (PostgreSQL blocks on the uncommitted key; SQLite takes the write lock). When
  it commits they fail with IntegrityError and replay the stored answer; when it rolls back one of
  them runs the view afresh. No polling, nothing to time out.
- The record and the view's writes commit together or not at all: an answer of 5xx (or an
  exception, or a database that goes away mid-request) leaves neither the case nor the record,
  and the retry runs afresh. A record can never be left "in progress" by a process that died,
  which would otherwise block its key.
- The same key with a different request body or path is a client error (422), never a silent
  replay of another answer.
- An answer marked ``Cache-Control: no-store`` (it carries a secret shown once: caredesk.api.openapi
  marks them) is never stored: a retry gets 409 ``idempotency_secret_not_kept``, so no secret sits
  in the database, and still only one is created.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from caredesk.cases.models import IdempotencyRecord
from caredesk.tenancy.services import token_authenticate

HEADER = "HTTP_IDEMPOTENCY_KEY"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


SECRET_NOT_KEPT = _error(
    409,
    "idempotency_secret_not_kept",
    "The first request with this key succeeded; the secret it created was shown once and is not kept. "
    "Revoke what it created if that answer was lost, and create another.",
)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not (1 <= len(key) <= 200) or not key.isprintable():
            return _error(422, "invalid_idempotency_key", "Idempotency-Key must be 1-200 printable characters.")
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        user = token_authenticate(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if user is None:
            return self.get_response(request)  # the API answers 401 itself
        request._caredesk_token_user = user  # type: ignore[attr-defined]
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.body).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user,
                        reseller_id=user.reseller_id,  # the tenant key (docs/scaling.md)
                        key=key,
                        method=request.method,
                        path=request.path,
                        request_hash=fingerprint,
                    )
            except IntegrityError:
                record = None
            if record is not None:
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    transaction.set_rollback(True)  # not acknowledged: the retry runs afresh
                    return response
                if "no-store" in response.get("Cache-Control", ""):
                    # The answer carries a secret shown once (a new API token, webhook secret or feed
                    # URL): it is never written to the database. A retry learns the request was done.
                    record.status = 409
                    record.body = SECRET_NOT_KEPT.content
                    record.content_type = SECRET_NOT_KEPT["Content-Type"]
                else:
                    record.status = response.status_code
                    record.body = bytes(response.content)
                    record.content_type = response.get("Content-Type", "")
                record.save(update_fields=["status", "body", "content_type"])
                return response
        return self._replay(user.pk, key, fingerprint)

    def _replay(self, user_id: int, key: str, fingerprint: str) -> HttpResponse:
        record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if record is None or record.status is None:
            # Rolled back between our failed INSERT and this read: the client retries afresh.
            return _error(409, "idempotency_retry", "The first request with this key failed; retry it.")
        if record.request_hash != fingerprint:
            return _error(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.")
        response = HttpResponse(bytes(record.body or b""), status=record.status, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response
