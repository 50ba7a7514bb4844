"""Loyalty points (积分制, SPEC §4): an append-only ledger, the catalogue, redemptions.

The ledger (`PointsEntry`) is only ever appended to. Its balance is kept per client in
`PointsAccount` by a database trigger on every insert (see migration 0002), and the
account's CHECK (balance >= 0) makes the database itself refuse any entry that would
overdraw a client. On PostgreSQL further triggers refuse UPDATE and DELETE on the ledger
and any change of an account's balance that does not come from a ledger insert.
Corrections are reversing entries.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Branch
from clients.models import Client

# The largest change one manual adjustment may make, either way (points): a bound that
# no real correction reaches, checked before the database sees the number.
ADJUSTMENT_MAX_POINTS = 10_000_000
# Database ids are 64-bit: a larger number in a request is refused as bad input.
MAX_ID = 2**63 - 1


class EntryKind(models.TextChoices):
    TRADE = "trade", _("Trading")
    REFERRAL = "referral", _("Referral")
    ACTIVITY = "activity", _("Activity")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


EARNING_KINDS = (EntryKind.TRADE, EntryKind.REFERRAL, EntryKind.ACTIVITY)


class PointsEntry(models.Model):
    """One change of a client's points; never updated or deleted, only appended."""

    # No foreign-key constraint on the branch: the client's is checked, and the
    # services take the branch from the client; a second check per row is work the
    # nightly's bulk append of a day's trades can do without (Django still PROTECTs).
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="points_entries", db_index=False
    )
    delta = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    # The day the points were earned (or spent, or expired): trade date, interaction
    # date, the balance date a referral reached the threshold; balances "as of D" count
    # entries dated on or before D.
    dated = models.DateField()
    expires_at = models.DateField(null=True, blank=True)
    # What the entry is for: a trade, interaction, referred client, redemption, ...
    source_type = models.CharField(max_length=24, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    # Unique through a constraint (Meta), without the pattern index a unique field gets.
    idempotency_key = models.CharField(max_length=200)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    redemption = models.ForeignKey(
        "Redemption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # a partial index (Meta): most entries have none
    )
    policy_version = models.IntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index (Meta): the nightly's entries have none
    )

    class Meta:
        ordering = ["dated", "id"]
        verbose_name_plural = "points entries"
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="points_entry_idempotency_key"
            ),
            models.CheckConstraint(
                condition=~Q(delta=0), name="points_entry_delta_nonzero"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["redemption", "expiry"]) | Q(delta__lt=0),
                name="points_entry_debits_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["trade", "referral", "activity"])
                | Q(delta__gt=0),
                name="points_entry_earnings_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "dated"], name="points_entry_client_dated"),
            models.Index(
                fields=["branch", "kind", "source_id"], name="points_entry_source"
            ),
            models.Index(fields=["branch", "dated"], name="points_entry_branch_dated"),
            models.Index(
                fields=["branch", "expires_at"], name="points_entry_branch_expiry"
            ),
            models.Index(
                fields=["redemption"],
                name="points_entry_redemption",
                condition=Q(redemption__isnull=False),
            ),
            models.Index(
                fields=["created_by"],
                name="points_entry_created_by",
                condition=Q(created_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.client_id} {self.dated} {self.kind} {self.delta:+d}"


class PointsAccount(models.Model):
    """A client's current points balance, kept by a database trigger; never below 0.

    Written only by the ledger's insert trigger (PostgreSQL refuses any other change of
    the balance); the CHECK is what makes an overdrawing entry fail in the database.
    """

    client = models.OneToOneField(
        Client,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="points_account",
    )
    balance = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="points_account_balance_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.client_id}: {self.balance}"


class CatalogueItemManager(models.Manager):
    def get_by_natural_key(self, branch_code, code):
        return self.get(branch__code=branch_code, code=code)


class CatalogueItem(models.Model):
    """A service a client may redeem points for (积分兑换目录), with its stock."""

    branch = models.ForeignKey(
        Branch,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: offered at every branch."),
    )
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    points_price = models.PositiveIntegerField()
    # Tiers (small/medium/large/special) that get the item without points.
    free_tiers = models.JSONField(default=list, blank=True)
    # What one unit costs the branch in CNY (the "redeemed value" of the analytics).
    unit_value_cny = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Units left; empty means unlimited.
    stock = models.IntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    objects = CatalogueItemManager()

    class Meta:
        ordering = ["points_price", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(branch__isnull=True),
                name="catalogue_item_unique_global_code",
            ),
            models.UniqueConstraint(
                fields=["branch", "code"], name="catalogue_item_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0),
                name="catalogue_item_stock_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def natural_key(self):
        """`loaddata` finds an item by (branch code, item code); None: every branch."""
        return (self.branch.code if self.branch_id else None, self.code)


class Redemption(models.Model):
    """A client's redemption of a catalogue item; its points leave as a ledger entry."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="redemptions"
    )
    item = models.ForeignKey(
        CatalogueItem, on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveIntegerField(default=1)
    points = models.BigIntegerField()  # 0 when the client's tier gets it free
    value_cny = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tier = models.CharField(max_length=16, blank=True)
    dated = models.DateField()
    # Unique per branch (the constraint below): a key says nothing across branches.
    idempotency_key = models.CharField(max_length=200)
    # What was asked under the key: the same key with another payload is refused.
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "idempotency_key"],
                name="redemption_unique_key_per_branch",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(quantity__gte=1),
                name="redemption_points_quantity_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "dated"], name="redemption_branch_dated")
        ]

    def __str__(self):
        return f"{self.client_id} {self.item_id} ×{self.quantity} ({self.points})"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second manager")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class PointsAdjustment(models.Model):
    """A manager's manual correction; large ones wait for a second manager's approval."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="points_adjustments"
    )
    delta = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=16,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        PointsEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustment",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(delta=0), name="points_adjustment_delta_nonzero"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="points_adjustment_four_eyes",
            ),
        ]

    def __str__(self):
        return f"{self.client_id} {self.delta:+d} {self.status}"


class AccrualRun(models.Model):
    """One nightly accrual of a branch's points: its date, counts, and how far it read.

    The next run decides expiry only for lots that reached their day since `as_of`, or
    that were appended after `max_entry_id` (late imports), not for the whole ledger.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    max_entry_id = models.BigIntegerField(default=0)
    # How far the trade points have read: the trades up to `max_trade_id` and the
    # trade change log (clients.TradeChange) up to `max_change_id`; null: not yet (the
    # next accrual reads every trade). `pending_dates` (ISO): trade dates read but not
    # accrued yet (after `as_of`, or corrections waiting for the balance).
    max_trade_id = models.BigIntegerField(null=True, blank=True)
    max_change_id = models.BigIntegerField(null=True, blank=True)
    pending_dates = models.JSONField(default=list, blank=True)
    # Every interaction (and interaction change, clients.InteractionChange) up to
    # these ids was committed when the accrual read (null: the next accrual reads
    # every interaction of the branch).
    max_interaction_id = models.BigIntegerField(null=True, blank=True)
    max_interaction_change_id = models.BigIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["branch", "as_of"], name="accrual_run_branch")]

    def __str__(self):
        return f"{self.branch_id} {self.as_of}"
