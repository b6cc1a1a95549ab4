"""Run inside django-helpdesk's own virtual environment (bench/httpbench.py does it):

hd_tool.py setup            -> JSON: a staff user's API token and web session, the queue id
hd_tool.py seed N           -> N tickets (about 30 % open, due dates spread) by bulk_create
hd_tool.py queries          -> JSON: SQL queries of one ticket creation and one list page
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hd_settings")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

EMAIL = "bench@helpdesk.invalid"
# The same information a caredesk intake carries, in django-helpdesk's ticket fields.
CREATE_BODY = {
    "title": "Agents of Account 1 cannot log in",
    "description": "Inbound queue unstaffed; customers wait over 10 minutes. Log in as any agent from the "
    "Chicago site; the desktop times out. Pat Doe, +1 312 555 0188.",
    "submitter_email": "dc1@reseller.invalid",
    "priority": 2,
}


def list_path(queue_id: int) -> str:
    query = {"filtering": {"queue__id__in": [queue_id], "status__in": [1, 2]}, "sorting": "due_date"}
    b64 = base64.b64encode(json.dumps(query).encode()).decode()
    return f"/helpdesk/datatables_ticket_list/{b64}?length=25&start=0"


def setup() -> dict[str, object]:
    user_model = get_user_model()
    user = user_model.objects.filter(email=EMAIL).first() or user_model.objects.create_superuser(
        "bench", EMAIL, "bench-password-not-secret"
    )
    token, _ = Token.objects.get_or_create(user=user)
    queue, _ = Queue.objects.get_or_create(
        slug="support", defaults={"title": "Support", "allow_public_submission": True}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(86400)
    session.save()
    return {
        "token": token.key,
        "session": session.session_key,
        "queue": queue.pk,
        "list_path": list_path(queue.pk),
        "tickets": Ticket.objects.count(),
        "ticket": Ticket.objects.filter(status__in=[1, 2]).order_by("id").values_list("id", flat=True).first(),
    }


def seed(n: int) -> None:
    queue = Queue.objects.get(slug="support")
    rng = random.Random(1)
    now = datetime.now(UTC)
    batch: list[Ticket] = []
    for i in range(n):
        created = now - timedelta(days=720 * rng.random())
        status = rng.choice([1, 2]) if rng.random() < 0.3 else rng.choice([3, 4])
        batch.append(
            Ticket(
                title=f"Agents cannot log in ({i})",
                queue=queue,
                created=created,
                modified=created,
                submitter_email=f"dc{i % 500}@reseller.invalid",
                status=status,
                description="Inbound queue unstaffed; customers wait over 10 minutes.",
                priority=rng.choice([1, 2, 3, 4, 5]),
                due_date=created + timedelta(hours=rng.randint(2, 400)),
                secret_key=f"{i:012x}",
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE helpdesk_ticket")


def queries() -> dict[str, int]:
    info = setup()
    client = Client()
    client.cookies["sessionid"] = str(info["session"])
    body = CREATE_BODY | {"queue": info["queue"]}
    headers = {"Authorization": f"Token {info['token']}"}
    client.post("/helpdesk/api/tickets/", body, content_type="application/json", headers=headers)  # warm
    with CaptureQueriesContext(connection) as create:
        r = client.post("/helpdesk/api/tickets/", body, content_type="application/json", headers=headers)
        assert r.status_code == 201, r.content[:300]
    with CaptureQueriesContext(connection) as listing:
        r = client.get(str(info["list_path"]))
        assert r.status_code == 200 and len(r.json()["data"]) == 25, r.content[:300]
    return {"create": len(create), "list": len(listing)}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        print(json.dumps(setup()))
    elif command == "seed":
        seed(int(sys.argv[2]))
    elif command == "queries":
        print(json.dumps(queries()))
