"""The branch's book: clients and their accounts, and what the back office reports of them.

Money is Decimal (CNY, two places); prices and quantities keep four. Natural keys are
unique per branch, as SPEC §2 says. Indexes serve the queries we run: per account by
date (client pages, nightly windows) and per branch by natural key (imports).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Branch

from .crypto import (
    ID_NUMBER,
    PHONE,
    EncryptedTextField,
    LookupHashField,
    Sealed,
    lookup_hash,
)

MONEY = {"max_digits": 18, "decimal_places": 2}
PRICE = {"max_digits": 18, "decimal_places": 4}
QUANTITY = {"max_digits": 20, "decimal_places": 4}


class ClientKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    INSTITUTION = "institution", _("Institution")
    BROKER_INTRODUCED = "broker_introduced", _("Broker-introduced")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class TimeAvailability(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RelationshipLevel(models.TextChoices):
    """Ordered: intermediary < priority < partnership < alliance (SPEC §3.2)."""

    INTERMEDIARY = "intermediary", _("Intermediary")
    PRIORITY = "priority", _("Priority")
    PARTNERSHIP = "partnership", _("Partnership")
    ALLIANCE = "alliance", _("Strategic alliance")


RELATIONSHIP_ORDER = {level: i for i, level in enumerate(RelationshipLevel.values)}


class RiskLevel(models.TextChoices):
    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 cautious")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")


class Household(models.Model):
    """Related clients grouped together: a family, or a company and its staff (家庭/关联客户)."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family")
        COMPANY = "company", _("Company and staff")

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="households"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FAMILY)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


#: Encrypted personal data field → its lookup hash field.
PERSONAL_DATA_HASHES = {"id_number": "id_number_hash", "phone": "phone_hash"}
_KINDS = {"id_number": ID_NUMBER, "phone": PHONE}


class ClientQuerySet(models.QuerySet):
    """Bulk writes keep each personal data field's lookup hash in step with it (a
    row's save does so in LookupHashField.pre_save)."""

    def update(self, **kwargs):
        for field, hashed in PERSONAL_DATA_HASHES.items():
            if field in kwargs and hashed not in kwargs:
                kwargs[hashed] = lookup_hash(_KINDS[field], kwargs[field])
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        for field, hashed in PERSONAL_DATA_HASHES.items():
            if field in fields:
                for obj in objs:
                    value = getattr(obj, field)
                    if not isinstance(value, Sealed):
                        setattr(obj, hashed, lookup_hash(_KINDS[field], value))
                if hashed not in fields:
                    fields.append(hashed)
        return super().bulk_update(objs, fields, batch_size=batch_size)


class Client(models.Model):
    """A client of the branch (客户); prospects have no opened_at."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="clients")
    client_no = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=24, choices=ClientKind.choices, default=ClientKind.INDIVIDUAL
    )
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    # Personal data: encrypted at rest, found by the keyed hash of its value (crypto.py).
    id_number = EncryptedTextField(blank=True)
    id_number_hash = LookupHashField(source="id_number", kind=ID_NUMBER, db_index=True)
    phone = EncryptedTextField(blank=True)
    phone_hash = LookupHashField(source="phone", kind=PHONE, db_index=True)
    opened_at = models.DateField(null=True, blank=True)
    closed_at = models.DateField(null=True, blank=True)
    advisor = models.ForeignKey(
        Advisor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    referred_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    investing_since = models.DateField(null=True, blank=True)
    time_availability = models.CharField(
        max_length=8, choices=TimeAvailability.choices, blank=True
    )
    onsite = models.BooleanField(default=False)
    relationship_level = models.CharField(
        max_length=16,
        choices=RelationshipLevel.choices,
        default=RelationshipLevel.INTERMEDIARY,
    )
    risk_level = models.CharField(max_length=2, choices=RiskLevel.choices, blank=True)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["client_no"]
        permissions = [
            ("reveal_personal_data", "Can reveal full ID and phone numbers"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "client_no"], name="client_unique_client_no"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | Q(opened_at__isnull=True)
                | Q(closed_at__gte=models.F("opened_at")),
                name="client_closed_after_opened",
            ),
        ]
        indexes = [
            # Likely duplicates: a GROUP BY of one branch's hashes read from the index
            # alone (the id for leaving merged clients out), not 50,000 heap rows.
            models.Index(
                fields=["branch", "id_number_hash", "id"], name="client_branch_id_hash"
            ),
            models.Index(
                fields=["branch", "phone_hash", "id"], name="client_branch_phone_hash"
            ),
            # An advisor's book in a scorecard: counted and listed by number.
            models.Index(
                fields=["advisor", "branch", "client_no"], name="client_advisor_no"
            ),
        ]

    def __str__(self):
        return f"{self.client_no} {self.name}"

    def is_open_on(self, day) -> bool:
        """Open on a day: opened on or before it and not closed by it (SPEC §3)."""
        return (
            self.opened_at is not None
            and self.opened_at <= day
            and (self.closed_at is None or self.closed_at > day)
        )


class Account(models.Model):
    """A capital account (资金账号); a client's figures sum over their accounts."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="accounts"
    )
    account_no = models.CharField(max_length=32)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="accounts"
    )

    class Meta:
        ordering = ["account_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "account_no"], name="account_unique_account_no"
            )
        ]

    def __str__(self):
        return self.account_no


class SecurityKind(models.TextChoices):
    STOCK = "stock", _("Stock")
    BOND = "bond", _("Bond")
    FUND = "fund", _("Fund")
    INDEX = "index", _("Index")


class Security(models.Model):
    """A listed security or index (证券); market data, shared by every branch."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(
        max_length=8, choices=SecurityKind.choices, default=SecurityKind.STOCK
    )
    industry = models.CharField(max_length=100, blank=True)
    listed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "securities"

    def __str__(self):
        return f"{self.code} {self.name}"


class Price(models.Model):
    """A daily close (收盘价) of a security or index."""

    security = models.ForeignKey(
        Security, on_delete=models.CASCADE, related_name="prices"
    )
    date = models.DateField()
    close = models.DecimalField(**PRICE)

    class Meta:
        ordering = ["security", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["security", "date"], name="price_unique_day"
            )
        ]

    def __str__(self):
        return f"{self.security_id} {self.date} {self.close}"


class Side(models.TextChoices):
    BUY = "B", _("Buy")
    SELL = "S", _("Sell")


class Trade(models.Model):
    """One execution (成交) on an account. The biggest table: keep its indexes few.

    Its references carry no database constraint: checking three foreign keys per row
    at commit costs more than the whole import of a day's file may take, and every
    writer (the importer, the seeder) resolves account, security and branch before it
    writes. Deleting a referenced row is still refused (PROTECT) by Django.
    """

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    trade_id = models.CharField(max_length=40)
    trade_date = models.DateField()
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="trades",
        db_index=False,
        db_constraint=False,
    )
    security = models.ForeignKey(
        Security,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    side = models.CharField(max_length=1, choices=Side.choices)
    quantity = models.DecimalField(**QUANTITY)
    price = models.DecimalField(**PRICE)
    amount = models.DecimalField(**MONEY)
    commission = models.DecimalField(**MONEY, default=0)
    stamp_tax = models.DecimalField(**MONEY, default=0)
    transfer_fee = models.DecimalField(**MONEY, default=0)
    other_fees = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [
            # Also the index the importer's ON CONFLICT uses.
            models.UniqueConstraint(
                fields=["branch", "trade_id"], name="trade_unique_id"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "trade_date"], name="trade_account_date"),
        ]

    def __str__(self):
        return f"{self.trade_id} {self.trade_date} {self.side} {self.security_id}"


class TradeDay(models.Model):
    """Per account per trade date totals, refreshed whenever trades are written.

    The nightly pipeline reads these client-days instead of every trade.
    """

    # Derived from trades, which carry no database constraint either (see Trade).
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField()
    trades = models.PositiveIntegerField()
    commission = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    buy_amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="trade_day_unique")
        ]
        indexes = [models.Index(fields=["date"], name="trade_day_date")]

    def __str__(self):
        return f"{self.account_id} {self.date}"


class TradeChange(models.Model):
    """A trade date of a branch whose trades were written (added or changed).

    Written by `trade_days_refresh`, in the same transaction as the trades: the log an
    incremental reader (the nightly points accrual) follows by id, reading only the
    trades of the dates that changed since it last looked.
    """

    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["branch", "id"], name="trade_change_branch")]

    def __str__(self):
        return f"{self.branch_id} {self.date}"


class InteractionChange(models.Model):
    """An existing interaction whose date or channel an import changed.

    Written in the importer's transaction: the log the incremental points accrual
    follows by id, so an interaction that now earns (a channel that pays, a date now
    due) is found without reading every interaction again.
    """

    id = models.BigAutoField(primary_key=True)
    interaction = models.ForeignKey(
        "Interaction", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.interaction_id)


class Position(models.Model):
    """A holding (持仓) at the end of a day."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="positions", db_index=False
    )
    date = models.DateField()
    security = models.ForeignKey(
        Security, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.DecimalField(**QUANTITY)
    cost_price = models.DecimalField(**PRICE, null=True, blank=True)
    market_value = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "date", "security"], name="position_unique_day"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.date} {self.security_id}"


class Balance(models.Model):
    """An account's end-of-day cash and assets (资金余额/总资产)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="balances", db_index=False
    )
    date = models.DateField()
    cash = models.DecimalField(**MONEY)
    market_value = models.DecimalField(**MONEY)
    total_assets = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "date"], name="balance_unique_day"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.date} {self.total_assets}"


class CashFlowType(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit (bank to broker)")
    WITHDRAWAL = "withdrawal", _("Withdrawal (broker to bank)")
    CUSTODY_IN = "custody_in", _("Custody transfer in")
    CUSTODY_OUT = "custody_out", _("Custody transfer out")


CASH_FLOW_SIGN = {
    CashFlowType.DEPOSIT: 1,
    CashFlowType.CUSTODY_IN: 1,
    CashFlowType.WITHDRAWAL: -1,
    CashFlowType.CUSTODY_OUT: -1,
}


class CashFlow(models.Model):
    """Money or securities moving in or out of an account; amounts are positive."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    flow_id = models.CharField(max_length=40)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="cash_flows", db_index=False
    )
    date = models.DateField()
    type = models.CharField(max_length=16, choices=CashFlowType.choices)
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "flow_id"], name="cash_flow_unique_id"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="cash_flow_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "date"], name="cash_flow_account_date")
        ]

    def __str__(self):
        return f"{self.flow_id} {self.date} {self.type} {self.amount}"


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    MESSAGE = "message", _("Message / WeChat")
    SEMINAR = "seminar", _("Seminar / event")
    SURVEY = "survey", _("Survey")
    COMPLAINT = "complaint", _("Complaint")


CONTACT_CHANNELS = (Channel.CALL, Channel.VISIT, Channel.EMAIL, Channel.MESSAGE)
ACTIVITY_CHANNELS = (Channel.SEMINAR, Channel.SURVEY)


class Interaction(models.Model):
    """A contact, activity or complaint logged against a client (服务记录)."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    interaction_id = models.CharField(max_length=40)
    date = models.DateField()
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    advisor = models.ForeignKey(
        Advisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    minutes = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    recommended = models.ManyToManyField(Security, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "interaction_id"], name="interaction_unique_id"
            )
        ]
        indexes = [
            models.Index(fields=["client", "date"], name="interaction_client_date"),
            # The last 30 days' contacts of a book (Today's minutes chart) without
            # reading the branch's whole history.
            models.Index(fields=["date"], name="interaction_date"),
        ]

    def __str__(self):
        return f"{self.interaction_id} {self.date} {self.channel}"


class FeedbackTopic(models.TextChoices):
    SATISFACTION = "satisfaction", _("Satisfaction")
    RESEARCH = "research", _("Research usefulness")
    DIRECTION = "direction", _("Research direction")


class Feedback(models.Model):
    """A client's rating (1–5) of the branch's service or research."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    feedback_id = models.CharField(max_length=40)
    date = models.DateField()
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="feedback", db_index=False
    )
    topic = models.CharField(max_length=16, choices=FeedbackTopic.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "feedback_id"], name="feedback_unique_id"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5),
                name="feedback_score_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["client", "date"], name="feedback_client_date")]

    def __str__(self):
        return f"{self.feedback_id} {self.date} {self.topic} {self.score}"


class TaskKind(models.TextChoices):
    CHURN = "churn", _("Churn risk")
    ALERT = "alert", _("Position alert")
    CADENCE = "cadence", _("Overdue contact")
    SUITABILITY = "suitability", _("Suitability warning")
    MANUAL = "manual", _("Follow-up")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")
    # A generated task whose condition no longer held on a later nightly run.
    CLEARED = "cleared", _("Cleared")


# The words of the generated tasks, by (kind, code): the clients app owns them; the
# nightly run's steps only say which condition holds for which client.
GENERATED_TASK_TITLES = {
    ("churn", "OUTFLOW"): _(
        "Churn risk (outflow): call within 2 days; review the commission rate."
    ),
    ("churn", "LOSSES"): _("Churn risk (losses): portfolio review and education."),
    ("churn", "DORMANT"): _("Churn risk (dormant): re-engagement contact."),
    ("churn", "DISSATISFIED"): _("Churn risk (dissatisfied): manager follow-up."),
    ("alert", "CONCENTRATION"): _(
        "Concentration: one position is half the assets or more"
    ),
    ("alert", "DRAWDOWN"): _("Turning point: a large position is well below cost"),
    ("cadence", "OVERDUE"): _("Overdue contact for the relationship level"),
    ("suitability", "SUITABILITY"): _(
        "Suitability warning: behaviour riskier than the questionnaire level"
    ),
}


def generated_task_title(kind: str, code: str, *, default: bool = False) -> str:
    """The title of a generated task in the active language (or the default one)."""
    title = GENERATED_TASK_TITLES.get((kind, code))
    if title is None:
        return f"{kind} {code}"
    if default:
        with translation.override(settings.LANGUAGE_CODE):
            return str(title)
    return str(title)


class Task(models.Model):
    """A follow-up for an advisor: generated by the nightly run or written by hand.

    A generated task is not raised again for the same client, kind and code while one
    is open (the partial unique constraint makes re-runs idempotent).
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tasks")
    owner = models.ForeignKey(
        Advisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    kind = models.CharField(max_length=16, choices=TaskKind.choices)
    code = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    outcome = models.TextField(blank=True)
    raised_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "code"],
                condition=Q(status="open") & ~Q(kind="manual"),
                name="task_one_open_generated",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="task_owner_due")
        ]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language: generated tasks' words come from the app."""
        if self.kind != TaskKind.MANUAL and (self.kind, self.code) in (
            GENERATED_TASK_TITLES
        ):
            return generated_task_title(self.kind, self.code)
        return self.title
