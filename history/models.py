"""The record history (SPEC §7): who changed what and when, before and after.

Row changes are captured by PostgreSQL triggers (django-pghistory), so bulk writes,
raw SQL and the nightly run's COPY-free writes are seen too: one event model per
tracked model below, each row a snapshot with its label (insert, update, delete) and
the request's context (user, URL). Sign-ins, failed sign-ins, reveals of personal
data, exports and imports are `AuditEvent`s.

Every table here is append-only: the ORM refuses updates and deletes on every
database, and on PostgreSQL a trigger refuses them for any role (migration 0002).
On SQLite (the demo) there are no triggers: row changes are not recorded there, the
audit events are.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import User
from churn.models import ChurnFlag
from clients.models import Client, Task
from loyalty.models import PointsAdjustment
from tiers.models import ScoringPolicy


class AppendOnly(Exception):
    """A history row cannot be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("history rows cannot be changed")

    def delete(self):
        raise AppendOnly("history rows cannot be deleted")

    _raw_delete = delete


class AppendOnlyMixin:
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("history rows cannot be changed")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("history rows cannot be deleted")


class HistoryEvent(AppendOnlyMixin, pghistory.models.Event):
    """The base of every event model: an append-only pghistory event."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True


def _events(model, name, exclude=()):
    # New trackers for each model: a tracker binds its condition to its model's fields.
    trackers = (
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
    )
    return pghistory.create_event_model(
        model,
        *trackers,
        exclude=list(exclude) or None,
        model_name=name,
        app_label="history",
        base_model=HistoryEvent,
        abstract=False,
    )


# Personal data (ID and phone numbers) is not copied into the history: their keyed
# hashes are, so a change of number shows (as a change of hash) without the number.
ClientEvent = _events(
    Client, "ClientEvent", exclude=["id_number", "phone", "updated_at"]
)
TaskEvent = _events(Task, "TaskEvent")
ChurnFlagEvent = _events(ChurnFlag, "ChurnFlagEvent")
PointsAdjustmentEvent = _events(PointsAdjustment, "PointsAdjustmentEvent")
ScoringPolicyEvent = _events(ScoringPolicy, "ScoringPolicyEvent")
UserEvent = _events(User, "UserEvent", exclude=["password", "last_login"])


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    REVEAL = "reveal", _("Personal data revealed")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")


class AuditEvent(AppendOnlyMixin, models.Model):
    """Something a user did that changes no tracked row but must be on the record."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16, choices=AuditKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["user", "at"], name="audit_user_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"
