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


class ModelKind(models.TextChoices):
    LOGISTIC = "logistic", _("Regularised logistic regression")
    BOOSTING = "boosting", _("Gradient-boosted trees")


class HandReason(models.TextChoices):
    """Why a trained model did not replace the hand weights."""

    NONE = "", _("The model replaces the hand weights.")
    NO_HISTORY = (
        "no_history",
        _(
            "Not enough history: no month end has its 90-day outcome known yet, or too few to validate on later months."
        ),
    )
    NO_CHURNERS = (
        "no_churners",
        _(
            "No churners in the training or the validation months: nothing to learn from."
        ),
    )
    FEW_CHURNERS = (
        "few_churners",
        _("Too few churners in the labelled history for the policy's minimum."),
    )
    NOT_CLEAR = (
        "not_clear",
        _(
            "The model's ROC AUC on the validation months is not clearly above chance (0.5)."
        ),
    )
    NOT_BETTER = (
        "not_better",
        _(
            "The model's ROC AUC on the validation months does not beat the hand weights'."
        ),
    )


class ChurnModel(models.Model):
    """One training of the branch's churn model (SPEC §3.3), kept whether or not it won.

    `accepted` models replace the hand weights from the next scoring run on (the
    latest accepted one of the branch); the others keep `reason`. `estimator` holds
    the fitted, calibrated `churn.learning.ChurnEstimator` (joblib bytes).
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    data_through = models.DateField(help_text="the last day of data it saw")
    first_snapshot = models.DateField(null=True, blank=True)
    last_snapshot = models.DateField(null=True, blank=True)
    validation_from = models.DateField(null=True, blank=True)
    snapshots = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=ModelKind.choices, blank=True)
    features = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    accepted = models.BooleanField(default=False)
    reason = models.CharField(
        max_length=16, choices=HandReason.choices, blank=True, default=""
    )
    estimator = models.BinaryField(null=True, blank=True, editable=False)
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["branch", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "version"], name="churn_model_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.branch_id} churn model v{self.version}"

    @property
    def auc_model(self):
        return (self.metrics.get("model") or {}).get("roc_auc")

    @property
    def auc_hand(self):
        return (self.metrics.get("hand") or {}).get("roc_auc")


class ChurnScoring(models.Model):
    """What gave a scoring run its churn risks: a model, or the hand weights (null).

    `fallback` says why the hand weights were used although a model was accepted
    (it failed to load or to score).
    """

    run = models.OneToOneField(
        "tiers.ScoreRun", on_delete=models.CASCADE, related_name="churn_scoring"
    )
    model = models.ForeignKey(
        ChurnModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fallback = models.TextField(blank=True)

    def __str__(self):
        return f"run {self.run_id}: {self.model_id or 'hand'}"
