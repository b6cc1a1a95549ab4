"""Restore a snapshot written by ``caredesk.ops.backup.export_snapshot`` into an empty database
(see that module for the format and what a snapshot holds)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from caredesk.domain.errors import RuleViolation, ValidationFailed
from caredesk.ops.backup import (
    FILE_COLUMNS,
    Manifest,
    applied_migrations,
    decode,
    json_lines,
    label,
    sha256_file,
    tables,
)


def import_snapshot(src: Path, *, batch: int = 1000) -> dict[str, int]:
    """Insert every row of the snapshot in ``src``; returns rows per table."""
    from django.core.files.storage import default_storage

    manifest = Manifest.read(src)
    models_by_label = {label(m): m for m in tables()}
    unknown = sorted(set(manifest.tables) - set(models_by_label))
    if unknown:
        raise ValidationFailed("the snapshot has tables this installation lacks", errors={"tables": ", ".join(unknown)})
    if manifest.migrations != applied_migrations():
        raise RuleViolation(
            "The snapshot was taken at another schema version: migrate this database to the same migrations "
            "(caredesk migrate) before importing."
        )
    occupied = [label(m) for m in models_by_label.values() if m._default_manager.exists()]
    if occupied:
        raise RuleViolation(
            f"The database is not empty ({', '.join(occupied[:5])} ...); import restores into an empty database only."
        )
    counts: dict[str, int] = {}
    restored: list[type[models.Model]] = []
    with transaction.atomic():
        for table, spec in manifest.tables.items():
            model = models_by_label[table]
            counts[table] = _insert(model, src / spec["file"], spec["columns"], batch)
            if counts[table] != spec["rows"]:
                raise ValidationFailed(f"{spec['file']} has {counts[table]} rows, the manifest says {spec['rows']}")
            restored.append(model)
        _reset_sequences(restored)
        files = _copy_in(default_storage, src, manifest, models_by_label)
    counts["files"] = files
    return counts


def _insert(model: type[models.Model], path: Path, names: list[str], batch: int) -> int:
    fields = [_field(model, n) for n in names]
    missing = {f.attname for f in model._meta.concrete_fields} - set(names)
    if missing:
        raise ValidationFailed(f"{path.name} lacks columns {sorted(missing)}", errors={"columns": path.name})
    rows = json_lines(path)
    count = 0
    while chunk := list(islice(rows, batch)):
        objs = [model(**{f.attname: decode(f, v) for f, v in zip(fields, row, strict=True)}) for row in chunk]
        model._default_manager.bulk_create(objs)
        count += len(objs)
    return count


def _field(model: type[models.Model], attname: str) -> models.Field[Any, Any]:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise ValidationFailed(f"{label(model)} has no column {attname}", errors={"columns": attname})


def _reset_sequences(restored: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _copy_in(storage: Any, src: Path, manifest: Manifest, models_by_label: dict[str, type[models.Model]]) -> int:
    copied = 0
    for table, (name_column, sha_column) in FILE_COLUMNS.items():
        spec = manifest.tables.get(table)
        if spec is None:
            continue
        at_name, at_sha = spec["columns"].index(name_column), spec["columns"].index(sha_column)
        for row in json_lines(src / spec["file"]):
            path = src / "files" / row[at_name]
            if not path.exists() or sha256_file(path) != row[at_sha]:
                raise ValidationFailed(f"file {row[at_name]} is missing or damaged", errors={"files": row[at_name]})
            if storage.exists(row[at_name]):
                storage.delete(row[at_name])
            with path.open("rb") as f:
                saved = storage.save(row[at_name], f)
            if saved != row[at_name]:
                raise ValidationFailed(f"storage renamed {row[at_name]} to {saved}", errors={"files": row[at_name]})
            copied += 1
    return copied
