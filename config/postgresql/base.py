"""Django's PostgreSQL backend, with aware datetimes sent to the server in UTC.

PostgreSQL reads a ``timestamptz`` literal's offset only up to +/-15:59, while Python (and ISO 8601,
which the API and the pages accept) allow up to +/-23:59: ``?from=2027-01-05T00:00:00+20:00`` is a
valid instant, but sent as written the server refuses it and, in a transaction, everything after it.
The instant is the same in UTC, which is how PostgreSQL stores it anyway; SQLite's backend already
converts the same way. A value whose UTC form leaves Python's range (year 1 or 9999 with an offset)
raises OverflowError before anything reaches the database, which the API answers with 422
(config/middleware.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return value.astimezone(UTC)
        return value


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
