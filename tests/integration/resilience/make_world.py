"""``python -m tests.integration.resilience.make_world``: migrate nothing, create the load world in
the database of DATABASE_URL (a private cluster the test process is not connected to) and print it
as one JSON line."""

from __future__ import annotations

import json

import django

if __name__ == "__main__":
    django.setup()
    from tests.integration.resilience.support import world_for_load

    print(json.dumps(world_for_load()))
