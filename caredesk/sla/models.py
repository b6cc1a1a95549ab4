"""Every support-policy version that ever governed a case, stored whole, so that a case is always
replayed under the policy it was logged under, whatever the shipped file says today."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class PolicyVersion(models.Model):
    key = models.CharField(max_length=100, unique=True, help_text='"<id>@<version>", e.g. cloud-resellers@4')
    title = models.CharField(max_length=300)
    text = models.TextField(help_text="The policy file (TOML) exactly as loaded.")
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=now)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_policy"
            )
        ]

    def __str__(self) -> str:
        return self.key
