"""Reads about the sweep: how long ago it last finished (the worker health check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from caredesk.sweep.models import SweepState
from caredesk.sweep.services import SLA


def sweep_health(*, now: datetime) -> dict[str, Any]:
    """``status`` is ``ok`` while the last sweep finished within three intervals (at least 90 s),
    ``stale`` after that, ``never`` before the first one."""
    interval = float(settings.CAREDESK_SWEEP_INTERVAL)
    stale_after = max(3 * interval, 90.0)
    state = SweepState.objects.filter(name=SLA).first()
    if state is None or state.last_finished_at is None:
        return {"status": "never", "last_sweep_at": None, "age_seconds": None, "interval_seconds": interval}
    age = (now - state.last_finished_at).total_seconds()
    return {
        "status": "ok" if age <= stale_after else "stale",
        "last_sweep_at": state.last_finished_at.isoformat(),
        "age_seconds": round(max(age, 0.0), 3),
        "interval_seconds": interval,
        "stale_after_seconds": stale_after,
        "swept_to": state.swept_to.isoformat() if state.swept_to else None,
    }
