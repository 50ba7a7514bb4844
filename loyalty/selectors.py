"""Reads of the points ledger: balances, history, the catalogue, the analytics.

Per-user reads start from `clients.selectors.client_scope`; the branch-wide reads
(`points_balances`, `redeemed_client_ids`) serve the nightly pipeline and exports,
which run for a branch, not for a user.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from clients.models import CONTACT_CHANNELS, Client, Interaction, TradeDay
from clients.selectors import client_scope, scoped
from tiers.selectors import client_scores_latest, policy_for

from .models import (
    EARNING_KINDS,
    AdjustmentStatus,
    CatalogueItem,
    EntryKind,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    Redemption,
)


def points_balances(*, branch_id: int, as_of: date) -> dict[int, int]:
    """Each client's balance counting entries dated on or before `as_of`.

    Clients without any such entry are absent (their balance is 0).
    """
    return dict(
        PointsEntry.objects.filter(branch_id=branch_id, dated__lte=as_of)
        .values("client_id")
        .annotate(balance=Sum("delta"))
        .order_by()
        .values_list("client_id", "balance")
    )


def redeemed_client_ids(*, branch_id: int, start: date, end: date) -> set[int]:
    """Clients who redeemed points (a redemption not reversed) between start and end."""
    return set(
        Redemption.objects.filter(branch_id=branch_id, dated__gte=start, dated__lte=end)
        .exclude(entries__kind="reversal")
        .values_list("client_id", flat=True)
        .distinct()
    )


def points_balance(*, client) -> int:
    """A client's current balance (every entry, whatever its date)."""
    return (
        PointsAccount.objects.filter(client_id=client.pk)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


def with_points_balance(clients: QuerySet[Client]) -> QuerySet[Client]:
    """The clients annotated with `points_balance` (their current balance, 0 if none)."""
    balance = PointsAccount.objects.filter(client_id=OuterRef("pk")).values("balance")
    return clients.annotate(
        points_balance=Coalesce(
            Subquery(balance[:1], output_field=IntegerField()),
            Value(0),
            output_field=IntegerField(),
        )
    )


def points_entry_list(*, user, client=None) -> QuerySet[PointsEntry]:
    """Ledger entries `user` may see, newest first."""
    entries = scoped(
        PointsEntry.objects.select_related("created_by", "redemption__item"),
        user=user,
    )
    if client is not None:
        entries = entries.filter(client=client)
    return entries.order_by("-dated", "-id")


def redemption_list(*, user, client=None) -> QuerySet[Redemption]:
    redemptions = scoped(Redemption.objects.select_related("item"), user=user)
    if client is not None:
        redemptions = redemptions.filter(client=client)
    return redemptions.order_by("-created_at", "-id")


def catalogue_list(*, branch_id: int) -> QuerySet[CatalogueItem]:
    """Active items offered at the branch (its own and the ones every branch offers)."""
    return CatalogueItem.objects.filter(
        Q(branch__isnull=True) | Q(branch_id=branch_id), is_active=True
    ).order_by("points_price", "code")


def adjustment_list(
    *, user, status: str | None = AdjustmentStatus.PENDING, branch: str = ""
):
    adjustments = scoped(
        PointsAdjustment.objects.select_related(
            "client", "client__branch", "requested_by"
        ),
        user=user,
    )
    if branch:
        adjustments = adjustments.filter(client__branch__code=branch)
    if status:
        adjustments = adjustments.filter(status=status)
    return adjustments.order_by("-requested_at")


# --- analytics -----------------------------------------------------------------------

LOYAL_TYPES = ("emotional", "attitudinal")


@dataclass
class LoyaltyRow:
    """Points and cost to serve of one client (or of a group of them) over a window."""

    clients: int = 0
    earned: int = 0
    redeemed: int = 0
    redeemed_value: Decimal = Decimal(0)
    contact_minutes: int = 0
    contact_cost: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)

    @property
    def cost_to_serve(self) -> Decimal:
        return self.redeemed_value + self.contact_cost

    @property
    def commission_per_cost(self) -> Decimal | None:
        if not self.cost_to_serve:
            return None
        return (self.commission / self.cost_to_serve).quantize(Decimal("0.01"))

    def add(self, other: LoyaltyRow) -> None:
        self.clients += other.clients
        self.earned += other.earned
        self.redeemed += other.redeemed
        self.redeemed_value += other.redeemed_value
        self.contact_minutes += other.contact_minutes
        self.contact_cost += other.contact_cost
        self.commission += other.commission


@dataclass
class ClientLoyalty:
    client: Client
    tier: str | None
    segment: str | None
    value_score: float | None
    loyalty_type: str | None
    figures: LoyaltyRow = field(default_factory=LoyaltyRow)


@dataclass
class LoyaltyAnalytics:
    start: date
    end: date
    groups: list[tuple[str, str, LoyaltyRow]]  # (segment, tier, figures)
    total: LoyaltyRow
    loyalty_types: dict[str, int]
    loyal_not_valuable: list[ClientLoyalty]
    valuable_not_loyal: list[ClientLoyalty]
    scored: bool


def loyalty_analytics(
    *, user, end: date, days: int = 365, list_limit: int = 50, branch: str = ""
) -> LoyaltyAnalytics:
    """SPEC §4 analytics over the `days` ending at `end`, for the clients `user` sees.

    Per segment and tier (from each branch's latest nightly run on or before `end`):
    points earned and redeemed, cost to serve (redeemed value + contact minutes × the
    policy's cost per minute) against commission. "Loyal" is an emotional or
    attitudinal loyalty type; "valuable" a value score at or above the core threshold.
    One aggregate query per source, whatever the number of clients.
    """
    start = end - timedelta(days=days - 1)
    clients = client_scope(user)
    if branch:
        # Head office narrows its view to one branch (still within its scope).
        clients = clients.filter(branch__code=branch)
    client_ids = clients.values("pk")
    per_client: dict[int, LoyaltyRow] = defaultdict(LoyaltyRow)

    entries = (
        PointsEntry.objects.filter(
            client_id__in=client_ids, dated__gte=start, dated__lte=end
        )
        .values("client_id", "kind", "redemption_id")
        .annotate(points=Sum("delta"))
        .order_by()
    )
    for row in entries:
        figures = per_client[row["client_id"]]
        if row["kind"] in EARNING_KINDS:
            figures.earned += row["points"]
        elif row["redemption_id"] is not None:
            # A redemption and its reversal net out.
            figures.redeemed -= row["points"]
    redemptions = (
        Redemption.objects.filter(
            client_id__in=client_ids, dated__gte=start, dated__lte=end
        )
        .exclude(entries__kind=EntryKind.REVERSAL)
        .values("client_id")
        .annotate(value=Sum("value_cny"))
        .order_by()
    )
    for row in redemptions:
        per_client[row["client_id"]].redeemed_value += row["value"] or 0
    contacts = (
        Interaction.objects.filter(
            client_id__in=client_ids,
            date__gte=start,
            date__lte=end,
            channel__in=CONTACT_CHANNELS,
        )
        .values("client_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    for row in contacts:
        per_client[row["client_id"]].contact_minutes += row["minutes"] or 0
    commissions = (
        TradeDay.objects.filter(
            account__client_id__in=client_ids, date__gte=start, date__lte=end
        )
        .values("account__client_id")
        .annotate(commission=Sum("commission"))
        .order_by()
    )
    for row in commissions:
        per_client[row["account__client_id"]].commission += row["commission"] or 0

    branch_ids = list(clients.order_by().values_list("branch_id", flat=True).distinct())
    scores, cost_per_minute, core_min = {}, {}, {}
    for branch_id in branch_ids:
        policy = policy_for(branch=branch_id)[1]
        cost_per_minute[branch_id] = Decimal(str(policy.points.cost_per_contact_minute))
        core_min[branch_id] = policy.segment.core_min_value
        scores.update(
            {
                s["client_id"]: s
                for s in client_scores_latest(branch_id=branch_id, as_of=end)
                .filter(client_id__in=client_ids)
                .values("client_id", "tier", "segment", "value_score", "loyalty_type")
            }
        )

    groups: dict[tuple[str, str], LoyaltyRow] = defaultdict(LoyaltyRow)
    total = LoyaltyRow()
    type_counts: dict[str, int] = defaultdict(int)
    loyal_not_valuable, valuable_not_loyal = [], []
    for client in clients.select_related("advisor", "branch").order_by("client_no"):
        figures = per_client.get(client.pk, LoyaltyRow())
        figures.clients = 1
        figures.contact_cost = figures.contact_minutes * cost_per_minute.get(
            client.branch_id, Decimal(0)
        )
        score = scores.get(client.pk, {})
        tier, segment = score.get("tier"), score.get("segment")
        groups[(segment or "", tier or "")].add(figures)
        total.add(figures)
        kind = score.get("loyalty_type")
        if kind:
            type_counts[kind] += 1
        value = score.get("value_score")
        if value is None or kind is None:
            continue
        row = ClientLoyalty(client, tier, segment, value, kind, figures)
        valuable = value >= core_min.get(client.branch_id, 80.0)
        if kind in LOYAL_TYPES and not valuable:
            loyal_not_valuable.append(row)
        elif valuable and kind not in LOYAL_TYPES:
            valuable_not_loyal.append(row)

    loyal_not_valuable.sort(key=lambda r: (-r.figures.cost_to_serve, r.value_score))
    valuable_not_loyal.sort(key=lambda r: -r.value_score)
    return LoyaltyAnalytics(
        start=start,
        end=end,
        groups=sorted(
            ((s, t, f) for (s, t), f in groups.items()),
            key=lambda g: (SEGMENT_ORDER.get(g[0], 9), TIER_ORDER.get(g[1], 9)),
        ),
        total=total,
        loyalty_types={k: type_counts.get(k, 0) for k in LOYALTY_TYPE_ORDER},
        loyal_not_valuable=loyal_not_valuable[:list_limit],
        valuable_not_loyal=valuable_not_loyal[:list_limit],
        scored=bool(scores),
    )


SEGMENT_ORDER = {"core": 0, "dormant": 1, "maintaining": 2, "precipitating": 3}
TIER_ORDER = {"special": 0, "large": 1, "medium": 2, "small": 3}
LOYALTY_TYPE_ORDER = ("emotional", "attitudinal", "behavioural", "none")
