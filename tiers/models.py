"""Scoring policies, nightly runs and each client's scores (owned by the scoring work)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Branch
from clients.models import Client


class ScoringPolicyManager(models.Manager):
    def get_by_natural_key(self, branch_code, version):
        return self.get(branch__code=branch_code, version=version)


class ScoringPolicy(models.Model):
    """One version of a branch's scoring policy: `Policy.to_dict()` as JSON.

    Versions are never edited in place: saving a change writes the next version, and
    every run records the version it used.
    """

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="scoring_policies"
    )
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScoringPolicyManager()

    class Meta:
        ordering = ["branch", "-version"]
        verbose_name_plural = "scoring policies"
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "version"], name="scoring_policy_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.branch_id} v{self.version}"

    def natural_key(self):
        """`loaddata` finds a policy version by (branch code, version)."""
        return (self.branch.code, self.version)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REPLACED = "replaced", _("Replaced by a later run of the same date")


class ScoreRun(models.Model):
    """One nightly run of the pipeline for a branch and an as-of date.

    Only a `done` run's scores are read; a re-run of the date replaces it.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    clients = models.PositiveIntegerField(default=0)
    open_clients = models.PositiveIntegerField(default=0)
    flags_raised = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)
    tasks_created = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    # The lease of a running run (brokercrm.db.Heartbeat): stale means its process died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "date"],
                condition=Q(status="done"),
                name="score_run_one_done_per_date",
            )
        ]
        indexes = [
            models.Index(fields=["branch", "status", "date"], name="score_run_lookup")
        ]

    def __str__(self):
        return f"{self.branch_id} {self.date} {self.status}"


class ClientScore(models.Model):
    """A client's features, scores and classifications as of a run's date.

    Kept per date (history for trends). For a client not open on the date every field
    is null except `maturity_stage`. `features` holds the values that decided each
    classification, for the explanation on the client page.
    """

    # Written in bulk by COPY, tens of thousands of rows a night: no database-level
    # foreign-key triggers (one check per row per key); Django still cascades.
    run = models.ForeignKey(
        ScoreRun, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField()
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
        db_constraint=False,
    )
    is_open = models.BooleanField(default=False)
    tier = models.CharField(max_length=16, null=True, blank=True)
    value_score = models.FloatField(null=True, blank=True)
    contribution_score = models.FloatField(null=True, blank=True)
    maturity_stage = models.CharField(max_length=16, null=True, blank=True)
    segment = models.CharField(max_length=16, null=True, blank=True)
    relationship_recommended = models.CharField(max_length=16, null=True, blank=True)
    relationship_fit = models.CharField(max_length=16, null=True, blank=True)
    cadence_days = models.PositiveIntegerField(null=True, blank=True)
    contact_overdue = models.BooleanField(null=True, blank=True)
    risk_appetite = models.CharField(max_length=8, null=True, blank=True)
    suitability_warning = models.BooleanField(null=True, blank=True)
    trading_ability = models.CharField(max_length=16, null=True, blank=True)
    trading_lagging = models.BooleanField(null=True, blank=True)
    loyalty_type = models.CharField(max_length=16, null=True, blank=True)
    experience = models.CharField(max_length=16, null=True, blank=True)
    churn_risk = models.FloatField(null=True, blank=True)
    churn_flags = models.CharField(max_length=100, blank=True)
    alerts = models.CharField(max_length=100, blank=True)
    features = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "client"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "client"], name="client_score_unique"
            )
        ]
        indexes = [
            models.Index(fields=["client", "date"], name="client_score_client_date")
        ]

    def __str__(self):
        return f"{self.client_id} {self.date}"
