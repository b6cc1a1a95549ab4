"""Backup and restore: a consistent snapshot of one tenant or of everything as JSON Lines (one file
per table) plus the attachment files, and its restore into an empty database.

The snapshot. Every table of every caredesk app is read in one transaction — REPEATABLE READ,
READ ONLY on PostgreSQL, so every table is read as of the same instant while the service keeps
writing; on SQLite one transaction is a snapshot of the file too. Each row is written as a JSON
array in the column order the manifest lists; instants are ISO 8601 in UTC, binary columns base64.
Attachment bytes are copied from storage (``files/<storage name>``) with their SHA-256 checked.

A tenant (``reseller``): the rows whose tenant key is that reseller (every table whose rows
belong to one tenant has the key: docs/scaling.md), and what those rows refer to without belonging
to any tenant: vendor staff (users without a reseller), vendor-wide notifications e-mailed to the
tenant's people, and the vendor-wide reference tables of ``SHARED`` (policy versions, maintenance
notices, knowledge). Vendor staff's own tokens, answers, preferences and e-mails (an e-mail's
tenant is its recipient's), other tenants' rows and the installation's own state
(``INSTALLATION``) are never part of it; the manifest lists the tables a tenant snapshot left out.

Left out on purpose: ``RateCounter`` (rate-limit windows: minutes of life), Django's sessions,
cache, content types and permissions (recreated by ``migrate``), and queued background tasks.

The restore refuses a database whose caredesk tables hold any row, and one whose applied
migrations differ from the snapshot's; it inserts everything in one transaction (the foreign keys
are checked at commit), moves the id sequences past the restored ids, and copies the files back.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import connection, models
from django.db.models import Q, QuerySet

FORMAT = "caredesk-export"
VERSION = 1
# Not copied: rate-limit windows (minutes of life) and the reports' day blocks (derived from the
# cases, rebuilt on demand, every tenant's targets in one row).
SKIPPED = {"tenancy.ratecounter", "reports.dayblock"}
# Columns that name a file in Django's default storage, copied with the rows.
FILE_COLUMNS = {"cases.attachment": ("storage_name", "sha256")}


def tables() -> list[type[models.Model]]:
    """Every concrete table of the caredesk apps, in registry (dependency-friendly) order."""
    out = []
    for config in apps.get_app_configs():
        if not config.name.startswith("caredesk."):
            continue
        for model in config.get_models():
            meta = model._meta
            if meta.proxy or not meta.managed or meta.label_lower in SKIPPED:
                continue
            out.append(model)
    return out


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


# --------------------------------------------------------------------------- tenant scope


def tenant_fk(model: type[models.Model]) -> models.ForeignKey[Any, Any] | None:
    """The tenant key of ``model`` (its ``reseller`` foreign key), or None. Every table whose rows
    belong to one tenant has one (tests/architecture/test_tenant_key.py; docs/scaling.md)."""
    field = next((f for f in model._meta.concrete_fields if f.name == "reseller"), None)
    return field if isinstance(field, models.ForeignKey) else None


# Vendor-wide reference data a tenant's rows point at: taken whole into a tenant's snapshot.
SHARED = {"sla.policyversion", "maintenance.maintenancenotice", "knowledge.advisory", "knowledge.article"}
# State of the installation itself (the sweep's watermark, the delivery worker's wake-up): only
# in a snapshot of everything.
INSTALLATION = {"sweep.sweepstate", "notifications.deliverywakeup"}
EVERYTHING = Q()


def scope(model: type[models.Model], reseller_id: int) -> Q | None:
    """The rows of ``model`` that belong in reseller ``reseller_id``'s snapshot: a condition
    (``EVERYTHING`` for shared reference data), or None for rows that never belong in one."""
    from caredesk.tenancy.models import Reseller, User

    if label(model) in SHARED:
        return EVERYTHING
    if model is Reseller:
        return Q(pk=reseller_id)
    key = tenant_fk(model)
    if key is None:
        return None  # installation state (or a table without its key): left out (see manifest)
    own = Q(reseller_id=reseller_id)
    if model is User:
        return own | Q(reseller__isnull=True)  # the tenant's people and vendor staff
    if key.null:
        own |= _vendor_rows_needed(model, reseller_id)
    return own


def _vendor_rows_needed(model: type[models.Model], reseller_id: int) -> Q:
    """Rows of ``model`` without a tenant (key null: vendor-wide) that the tenant's own rows of
    another table point at through a required foreign key, so that those rows restore: a
    vendor-wide notification e-mailed to the tenant's people (an e-mail's tenant is its
    recipient's). Vendor-internal rows nobody of the tenant was sent stay out."""
    needed = Q(pk__in=[])
    for other in tables():
        if tenant_fk(other) is None:
            continue
        for field in other._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and not field.null and field.related_model is model:
                pointed = other._default_manager.filter(reseller_id=reseller_id).values(field.attname)
                needed |= Q(reseller__isnull=True, pk__in=pointed)
    return needed


def rows_of(model: type[models.Model], reseller_id: int | None) -> QuerySet[Any] | None:
    """The rows to export, or None when the table is left out of this snapshot."""
    qs = model._default_manager.all().order_by("pk")
    if reseller_id is None:
        return qs
    condition = scope(model, reseller_id)
    return None if condition is None else qs.filter(condition)


# --------------------------------------------------------------------------- values


def encode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (date, time, UUID, Decimal)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return datetime.fromisoformat(value)
    if isinstance(field, models.DateField):
        return date.fromisoformat(value)
    if isinstance(field, models.TimeField):
        return time.fromisoformat(value)
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field, models.DecimalField):
        return Decimal(value)
    if isinstance(field, models.UUIDField):
        return UUID(value)
    return value


def applied_migrations() -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    reseller: int | None
    created_at: str
    database: str
    migrations: list[str]
    tables: dict[str, dict[str, Any]]
    files: int
    left_out: list[str]

    def write(self, out: Path) -> None:
        body = {"format": FORMAT, "version": VERSION, **self.__dict__}
        (out / "manifest.json").write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, src: Path) -> Manifest:
        from caredesk.domain.errors import ValidationFailed

        path = src / "manifest.json"
        if not path.exists():
            raise ValidationFailed(
                f"{src} is not a caredesk export: no manifest.json", errors={"in_dir": "no manifest"}
            )
        body = json.loads(path.read_text())
        if body.get("format") != FORMAT or body.get("version") != VERSION:
            raise ValidationFailed("unknown export format", errors={"manifest": f"expected {FORMAT} v{VERSION}"})
        keys = ("reseller", "created_at", "database", "migrations", "tables", "files", "left_out")
        return cls(**{k: body[k] for k in keys})


def json_lines(path: Path) -> Iterator[list[Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# --------------------------------------------------------------------------- export


def export_snapshot(out: Path, *, reseller_id: int | None = None, batch: int = 2000) -> Manifest:
    """Write the snapshot into ``out`` (created; must be empty). Returns its manifest."""
    from django.core.files.storage import default_storage
    from django.db import transaction

    from caredesk.domain.errors import NotFound, ValidationFailed
    from caredesk.tenancy.models import Reseller

    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise ValidationFailed(f"{out} is not empty", errors={"out_dir": "choose an empty or new directory"})
    tables_out: dict[str, dict[str, Any]] = {}
    left_out: list[str] = []
    files = 0
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:  # must be the transaction's first statement
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if reseller_id is not None and not Reseller.objects.filter(pk=reseller_id).exists():
            raise NotFound(f"no reseller {reseller_id}")
        created_at = datetime.now(UTC).isoformat()
        for model in tables():
            fields = columns(model)
            names = [f.attname for f in fields]
            path = out / f"{label(model)}.jsonl"
            count = 0
            file_spec = FILE_COLUMNS.get(label(model))
            rows = rows_of(model, reseller_id)
            if rows is None:
                left_out.append(label(model))
                continue
            with path.open("w", encoding="utf-8") as f:
                for row in rows.values_list(*names).iterator(chunk_size=batch):
                    values = [encode(field, v) for field, v in zip(fields, row, strict=True)]
                    f.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
                    count += 1
                    if file_spec:
                        files += _copy_out(default_storage, out, dict(zip(names, row, strict=True)), *file_spec)
            tables_out[label(model)] = {"file": path.name, "rows": count, "columns": names}
        manifest = Manifest(
            reseller_id, created_at, connection.vendor, applied_migrations(), tables_out, files, left_out
        )
    manifest.write(out)
    return manifest


def _copy_out(storage: Any, out: Path, row: dict[str, Any], name_column: str, sha_column: str) -> int:
    from caredesk.domain.errors import ValidationFailed

    name = row[name_column]
    target = out / "files" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with storage.open(name, "rb") as src, target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            dst.write(block)
    if sha256_file(target) != row[sha_column]:
        raise ValidationFailed(f"stored file {name} does not match its SHA-256", errors={"files": name})
    return 1
