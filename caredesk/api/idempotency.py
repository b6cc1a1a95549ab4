"""``Idempotency-Key`` on POST: the first answer to a key is stored and every retry gets it back,
so a client that retries after a timeout never creates a duplicate.

How: before the view runs, a row (user, key) is inserted in its own committed transaction; the
unique constraint lets exactly one of any number of concurrent requests win. The winner runs the
view and stores the answer; the others wait for it and replay it. An answer of 5xx (or an
exception) is not acknowledged, so its row is removed and a retry runs afresh. The same key with a
different request body or path is a client error (422), never a silent replay of another answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from caredesk.cases.models import IdempotencyRecord
from caredesk.tenancy.services import token_authenticate

HEADER = "HTTP_IDEMPOTENCY_KEY"
WAIT_SECONDS = 30.0


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


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
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=request.method, path=request.path, request_hash=fingerprint
                )
        except IntegrityError:
            return self._replay(user.pk, key, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status=response.status_code, body=bytes(response.content), content_type=response.get("Content-Type", "")
        )
        return response

    def _replay(self, user_id: int, key: str, fingerprint: str) -> HttpResponse:
        deadline = time.monotonic() + WAIT_SECONDS
        delay = 0.02
        while True:
            record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
            if record is None:
                return _error(409, "idempotency_retry", "The first request with this key failed; retry it.")
            if record.request_hash != fingerprint:
                return _error(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.")
            if record.status is not None:
                response = HttpResponse(
                    bytes(record.body or b""), status=record.status, content_type=record.content_type
                )
                response["Idempotent-Replayed"] = "true"
                return response
            if time.monotonic() > deadline:
                return _error(409, "idempotency_in_progress", "A request with this key is still being processed.")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
