"""Loading support policies into the database (the only write path for PolicyVersion)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from caredesk.domain.errors import InvalidPolicy
from caredesk.domain.sla.policy import Policy, policy_from_toml
from caredesk.sla.models import PolicyVersion


@transaction.atomic
def policy_load(*, path: str | None = None) -> PolicyVersion:
    """Validate the policy file and make it the current version. A key (id@version) is bound to its
    text forever: loading different text under a key that exists is refused, so that the targets of
    cases already logged never change."""
    file = Path(path or settings.CAREDESK_POLICY_FILE)
    text = file.read_text(encoding="utf-8")
    policy = policy_from_toml(text, source=str(file))
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = PolicyVersion.objects.select_for_update().filter(key=policy.key).first()
    if existing is not None and existing.sha256 != digest:
        raise InvalidPolicy(
            f"policy {policy.key} is already loaded with different content; give the changed file a new "
            "version so that cases logged under the old one keep their targets",
            errors={"version": f"{policy.version!r} is taken by other content"},
        )
    PolicyVersion.objects.filter(is_current=True).exclude(key=policy.key).update(is_current=False)
    if existing is None:
        existing = PolicyVersion.objects.create(
            key=policy.key, title=policy.title, text=text, sha256=digest, is_current=True
        )
    elif not existing.is_current:
        existing.is_current = True
        existing.save(update_fields=["is_current"])
    return existing


def policy_current() -> PolicyVersion:
    """The current policy version; the shipped default is loaded on first use."""
    current = PolicyVersion.objects.filter(is_current=True).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return policy_load()
    except IntegrityError:
        # Another process loaded it at the same moment (first use of a fresh installation).
        return PolicyVersion.objects.get(is_current=True)


@lru_cache(maxsize=32)
def _text(sha256: str) -> str:
    # Content-addressed: the text whose SHA-256 this is, whichever row holds it.
    text = PolicyVersion.objects.filter(sha256=sha256).values_list("text", flat=True).first()
    if text is None or hashlib.sha256(text.encode()).hexdigest() != sha256:
        raise PolicyVersion.DoesNotExist(f"no stored policy text with SHA-256 {sha256}")
    return text


def policy_version_known(*, pk: int, key: str, sha256: str, is_current: bool, using: str = "default") -> PolicyVersion:
    """The stored version whose id, key and SHA-256 a caller has just read with its other rows
    (one statement instead of two): its text is read once per process, never again, since a key is
    bound to its text forever (``policy_load``). The other columns are deferred."""
    return PolicyVersion.from_db(
        using, ["id", "key", "text", "sha256", "is_current"], [pk, key, _text(sha256), sha256, is_current]
    )


@lru_cache(maxsize=32)
def _parse(key: str, sha256: str, text: str) -> Policy:
    return policy_from_toml(text, source=key)


def policy_of(version: PolicyVersion) -> Policy:
    """The parsed policy of a stored version (parsed once per process)."""
    return _parse(version.key, version.sha256, version.text)
