"""Sign-ins, failed sign-ins and imports go on the record as they happen."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from imports.models import ImportBatch

from .models import AuditKind
from .services import audit_record


@receiver(user_logged_in, dispatch_uid="history.login")
def _login(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.LOGIN, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="history.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        kind=AuditKind.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        request=request,
    )


@receiver(post_save, sender=ImportBatch, dispatch_uid="history.import")
def _import(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        audit_record(
            kind=AuditKind.IMPORT,
            user=instance.created_by,
            obj=instance,
            detail={
                "file": instance.file_name,
                "kind": instance.kind,
                "dry_run": instance.dry_run,
                "branch": instance.branch_id,
            },
        )
