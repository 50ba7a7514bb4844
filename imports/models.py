"""Import batches: one row per file an admin (or a command) fed in, with its report."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advisors.models import Branch

from .messages import error_text, message_text


class ImportKind(models.TextChoices):
    """The kinds of back-office file SPEC §2 lists, in the order they import cleanly."""

    ADVISORS = "advisors", _("Advisors")
    CLIENTS = "clients", _("Clients and accounts")
    SECURITIES = "securities", _("Securities")
    PRICES = "prices", _("Prices")
    TRADES = "trades", _("Trades")
    POSITIONS = "positions", _("Positions")
    BALANCES = "balances", _("Balances")
    CASHFLOWS = "cashflows", _("Cash flows")
    INTERACTIONS = "interactions", _("Interactions")
    FEEDBACK = "feedback", _("Feedback")


class ImportMode(models.TextChoices):
    INSERT = "insert", _("Insert new rows, skip existing")
    UPSERT = "upsert", _("Insert new rows, update existing")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    DRY_RUN = "dry_run", _("Checked (dry run, nothing written)")
    REJECTED = "rejected", _("Rejected, nothing written")
    ALREADY_IMPORTED = "already_imported", _("Already imported")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """One file fed into the branch: who, when, what, and what became of every row."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="import_batches"
    )
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    mode = models.CharField(
        max_length=8, choices=ImportMode.choices, default=ImportMode.INSERT
    )
    partial = models.BooleanField(
        default=False, help_text=_("Import the valid rows and report the rest.")
    )
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(max_length=16, blank=True)
    matched_columns = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list,
        blank=True,
        help_text=_("[line, column, code, parameters] per bad row."),
    )
    # What the batch came to, as a code and its parameters (`imports.messages` words
    # them); `message` holds only what no code names (an unexpected failure's text).
    message_code = models.CharField(max_length=40, blank=True)
    message_params = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The lease of a running batch (brokercrm.db.Heartbeat): stale means its process died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The batch that already imported this identical file."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"
        indexes = [
            models.Index(
                fields=["branch", "kind", "sha256"], name="import_batch_checksum"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status not in (
            BatchStatus.PENDING,
            BatchStatus.QUEUED,
            BatchStatus.RUNNING,
        )

    def error_lines(self) -> list[str]:
        """The report's bad rows as `line N, column: reason`, in the active language."""
        return [error_text(*e) for e in self.errors]

    def message_text(self) -> str:
        """What the batch came to, in the active language."""
        return message_text(self.message_code, self.message_params, self.message)
