"""Reading the record history: one record's, and the whole trail for admins."""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.utils.translation import gettext as _

from .models import AuditEvent

TRACKED = (
    "clients.client",
    "clients.task",
    "churn.churnflag",
    "loyalty.pointsadjustment",
    "tiers.scoringpolicy",
    "advisors.user",
)


@dataclass
class Entry:
    """One line of a history: when, who, what happened to which record, the changes."""

    at: datetime
    who: str
    what: str
    record: str
    changes: list = field(default_factory=list)  # (field, before, after)
    detail: dict = field(default_factory=dict)
    reason: str = ""


def recorded_here() -> bool:
    """Row changes are recorded (PostgreSQL triggers); not on SQLite."""
    return connection.vendor == "postgresql"


def _who(context) -> str:
    if not context:
        return ""
    return context.get("username") or (
        f"#{context['user']}" if context.get("user") else ""
    )


def _labels() -> dict:
    return {"insert": _("Created"), "update": _("Changed"), "delete": _("Deleted")}


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _record(label: str, pk) -> str:
    model = _model(label)
    name = model._meta.verbose_name if model is not None else label
    return f"{name} {pk}".strip()


def _field(model, name: str) -> str:
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name


def _change(model, name: str, change) -> tuple:
    """(field, before, after); a personal number's keyed hash shows as a change of
    that number, without either value (the history never holds the numbers)."""
    if name.endswith("_hash"):
        return (_field(model, name.removesuffix("_hash")), "***", "***")
    return (_field(model, name), *change)


def _row_entries(events) -> list[Entry]:
    labels = _labels()
    entries = []
    for event in events:
        diff = event.pgh_diff or {}
        model = _model(event.pgh_obj_model)
        entries.append(
            Entry(
                at=event.pgh_created_at,
                who=_who(event.pgh_context),
                what=labels.get(event.pgh_label, event.pgh_label),
                record=_record(event.pgh_obj_model, event.pgh_obj_id),
                changes=[
                    _change(model, name, change)
                    for name, change in diff.items()
                    if name != "updated_at"
                    and isinstance(change, list | tuple)
                    and len(change) == 2
                ],
            )
        )
    return entries


def _audit_entries(audits) -> list[Entry]:
    return [
        Entry(
            at=a.at,
            who=a.username,
            what=a.get_kind_display(),
            record=_record(a.object_type, a.object_id) if a.object_type else "",
            detail=a.detail,
            reason=a.reason,
        )
        for a in audits
    ]


def record_history(*, obj, limit: int = 50) -> list[Entry]:
    """The history of a record and of the rows that refer to it (a client's tasks and
    flags), newest first, with the reveals of its personal data."""
    entries = []
    if recorded_here():
        from pghistory.models import Events

        entries += _row_entries(
            Events.objects.references(obj).order_by("-pgh_created_at")[:limit]
        )
    entries += _audit_entries(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )[:limit]
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def trail_search(
    *, username="", model="", object_id="", since=None, until=None, limit: int = 200
) -> list[Entry]:
    """The whole trail, filtered by user, record (model and id) and dates."""
    audits = AuditEvent.objects.all()
    if username:
        audits = audits.filter(username__iexact=username)
    if model:
        audits = audits.filter(object_type=model)
    if object_id:
        audits = audits.filter(object_id=str(object_id))
    if since:
        audits = audits.filter(at__date__gte=since)
    if until:
        audits = audits.filter(at__date__lte=until)
    entries = _audit_entries(audits[:limit])
    if recorded_here():
        from pghistory.models import Events

        events = Events.objects.all()
        if username:
            events = events.filter(pgh_context__username__iexact=username)
        if model:
            events = events.filter(pgh_obj_model=model_label(model))
        if object_id:
            events = events.filter(pgh_obj_id=str(object_id))
        if since:
            events = events.filter(pgh_created_at__date__gte=since)
        if until:
            events = events.filter(pgh_created_at__date__lte=until)
        entries += _row_entries(events.order_by("-pgh_created_at")[:limit])
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def model_label(label_lower: str) -> str:
    """`clients.client` -> `clients.Client` (how pghistory names tracked models)."""
    return apps.get_model(label_lower)._meta.label
