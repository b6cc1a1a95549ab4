"""Claiming alert keys: the exactly-once step of the sweep.

``alerts_claim`` inserts the keys with one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
(PostgreSQL and SQLite 3.35+ both have it) and answers the keys this transaction inserted. The caller records
the timeline event and the notifications of exactly those keys in the same transaction, so a key
taken by a concurrent sweep, or by an earlier sweep that committed, is never recorded twice; and
a sweep that dies before committing leaves no key behind, so the next one records it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from caredesk.sweep.models import SweepAlert

AlertKey = tuple[int, str, str]  # (case_id, subject, alert)


@dataclass(frozen=True, slots=True)
class AlertClaim:
    case_id: int
    reseller_id: int
    subject: str
    alert: str
    crossed_at: datetime

    @property
    def key(self) -> AlertKey:
        return (self.case_id, self.subject, self.alert)


def alerts_claim(*, claims: Sequence[AlertClaim], at: datetime) -> set[AlertKey]:
    """Insert every key not yet taken; return the keys inserted now. One statement: on PostgreSQL
    the rows come as one array per column (``unnest``), which the server parses and plans faster
    than a VALUES list of thousands of literals (a third less server time for 500 keys here);
    SQLite takes VALUES."""
    if not claims:
        return set()
    table = SweepAlert._meta.db_table
    ops = connection.ops
    columns = '("case_id", "reseller_id", "subject", "alert", "crossed_at", "recorded_at")'
    conflict = 'ON CONFLICT ("case_id", "subject", "alert") DO NOTHING RETURNING "case_id", "subject", "alert"'
    params: list[Any]
    if connection.vendor == "postgresql":
        rows = (
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], "
            "%s::timestamptz[], %s::timestamptz[])"
        )
        params = [
            [c.case_id for c in claims],
            [c.reseller_id for c in claims],
            [c.subject for c in claims],
            [c.alert for c in claims],
            [c.crossed_at for c in claims],
            [at] * len(claims),
        ]
    else:
        rows = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(claims))
        params = []
        for c in claims:
            params += [
                c.case_id,
                c.reseller_id,
                c.subject,
                c.alert,
                ops.adapt_datetimefield_value(c.crossed_at),
                ops.adapt_datetimefield_value(at),
            ]
    sql = f'INSERT INTO "{table}" {columns} {rows} {conflict}'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(r[0]), str(r[1]), str(r[2])) for r in cursor.fetchall()}
