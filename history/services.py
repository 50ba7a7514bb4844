"""Writing to the record history: the audit events (row changes record themselves)."""

from clients.masking import mask_text

from .models import AuditEvent, AuditKind


def _ip(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


def audit_record(
    *,
    kind: str,
    user=None,
    username: str = "",
    obj=None,
    reason: str = "",
    detail: dict | None = None,
    request=None,
) -> AuditEvent:
    """Append one audit event (who, what, on which record, why)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    # What a user typed (a reason, a search exported) may quote an ID or phone
    # number: the trail keeps it masked, as every log does.
    detail = {
        key: mask_text(value) if isinstance(value, str) else value
        for key, value in (detail or {}).items()
    }
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=mask_text(reason),
        detail=detail,
        ip=_ip(request),
    )


def reveal_record(*, user, obj, field: str, reason: str, request=None) -> AuditEvent:
    """A full ID or phone number was shown to `user`, for `reason`."""
    return audit_record(
        kind=AuditKind.REVEAL,
        user=user,
        obj=obj,
        reason=reason,
        detail={"field": field},
        request=request,
    )
