"""Churn flags (客户流失预警): raised by the nightly run, resolved by an advisor."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Branch
from clients.models import Client

from .labels import reason_text, suggested_action_text


class FlagCode(models.TextChoices):
    OUTFLOW = "OUTFLOW", _("Outflow")
    LOSSES = "LOSSES", _("Losses")
    DORMANT = "DORMANT", _("Dormant")
    DISSATISFIED = "DISSATISFIED", _("Dissatisfied")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class FlagOutcome(models.TextChoices):
    RETAINED = "retained", _("Retained")
    LOST = "lost", _("Lost")
    NOT_A_RISK = "not_a_risk", _("Not a risk")


class ChurnFlag(models.Model):
    """A churn warning on a client with its reason code and the values that raised it.

    Open until an advisor resolves it with an outcome; never raised twice for the same
    client and code while one is open (the partial unique constraint).
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="churn_flags"
    )
    code = models.CharField(max_length=16, choices=FlagCode.choices)
    status = models.CharField(
        max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    raised_on = models.DateField()
    run = models.ForeignKey(
        "tiers.ScoreRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The deciding values ({feature: number}); `reason` and `suggested_action` keep the
    # same words in the default language, for exports and the admin.
    facts = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    suggested_action = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=16, choices=FlagOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-raised_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "code"],
                condition=Q(status="open"),
                name="churn_flag_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["branch", "status"], name="churn_flag_branch_status")
        ]

    def __str__(self):
        return f"{self.client_id} {self.code} {self.status}"

    @property
    def display_reason(self) -> str:
        """Why the flag fired, in the active language (stored text for old flags)."""
        if self.facts:
            return reason_text(self.code, self.facts)
        return self.reason

    @property
    def display_suggested_action(self) -> str:
        """What to do about it, in the active language."""
        return suggested_action_text(self.code) or self.suggested_action
