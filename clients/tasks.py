"""Celery doors onto the clients services."""

from datetime import date

from celery import shared_task

from . import services


@shared_task
def trade_days_refresh_task(branch_id: int, dates: list[str] | None = None) -> int:
    """Rebuild a branch's per-account daily trade totals (all dates when none given)."""
    days = [date.fromisoformat(d) for d in dates] if dates is not None else None
    return services.trade_days_refresh(branch_id=branch_id, dates=days)
