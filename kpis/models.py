"""Managers' numbers and tools: the nightly KPI rows (SPEC §5), reassignments and merges.

A KPI row belongs to the run that took it: re-running a date replaces the run and its
rows with it, and a past month reads the rows of the last run dated in the month, so
trends read stored rows and never recompute history.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Branch
from clients.models import MONEY, Client
from tiers.models import ScoreRun

#: The branch row's employee_no (SPEC §5).
BRANCH_ROW = "*"


class AdvisorKpi(models.Model):
    """One advisor's (or, with employee_no "*", the branch's) KPIs for a month to date E."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month M.")
    date = models.DateField(help_text="The run's date E (the month to date).")
    advisor = models.ForeignKey(
        Advisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="kpis"
    )
    employee_no = models.CharField(max_length=32)
    clients = models.PositiveIntegerField(default=0)
    aum = models.DecimalField(**MONEY, default=0)
    net_new_assets = models.DecimalField(**MONEY, default=0)
    new_clients = models.PositiveIntegerField(default=0)
    lost_clients = models.PositiveIntegerField(default=0)
    commission = models.DecimalField(**MONEY, default=0)
    avg_return_90 = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True
    )
    contact_coverage = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True
    )
    minutes_core_dormant = models.PositiveIntegerField(default=0)
    minutes_maintaining = models.PositiveIntegerField(default=0)
    minutes_precipitating = models.PositiveIntegerField(default=0)
    flags_open = models.PositiveIntegerField(default=0)
    flags_resolved = models.PositiveIntegerField(default=0)
    median_resolve_days = models.DecimalField(
        max_digits=8, decimal_places=1, null=True, blank=True
    )
    satisfaction = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    rank_aum = models.PositiveIntegerField(null=True, blank=True)
    rank_commission = models.PositiveIntegerField(null=True, blank=True)
    rank_net_new_assets = models.PositiveIntegerField(null=True, blank=True)
    rank_contact_coverage = models.PositiveIntegerField(null=True, blank=True)
    churn_rate_12m = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True
    )
    #: Counts behind the pages: segment, tier and maturity mix, flags by reason.
    mix = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["branch", "month", "employee_no"]
        verbose_name = _("advisor KPI row")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "employee_no"], name="advisor_kpi_unique_row"
            )
        ]
        indexes = [
            models.Index(fields=["branch", "month", "date"], name="advisor_kpi_month"),
            models.Index(fields=["advisor", "month"], name="advisor_kpi_advisor"),
        ]

    def __str__(self):
        return f"{self.branch_id} {self.month:%Y-%m} {self.employee_no}"

    @property
    def is_branch_row(self) -> bool:
        return self.employee_no == BRANCH_ROW


class ClientAssignment(models.Model):
    """A client moved from one advisor to another: who, when, from, to and why."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="assignments"
    )
    from_advisor = models.ForeignKey(
        Advisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_advisor = models.ForeignKey(
        Advisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500)
    batch = models.UUIDField(db_index=True)
    moved_at = models.DateTimeField()
    moved_on = models.DateField(help_text="The branch's day of the move.")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-moved_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "moved_on"], name="assignment_branch_day"),
            models.Index(fields=["client", "moved_at"], name="assignment_client"),
        ]

    def __str__(self):
        return f"{self.client_id} {self.from_advisor_id}→{self.to_advisor_id}"


class ClientMerge(models.Model):
    """A duplicate client merged into another: what it was, what moved, who did it."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    kept = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="merged_into"
    )
    #: The merged client's fields as they were (its row stays, emptied, as a prospect).
    snapshot = models.JSONField(default=dict)
    #: Rows moved per table.
    moved = models.JSONField(default=dict)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merged"], name="client_merged_once")
        ]

    def __str__(self):
        return f"{self.merged_id} → {self.kept_id}"


class DuplicateKey(models.Model):
    """How many of a branch's clients (merged ones left out) hold one ID number, or one
    phone, by its keyed hash: the duplicates page reads the values held twice or more
    (`duplicate_groups`) instead of grouping the whole branch on every view.

    Kept by database triggers on the clients and merges tables (migration 0006), in the
    statement that changed them, whatever wrote it: a form, an import's COPY, the
    admin, a merge. `kind` is "id_number" or "phone"; names are compared on reading.
    """

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=64)
    clients = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "kind", "value"], name="duplicate_key_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["branch", "kind", "value"],
                condition=models.Q(clients__gt=1),
                name="duplicate_key_shared",
            )
        ]

    def __str__(self):
        return f"{self.branch_id} {self.kind} {self.value[:8]}… ×{self.clients}"
