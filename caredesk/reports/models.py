"""Derived tables of the reports: disposable, rebuilt from the cases whenever they disagree with
them, so deleting every row changes nothing but the time of the next report.

- ``DayBlock``: the SLA targets of every case submitted on one UTC day, as packed columns (see
  ``caredesk.reports.facts``), with the fingerprint of that day's cases (count, sum of ids, sum
  of versions) they were read at. A report reads the fingerprints of its days in one statement and
  rebuilds only the days whose cases changed since (every write of a case bumps its version).
- ``WhatIfReplay``: one case under one package, for the case's version it was made at (a what-if
  makes again only the rows of the cases that changed): the targets the SLA engine stored for the
  case (``actual_*``) and its targets as the engine replays its history under the package (the
  same as the stored ones for the case's own package). The replay is as of the last SLA event;
  read at a later instant, a running target past its due instant is breached, exactly what
  ``replay`` as of that instant answers. A what-if reads only these narrow rows for its cases.
"""

from __future__ import annotations

from django.db import models


class DayBlock(models.Model):
    day = models.DateField(primary_key=True)
    fingerprint = models.CharField(max_length=64)
    token = models.CharField(max_length=32, help_text="Names this build; a process keeps decoded blocks by it.")
    rows = models.PositiveIntegerField()
    payload = models.BinaryField()

    def __str__(self) -> str:
        return f"targets of cases submitted on {self.day}"


class WhatIfReplay(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="what_if_replays", db_index=False)
    reseller = models.ForeignKey("tenancy.Reseller", on_delete=models.PROTECT, related_name="+", db_index=False)
    package = models.CharField(max_length=32)
    case_version = models.PositiveIntegerField()
    last_event_at = models.DateTimeField(help_text="The instant of the last SLA event replayed.")
    actual_response_state = models.CharField(max_length=16)
    actual_response_due_at = models.DateTimeField(null=True)
    actual_restoration_state = models.CharField(max_length=16)
    actual_restoration_due_at = models.DateTimeField(null=True)
    actual_resolution_state = models.CharField(max_length=16)
    actual_resolution_due_at = models.DateTimeField(null=True)
    response_state = models.CharField(max_length=16)
    response_due_at = models.DateTimeField(null=True)
    restoration_state = models.CharField(max_length=16)
    restoration_due_at = models.DateTimeField(null=True)
    resolution_state = models.CharField(max_length=16)
    resolution_due_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "package"], name="one_replay_per_case_package")]
        # A what-if reads one reseller's rows under one package (without it: every row of the package).
        indexes = [models.Index(fields=["reseller", "package"], name="whatif_reseller_package")]

    def __str__(self) -> str:
        return f"case {self.case_id} under {self.package} (version {self.case_version})"
