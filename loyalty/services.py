"""Writes of the points ledger: accrual, expiry, redemption, reversal, adjustments.

Every change is an appended `PointsEntry`; the database keeps each client's balance
(a trigger) and refuses to let it go below 0 (a CHECK), so the services' own checks are
for clear messages, not for safety. Redemptions, reversals and adjustments lock the
client's row, so two of them for one client run one after the other; expiry locks the
clients' points accounts; an accrual locks its branch's row, so one runs at a time.
Client, branch and item rows are locked FOR NO KEY UPDATE: the foreign-key checks of
other transactions' inserts (FOR KEY SHARE) must not queue behind them, or an accrual
and a redemption could each wait for the other.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Subquery, Sum, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Branch
from brokercrm.db import copy_rows
from clients import permissions
from clients.models import Balance, Client, Interaction, Trade, TradeChange
from clients.selectors import trade_changes_since
from tiers.policy import Policy
from tiers.selectors import latest_tiers, policy_for

from .catalogue import DEFAULT_ITEMS
from .fifo import ClientPoints, add_months, expiries_due
from .models import (
    ADJUSTMENT_MAX_POINTS,
    AccrualRun,
    AdjustmentStatus,
    CatalogueItem,
    EntryKind,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    Redemption,
)


class PointsError(ValidationError):
    """A points operation that cannot be done, with a message for the user.

    code "invalid": the request itself is wrong (the API answers 400); any other code
    (or none): the state does not allow it now — balance, stock, already done (409).
    """


ENTRY_COLUMNS = [
    "branch_id",
    "client_id",
    "delta",
    "kind",
    "dated",
    "expires_at",
    "source_type",
    "source_id",
    "idempotency_key",
    "policy_version",
    "note",
    "created_at",
]


def _policy(branch) -> tuple[int | None, Policy]:
    return policy_for(branch=branch)


# --- accrual -------------------------------------------------------------------------


@transaction.atomic
def points_accrue(
    *, branch, as_of: date, policy: Policy | None = None, policy_version=None
) -> dict:
    """Append every point the branch's clients earned on or before `as_of`, and expire.

    Idempotent: each trade, activity and referral earns once (its idempotency key), and
    expiry entries are appended only for what the FIFO rule says is still due, so a
    re-run for the same date appends nothing. Set-based: one query per source.
    Returns the number of entries appended per kind and the net points.
    """
    if policy is None:
        policy_version, policy = _policy(branch)
    # One accrual per branch at a time: a second waits, then finds nothing to add.
    # With the lock, the trade change log's last id: how far this accrual reads it.
    last_change = (
        Branch.objects.select_for_update(no_key=True)
        .filter(pk=branch.pk)
        .annotate(
            last_change=Subquery(
                TradeChange.objects.filter(branch_id=OuterRef("pk"))
                .order_by("-id")
                .values("id")[:1]
            )
        )
        .values_list("last_change", flat=True)
        .get()
    ) or 0
    rules = policy.points
    started = time.monotonic()
    now = timezone.now()
    rows: list[tuple] = []

    def earn(client_id, delta, kind, dated, source_type, source_id):
        rows.append(
            (
                branch.pk,
                client_id,
                delta,
                kind.value,
                dated,
                add_months(dated, rules.expiry_months),
                source_type,
                source_id,
                f"{kind.value}:{source_type}:{source_id}",
                policy_version,
                "",
                now,
            )
        )

    # An earning's kind names its source (trade, interaction, referred client), so
    # (branch, kind, source_id) finds what was already earned, from its index.
    earned = PointsEntry.objects.filter(branch=branch)

    # Trading: floor(commission × rate) per trade, dated by the trade date. Read
    # incrementally (see `_trade_points`); the first accrual of a branch reads all.
    counts: dict[str, int] = defaultdict(int)
    sql_points = 0
    rate = Decimal(str(rules.per_cny_commission))
    # The latest run (how far it read) and, over every run, the latest date and
    # ledger entry the expiry below starts from: one query.
    previous = (
        AccrualRun.objects.filter(branch=branch)
        .annotate(
            last_as_of=Window(Max("as_of")), last_entry_id=Window(Max("max_entry_id"))
        )
        .order_by("-id")
        .values(
            "max_trade_id",
            "max_change_id",
            "pending_dates",
            "last_as_of",
            "last_entry_id",
        )
        .first()
    ) or {
        "max_trade_id": None,
        "max_change_id": None,
        "pending_dates": [],
        "last_as_of": None,
        "last_entry_id": 0,
    }
    previous["as_of"] = previous["last_as_of"]
    previous["max_entry_id"] = previous["last_entry_id"]
    read = {
        "max_trade_id": previous["max_trade_id"],
        "max_change_id": last_change,
        "pending_dates": previous["pending_dates"],
    }
    if rate > 0:
        trade_counts, trade_points, read = _trade_points(
            branch_id=branch.pk,
            as_of=as_of,
            previous=previous,
            last_change=last_change,
            rate=rate,
            months=rules.expiry_months,
            policy_version=policy_version,
            now=now,
        )
        sql_points += trade_points
        for key, value in trade_counts.items():
            counts[key] += value

    # Activities: points per channel, prospects included, dated by the interaction.
    channels = {c: p for c, p in rules.activity_points.items() if p > 0}
    if channels:
        activities = (
            Interaction.objects.filter(
                branch=branch, date__lte=as_of, channel__in=list(channels)
            )
            .exclude(
                Exists(earned.filter(kind=EntryKind.ACTIVITY, source_id=OuterRef("pk")))
            )
            .values_list("pk", "client_id", "date", "channel")
            .order_by()
        )
        for interaction_id, client_id, day, channel in activities.iterator(
            chunk_size=5000
        ):
            earn(
                client_id,
                int(channels[channel]),
                EntryKind.ACTIVITY,
                day,
                "interaction",
                interaction_id,
            )

    # Referrals: the referrer earns when the referred client's total assets (over
    # their accounts, per balance date) first reach the threshold.
    if rules.referral_points > 0:
        referred = (
            Client.objects.filter(branch=branch, referred_by__isnull=False)
            .exclude(
                Exists(earned.filter(kind=EntryKind.REFERRAL, source_id=OuterRef("pk")))
            )
            .values("pk")
        )
        reached = (
            Balance.objects.filter(account__client__in=referred, date__lte=as_of)
            .values("account__client_id", "account__client__referred_by_id", "date")
            .annotate(total=Sum("total_assets"))
            .filter(total__gte=Decimal(str(rules.referral_assets_threshold)))
            .order_by("account__client_id", "date")
        )
        first: dict[int, tuple[int, date]] = {}
        for row in reached:
            first.setdefault(
                row["account__client_id"],
                (row["account__client__referred_by_id"], row["date"]),
            )
        referrers = set(
            Client.objects.filter(
                branch=branch, pk__in={r for r, _ in first.values()}
            ).values_list("pk", flat=True)
        )
        for referred_id, (referrer_id, day) in sorted(first.items()):
            if referrer_id in referrers:
                earn(
                    referrer_id,
                    int(rules.referral_points),
                    EntryKind.REFERRAL,
                    day,
                    "client",
                    referred_id,
                )

    for row in rows:
        counts[row[3]] += 1
    if rows:
        copy_rows(PointsEntry, ENTRY_COLUMNS, rows)
    if connection.vendor == "postgresql" and sum(counts.values()) >= 50_000:
        # A first accrual fills the ledger: the expiry queries below, and the next
        # night's, must not be planned for an empty table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE loyalty_pointsentry")

    # Expiry: only the clients with a lot that reached its expiry day since the last
    # run, or with a lot appended since then that has already reached it.
    lots = PointsEntry.objects.filter(
        branch=branch, expires_at__isnull=False, expires_at__lte=as_of
    ).exclude(kind=EntryKind.EXPIRY)
    expired = {"entries": 0, "points": 0}
    if previous["as_of"] is None:
        groups = [(None, set(lots.values_list("client_id", flat=True).distinct()))]
    else:
        late = lots.filter(pk__gt=previous["max_entry_id"] or 0).aggregate(
            first=Min("expires_at")
        )["first"]
        late_clients = set(
            lots.filter(pk__gt=previous["max_entry_id"] or 0)
            .values_list("client_id", flat=True)
            .distinct()
        )
        due_clients = set(
            lots.filter(expires_at__gt=previous["as_of"])
            .values_list("client_id", flat=True)
            .distinct()
        )
        groups = [
            (late, late_clients),
            (previous["as_of"] + timedelta(days=1), due_clients - late_clients),
        ]
    for from_day, client_ids in groups:
        if client_ids:
            done = _expire(
                client_ids=client_ids, as_of=as_of, now=now, from_day=from_day
            )
            expired["entries"] += done["entries"]
            expired["points"] += done["points"]
    counts[EntryKind.EXPIRY] += expired["entries"]
    AccrualRun.objects.create(
        branch=branch,
        as_of=as_of,
        policy_version=policy_version,
        max_entry_id=PointsEntry.objects.aggregate(m=Max("pk"))["m"] or 0,
        max_trade_id=read["max_trade_id"],
        max_change_id=read["max_change_id"],
        pending_dates=read["pending_dates"],
        counts=dict(counts),
        duration_s=round(time.monotonic() - started, 3),
    )
    return {
        "trade": counts[EntryKind.TRADE],
        "trade_corrected": counts["trade_corrected"],
        "referral": counts[EntryKind.REFERRAL],
        "activity": counts[EntryKind.ACTIVITY],
        "expiry": counts[EntryKind.EXPIRY],
        "entries": sum(counts.values()),
        "points_earned": sql_points + sum(r[2] for r in rows),
        "points_expired": expired["points"],
    }


REVERSAL_COLUMNS = [*ENTRY_COLUMNS, "reverses_id"]


def _trade_points(
    *, branch_id, as_of, previous, last_change, rate, months, policy_version, now
) -> tuple[dict, int, dict]:
    """Append the trade points due by `as_of`, reading only what arrived since the
    last accrual: trades added since (ids above its `max_trade_id`) and the trades of
    the dates written since (the trade change log above its `max_change_id`, e.g. a
    re-import that corrected a commission), plus dates left pending.

    A trade without a live earning earns floor(commission × rate); a trade whose live
    earning differs gets a reversal of it and a new earning. A client whose
    corrections would take the balance below 0 keeps them pending. Trades dated
    after `as_of` wait for a later date. The first accrual of a branch reads every
    trade. Returns (entries per kind, net points, how far it read).
    """
    counts: dict[str, int] = defaultdict(int)
    first = previous["max_trade_id"] is None
    if first:
        dates: set[date] = set()
    else:
        dates = trade_changes_since(
            branch_id=branch_id,
            after_id=previous["max_change_id"] or 0,
            up_to_id=last_change,
        )
        dates |= {date.fromisoformat(d) for d in previous["pending_dates"]}
    if first and connection.vendor == "postgresql":
        # Inside the database: one INSERT … SELECT with an anti-join over every trade.
        entries, points, max_id, later = _trade_points_insert(
            branch_id=branch_id,
            as_of=as_of,
            rate=rate,
            months=months,
            policy_version=policy_version,
            now=now,
        )
        counts[EntryKind.TRADE] = entries
        read = {
            "max_trade_id": max_id,
            "max_change_id": last_change,
            "pending_dates": sorted(d.isoformat() for d in later),
        }
        return counts, points, read
    trades, live = _trade_points_read(
        branch_id=branch_id,
        after_id=None if first else previous["max_trade_id"],
        dates=sorted(dates),
    )
    pending = {d for d in dates if d > as_of}
    max_id = previous["max_trade_id"] or 0
    new, corrections = [], defaultdict(list)
    for trade_id, client_id, trade_date, commission in trades:
        max_id = max(max_id, trade_id)
        if trade_date > as_of:
            pending.add(trade_date)
            continue
        due = math.floor(commission * rate)
        earned = live.get(trade_id)
        if earned is None:
            if due > 0:
                new.append((trade_id, client_id, trade_date, due, None))
        elif earned[1] != due:
            corrections[client_id].append((trade_id, trade_date, due, earned))
    applied: dict[int, list] = {}
    if corrections:
        balances = dict(
            PointsAccount.objects.select_for_update()
            .filter(client_id__in=sorted(corrections))
            .order_by("client_id")
            .values_list("client_id", "balance")
        )
        for client_id, items in corrections.items():
            net = sum(due - earned[1] for _, _, due, earned in items)
            if balances.get(client_id, 0) + net < 0:
                pending.update(trade_date for _, trade_date, _, _ in items)
                continue
            applied[client_id] = items
            for trade_id, trade_date, due, earned in items:
                if due > 0:
                    new.append((trade_id, client_id, trade_date, due, earned[0]))
    earn_rows = [
        (
            branch_id,
            client_id,
            due,
            EntryKind.TRADE.value,
            trade_date,
            add_months(trade_date, months),
            "trade",
            trade_id,
            f"trade:trade:{trade_id}" + ("" if replaces is None else f":{replaces}"),
            policy_version,
            "",
            now,
        )
        for trade_id, client_id, trade_date, due, replaces in sorted(
            new, key=lambda row: (row[2], row[0])
        )
    ]
    note = _("commission corrected")
    reversal_rows = [
        (
            branch_id,
            client_id,
            -earned[1],
            EntryKind.REVERSAL.value,
            as_of,
            earned[2],
            "trade",
            trade_id,
            f"reversal:{earned[0]}",
            policy_version,
            note,
            now,
            earned[0],
        )
        for client_id, items in applied.items()
        for trade_id, _, _, earned in items
    ]
    # Earnings first: the new lot is there before the old one is taken back.
    if earn_rows:
        copy_rows(PointsEntry, ENTRY_COLUMNS, earn_rows)
    if reversal_rows:
        copy_rows(PointsEntry, REVERSAL_COLUMNS, reversal_rows)
    counts[EntryKind.TRADE] = len(earn_rows)
    counts[EntryKind.REVERSAL] = len(reversal_rows)
    counts["trade_corrected"] = len(reversal_rows)
    points = sum(r[2] for r in earn_rows) + sum(r[2] for r in reversal_rows)
    read = {
        "max_trade_id": max_id,
        "max_change_id": last_change,
        "pending_dates": sorted(d.isoformat() for d in pending),
    }
    return counts, points, read


def _trade_points_read(*, branch_id, after_id, dates):
    """The trades added after `after_id` (None: every trade) or dated on `dates`, and
    the live (not reversed) earning of each.

    Returns [(trade_id, client_id, trade_date, commission)] and
    {trade_id: (entry_id, delta, expires_at)}.
    """
    if connection.vendor == "postgresql" and after_id is not None:
        parts = [
            "SELECT t.id, t.account_id, t.trade_date, t.commission "
            "FROM clients_trade t WHERE t.branch_id = %(branch)s AND t.id > %(after)s"
        ]
        if dates:
            # The account-days of those dates (TradeDay, every writer of trades keeps
            # it), then each one's trades by the (account, date) index: a day's
            # trades without scanning the table.
            parts.append(
                "SELECT t.id, t.account_id, t.trade_date, t.commission "
                "FROM clients_tradeday d JOIN clients_account a "
                "ON a.id = d.account_id AND a.branch_id = %(branch)s "
                "CROSS JOIN LATERAL (SELECT t.id, t.account_id, t.trade_date, "
                "t.commission FROM clients_trade t WHERE t.account_id = d.account_id "
                "AND t.trade_date = d.date) t WHERE d.date = ANY(%(dates)s::date[])"
            )
        # Only the constant fragments above are joined; every value is a parameter.
        sql = (
            "WITH wanted AS MATERIALIZED (SELECT DISTINCT * FROM ("  # nosec B608
            + " UNION ALL ".join(parts)
            + ") AS w) "  # nosec B608 # constant fragments, values are parameters
            "SELECT w.id, a.client_id, w.trade_date, w.commission, e.id, e.delta, "
            "e.expires_at FROM wanted w JOIN clients_account a ON a.id = w.account_id "
            "LEFT JOIN loyalty_pointsentry e ON e.branch_id = %(branch)s "
            "AND e.kind = 'trade' AND e.source_id = w.id AND NOT EXISTS ("
            "SELECT 1 FROM loyalty_pointsentry r WHERE r.reverses_id = e.id)"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql, {"branch": branch_id, "after": after_id, "dates": list(dates)}
            )
            rows = cursor.fetchall()
        trades = [(r[0], r[1], r[2], r[3]) for r in rows]
        live = {r[0]: (r[4], r[5], r[6]) for r in rows if r[4] is not None}
        return trades, live
    selected = Trade.objects.filter(branch_id=branch_id)
    if after_id is not None:
        selected = selected.filter(Q(pk__gt=after_id) | Q(trade_date__in=dates))
    earning = PointsEntry.objects.filter(
        branch_id=branch_id,
        kind=EntryKind.TRADE,
        source_id=OuterRef("pk"),
        reversed_by__isnull=True,
    ).order_by("-pk")
    rows = (
        selected.order_by()
        .annotate(
            entry_id=Subquery(earning.values("pk")[:1]),
            entry_delta=Subquery(earning.values("delta")[:1]),
            entry_expires=Subquery(earning.values("expires_at")[:1]),
        )
        .values_list(
            "pk",
            "account__client_id",
            "trade_date",
            "commission",
            "entry_id",
            "entry_delta",
            "entry_expires",
        )
    )
    trades, live = [], {}
    for row in rows.iterator(chunk_size=5000):
        trades.append(row[:4])
        if row[4] is not None:
            live[row[0]] = row[4:]
    return trades, live


TRADE_POINTS_SQL = """
WITH earned AS MATERIALIZED (
    -- Decided in full before the first row is written: otherwise the check against
    -- the ledger would scan the very pages this statement is filling.
    SELECT t.branch_id, a.client_id, floor(t.commission * %(rate)s)::bigint AS delta,
        t.trade_date, t.id
    FROM clients_trade t
    JOIN clients_account a ON a.id = t.account_id
    WHERE t.branch_id = %(branch)s
      AND t.trade_date <= %(as_of)s
      AND floor(t.commission * %(rate)s) >= 1
      AND NOT EXISTS (
          SELECT 1 FROM loyalty_pointsentry e
          WHERE e.branch_id = %(branch)s AND e.kind = 'trade' AND e.source_id = t.id
      )
), inserted AS (
    INSERT INTO loyalty_pointsentry (
        branch_id, client_id, delta, kind, dated, expires_at, source_type, source_id,
        idempotency_key, policy_version, note, created_at
    )
    SELECT branch_id, client_id, delta, 'trade', trade_date,
        (trade_date + make_interval(months => %(months)s))::date,
        'trade', id, 'trade:trade:' || id, %(version)s, '', %(now)s
    FROM earned
    -- In date order the ledger's date indexes grow at their right edge: on a
    -- first accrual of millions of trades this is minutes faster.
    ORDER BY trade_date, id
    RETURNING delta
)
SELECT count(*), coalesce(sum(delta), 0),
    (SELECT max(id) FROM clients_trade WHERE branch_id = %(branch)s),
    (SELECT array_agg(DISTINCT trade_date) FROM clients_trade
     WHERE branch_id = %(branch)s AND trade_date > %(as_of)s)
FROM inserted
"""


def _trade_points_insert(
    *, branch_id, as_of, rate, months, policy_version, now
) -> tuple[int, int, int, set]:
    """PostgreSQL: append every trade's points not yet in the ledger in one statement.

    Same rule as the portable path: floor(commission × rate), dated by the trade date,
    expiring `months` later (PostgreSQL clamps 29 Feb + 24 months to 28 Feb, as
    `add_months` does). Returns (entries, points, the highest trade id, the trade
    dates after `as_of`).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            TRADE_POINTS_SQL,
            {
                "rate": rate,
                "months": int(months),
                "version": policy_version,
                "now": now,
                "branch": branch_id,
                "as_of": as_of,
            },
        )
        entries, points, max_id, later = cursor.fetchone()
    return int(entries), int(points), max_id or 0, set(later or [])


def _expire(*, client_ids, as_of: date, now, from_day: date | None = None) -> dict:
    """Append the expiry entries the FIFO rule says are due by `as_of` (caller's atomic).

    Decides the expiry days from `from_day` on (None: all of them); earlier days enter
    as three sums per client. Locks the clients' points accounts (in client order) so
    nothing spends points that are expiring under it.
    """
    if not client_ids:
        return {"entries": 0, "points": 0}
    client_ids = sorted(set(client_ids))
    # Lock the points accounts (not the clients): the ledger's insert trigger takes
    # the same rows, so an accrual that has just appended earnings already holds
    # them, and a redemption (client row, then account) never waits in a cycle.
    balances = dict(
        PointsAccount.objects.select_for_update()
        .filter(client_id__in=client_ids)
        .order_by("client_id")
        .values_list("client_id", "balance")
    )
    branch_of = dict(
        Client.objects.filter(pk__in=client_ids).values_list("pk", "branch_id")
    )
    ledger = PointsEntry.objects.filter(client_id__in=client_ids).order_by()
    lots = ledger.filter(expires_at__isnull=False, dated__lte=as_of).exclude(
        kind=EntryKind.EXPIRY
    )
    spending = ledger.filter(
        expires_at__isnull=True, delta__lt=0, dated__lt=as_of
    ).exclude(kind=EntryKind.EXPIRY)
    recorded = ledger.filter(kind=EntryKind.EXPIRY, dated__lte=as_of)
    points = {client_id: ClientPoints() for client_id in client_ids}

    def by_day(entries, day_field, attribute, sign):
        for client_id, day, total in (
            entries.values_list("client_id", day_field)
            .annotate(total=Sum("delta"))
            .values_list("client_id", day_field, "total")
        ):
            getattr(points[client_id], attribute)[day] = sign * total

    def before(entries, attribute, sign):
        for client_id, total in entries.values_list("client_id").annotate(
            total=Sum("delta")
        ):
            setattr(points[client_id], attribute, sign * total)

    if from_day is None:
        by_day(lots.filter(expires_at__lte=as_of), "expires_at", "lots", 1)
        by_day(spending, "dated", "spent", -1)
        by_day(recorded, "dated", "expired", -1)
    else:
        before(lots.filter(expires_at__lt=from_day), "lots_before", 1)
        before(spending.filter(dated__lt=from_day), "spent_before", -1)
        before(recorded.filter(dated__lt=from_day), "expired_before", -1)
        window = {"expires_at__gte": from_day, "expires_at__lte": as_of}
        by_day(lots.filter(**window), "expires_at", "lots", 1)
        by_day(spending.filter(dated__gte=from_day), "dated", "spent", -1)
        by_day(recorded.filter(dated__gte=from_day), "dated", "expired", -1)
    rows = []
    for client_id in client_ids:
        owed = expiries_due(points[client_id], available=balances.get(client_id, 0))
        for day, due in owed.items():
            count = len(rows)
            rows.append(
                (
                    branch_of[client_id],
                    client_id,
                    -due,
                    EntryKind.EXPIRY.value,
                    day,
                    None,
                    "",
                    None,
                    f"expiry:{client_id}:{day.isoformat()}:{now.timestamp()}:{count}",
                    None,
                    "",
                    now,
                )
            )
    if rows:
        copy_rows(PointsEntry, ENTRY_COLUMNS, rows)
    return {"entries": len(rows), "points": -sum(r[2] for r in rows)}


# --- redemption ----------------------------------------------------------------------


def _fingerprint(*, client, item, quantity) -> str:
    payload = f"client={client.pk}|item={item.pk}|quantity={quantity}"
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_may_redeem(user, client) -> None:
    if not permissions.may_redeem_for(user, client):
        raise PermissionDenied(_("You may not redeem points for this client."))


def _replay(redemption: Redemption, fingerprint: str) -> Redemption:
    if redemption.request_fingerprint != fingerprint:
        raise PointsError(
            _(
                "This idempotency key was already used for a different redemption; "
                "use a new key for a new request."
            ),
            code="idempotency_key_reused",
        )
    return redemption


def client_tier(client) -> str | None:
    """The client's tier in the latest nightly run, or None when there is none yet."""
    return latest_tiers([client.pk]).get(client.pk)


def redemption_create(
    *,
    user,
    client,
    item: CatalogueItem,
    quantity: int = 1,
    idempotency_key: str,
    on: date | None = None,
) -> Redemption:
    """Redeem a catalogue item for a client: the one door for the UI and the API.

    Concurrent-safe (the client's row is locked, and the database refuses an overdraft
    anyway); idempotent (the same key and payload returns the first redemption; the same
    key with another payload is refused). Items the client's tier gets free cost 0
    points; a client may redeem an item of a higher tier, which changes nothing else.
    """
    _check_may_redeem(user, client)
    if not idempotency_key or len(idempotency_key) > 200:
        raise PointsError(
            _("An idempotency key (1–200 characters) is required."), code="invalid"
        )
    quantity = int(quantity)
    if quantity < 1:
        raise PointsError(_("The quantity must be at least 1."), code="invalid")
    fingerprint = _fingerprint(client=client, item=item, quantity=quantity)
    keys = Redemption.objects.filter(branch_id=client.branch_id)
    existing = keys.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        return _redeem(
            user=user,
            client=client,
            item=item,
            quantity=quantity,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            on=on or timezone.localdate(),
        )
    except IntegrityError as exc:
        # Another request with the same key won the race: answer as it did.
        existing = keys.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            # The database refused an overdraft or a negative stock.
            raise PointsError(
                _("The balance or the stock changed meanwhile; nothing was redeemed.")
            ) from exc
        return _replay(existing, fingerprint)


@transaction.atomic
def _redeem(*, user, client, item, quantity, idempotency_key, fingerprint, on):
    Client.objects.select_for_update(no_key=True).filter(pk=client.pk).values_list(
        "pk"
    ).get()
    existing = Redemption.objects.filter(
        branch_id=client.branch_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    item = CatalogueItem.objects.select_for_update(no_key=True).get(pk=item.pk)
    if not item.is_active or item.branch_id not in (None, client.branch_id):
        raise PointsError(_("This item is not offered to this client."))
    if item.stock is not None and item.stock < quantity:
        raise PointsError(
            _("Out of stock: %(left)d left.") % {"left": item.stock},
            code="out_of_stock",
        )
    tier = client_tier(client)
    points = 0 if tier in (item.free_tiers or []) else item.points_price * quantity
    _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    balance = (
        PointsAccount.objects.filter(client_id=client.pk)
        .values_list("balance", flat=True)
        .first()
        or 0
    )
    if points > balance:
        raise PointsError(
            _("Not enough points: %(needed)d needed, %(balance)d available.")
            % {"needed": points, "balance": balance},
            code="insufficient_points",
        )
    redemption = Redemption.objects.create(
        branch_id=client.branch_id,
        client=client,
        item=item,
        quantity=quantity,
        points=points,
        value_cny=item.unit_value_cny * quantity,
        tier=tier or "",
        dated=on,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        created_by=user,
    )
    if points:
        PointsEntry.objects.create(
            branch_id=client.branch_id,
            client=client,
            delta=-points,
            kind=EntryKind.REDEMPTION,
            dated=on,
            source_type="redemption",
            source_id=redemption.pk,
            idempotency_key=f"redemption:{redemption.pk}",
            redemption=redemption,
            note=item.name[:500],
            created_by=user,
        )
    if item.stock is not None:
        CatalogueItem.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    return redemption


# --- corrections ---------------------------------------------------------------------


def _check_manager(user, client) -> None:
    if not permissions.may_adjust_points(user, client):
        raise PermissionDenied(_("Only a manager of the client's branch may do this."))


def _append(*, client, delta, kind, on, key, user, note="", expires_at=None, **extra):
    """Append one entry; a refused overdraft becomes a clear PointsError.

    A credit is a new lot that expires after the policy's months unless `expires_at`
    says otherwise (a reversal of an earning carries the lot's own expiry day).
    """
    if expires_at is None and delta > 0:
        expiry_months = _policy(client.branch)[1].points.expiry_months
        expires_at = add_months(on, expiry_months)
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(
                branch_id=client.branch_id,
                client=client,
                delta=delta,
                kind=kind,
                dated=on,
                expires_at=expires_at,
                idempotency_key=key,
                note=note[:500],
                created_by=user,
                **extra,
            )
    except IntegrityError as exc:
        if PointsEntry.objects.filter(idempotency_key=key).exists():
            raise PointsError(_("This correction was already made.")) from exc
        raise PointsError(
            _("The client does not have enough points for this correction.")
        ) from exc


@transaction.atomic
def entry_reverse(*, user, entry: PointsEntry, reason: str, on=None) -> PointsEntry:
    """Correct an entry by appending its opposite (a manager's decision).

    Reversing a redemption also cancels it and puts the stock back. Expiry entries and
    reversals are not reversed (make an adjustment instead).
    """
    client = entry.client
    _check_manager(user, client)
    if entry.kind in (EntryKind.EXPIRY, EntryKind.REVERSAL):
        raise PointsError(
            _("Expiry entries and reversals cannot be reversed."), code="invalid"
        )
    if not reason.strip():
        raise PointsError(_("Say why the entry is reversed."), code="invalid")
    on = on or timezone.localdate()
    Client.objects.select_for_update(no_key=True).filter(pk=client.pk).values_list(
        "pk"
    ).get()
    if PointsEntry.objects.filter(reverses=entry).exists():
        raise PointsError(_("This entry was already reversed."))
    if entry.delta > 0:
        # Take back only points that are still there: expire what is due first.
        _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    reversal = _append(
        client=client,
        delta=-entry.delta,
        kind=EntryKind.REVERSAL,
        on=on,
        key=f"reversal:{entry.pk}",
        user=user,
        note=reason,
        reverses=entry,
        # Taking back an earning takes back that lot (FIFO treats it as never earned).
        expires_at=entry.expires_at if entry.delta > 0 else None,
        source_type=entry.source_type,
        source_id=entry.source_id,
        redemption_id=entry.redemption_id,
    )
    if entry.redemption_id is not None:
        redemption = entry.redemption
        CatalogueItem.objects.filter(pk=redemption.item_id, stock__isnull=False).update(
            stock=F("stock") + redemption.quantity
        )
    return reversal


@dataclass(frozen=True)
class _Approval:
    needed: bool
    threshold: int


def _approval(client, delta) -> _Approval:
    threshold = int(_policy(client.branch)[1].points.large_adjustment_points)
    return _Approval(abs(delta) >= threshold, threshold)


@transaction.atomic
def adjustment_request(*, user, client, delta: int, reason: str) -> PointsAdjustment:
    """A manager's manual adjustment: applied now, or held for a second manager if large."""
    _check_manager(user, client)
    delta = int(delta)
    if delta == 0:
        raise PointsError(_("An adjustment must change the balance."), code="invalid")
    if abs(delta) > ADJUSTMENT_MAX_POINTS:
        raise PointsError(
            _("An adjustment may change at most %(limit)s points.")
            % {"limit": ADJUSTMENT_MAX_POINTS},
            code="invalid",
        )
    if not reason.strip():
        raise PointsError(_("Say why the points are adjusted."), code="invalid")
    adjustment = PointsAdjustment.objects.create(
        branch_id=client.branch_id,
        client=client,
        delta=delta,
        reason=reason,
        requested_by=user,
    )
    if not _approval(client, delta).needed:
        _apply(adjustment, decided_by=None)
    return adjustment


@transaction.atomic
def adjustment_approve(*, user, adjustment: PointsAdjustment) -> PointsAdjustment:
    """A second manager approves a large adjustment; the requester cannot approve it."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    _check_manager(user, adjustment.client)
    if adjustment.requested_by_id == user.pk:
        raise PermissionDenied(
            _("A second manager must approve this: you requested it.")
        )
    if adjustment.status != AdjustmentStatus.PENDING:
        raise PointsError(_("This adjustment is no longer waiting for approval."))
    _apply(adjustment, decided_by=user)
    return adjustment


@transaction.atomic
def adjustment_reject(*, user, adjustment: PointsAdjustment) -> PointsAdjustment:
    """A manager turns down a pending adjustment (the requester may withdraw it)."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    _check_manager(user, adjustment.client)
    if adjustment.status != AdjustmentStatus.PENDING:
        raise PointsError(_("This adjustment is no longer waiting for approval."))
    adjustment.status = AdjustmentStatus.REJECTED
    adjustment.decided_by = user if user.pk != adjustment.requested_by_id else None
    adjustment.decided_at = timezone.now()
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])
    return adjustment


def _apply(adjustment: PointsAdjustment, *, decided_by) -> None:
    client = adjustment.client
    Client.objects.select_for_update(no_key=True).filter(pk=client.pk).values_list(
        "pk"
    ).get()
    on = timezone.localdate()
    if adjustment.delta < 0:
        _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    entry = _append(
        client=client,
        delta=adjustment.delta,
        kind=EntryKind.ADJUSTMENT,
        on=on,
        key=f"adjustment:{adjustment.pk}",
        user=decided_by or adjustment.requested_by,
        note=adjustment.reason,
        source_type="adjustment",
        source_id=adjustment.pk,
    )
    adjustment.status = AdjustmentStatus.APPLIED
    adjustment.decided_by = decided_by
    adjustment.decided_at = timezone.now()
    adjustment.entry = entry
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "entry"])


# --- catalogue -----------------------------------------------------------------------


@transaction.atomic
def catalogue_seed(*, branch=None) -> int:
    """Add the default catalogue items that are missing (for every branch when None).

    Existing items are left as the admin edited them. Returns the number added.
    """
    added = 0
    for code, name, description, points, free_tiers, value, stock in DEFAULT_ITEMS:
        _, created = CatalogueItem.objects.get_or_create(
            branch=branch,
            code=code,
            defaults={
                "name": name,
                "description": description,
                "points_price": points,
                "free_tiers": free_tiers,
                "unit_value_cny": value,
                "stock": stock,
            },
        )
        added += created
    return added


# --- duplicates ----------------------------------------------------------------------

MERGE_COLUMNS = [
    "branch_id",
    "client_id",
    "delta",
    "kind",
    "dated",
    "expires_at",
    "source_type",
    "source_id",
    "idempotency_key",
    "policy_version",
    "note",
    "created_at",
    "created_by_id",
]


@transaction.atomic
def points_merge(*, user, source, target) -> int:
    """Carry a duplicate client's points onto the client it is merged into (SPEC §7).

    Ledger rows never move, so every entry of `source` is copied onto `target` with
    its kind, day, expiry and delta (the FIFO and expiry of those points go on as if
    they had always been the target's), and `source` is closed out by one adjustment
    of its whole balance. Idempotent: a second call copies nothing. Returns the
    entries copied.
    """
    if source.pk == target.pk or source.branch_id != target.branch_id:
        raise PointsError(
            _("Points merge only between two clients of one branch."), code="invalid"
        )
    if not permissions.may_merge_points(user, source):
        raise PermissionDenied(_("Only a manager or admin of the branch may merge."))
    for client_id in sorted((source.pk, target.pk)):
        Client.objects.select_for_update(no_key=True).filter(pk=client_id).values_list(
            "pk"
        ).get()
    prefix = f"merge:{target.pk}:"
    copied = {
        int(key.rsplit(":", 1)[1])
        for key in PointsEntry.objects.filter(
            client=target, idempotency_key__startswith=prefix
        ).values_list("idempotency_key", flat=True)
    }
    now = timezone.now()
    note = _("merged from %(client_no)s") % {"client_no": source.client_no}
    rows = [
        (
            target.branch_id,
            target.pk,
            delta,
            kind,
            dated,
            expires_at,
            source_type,
            source_id,
            f"{prefix}{entry_id}",
            version,
            note[:500],
            now,
            user.pk,
        )
        for entry_id, delta, kind, dated, expires_at, source_type, source_id, version in (
            PointsEntry.objects.filter(client=source)
            .exclude(idempotency_key__startswith=f"merge-out:{source.pk}:")
            .order_by("pk")
            .values_list(
                "pk",
                "delta",
                "kind",
                "dated",
                "expires_at",
                "source_type",
                "source_id",
                "policy_version",
            )
        )
        if entry_id not in copied
    ]
    if rows:
        copy_rows(PointsEntry, MERGE_COLUMNS, rows)
    balance = points_balance_of(source)
    if balance > 0:
        _append(
            client=source,
            delta=-balance,
            kind=EntryKind.ADJUSTMENT,
            on=timezone.localdate(),
            key=f"merge-out:{source.pk}:{target.pk}",
            user=user,
            note=_("merged into %(client_no)s") % {"client_no": target.client_no},
            source_type="client",
            source_id=target.pk,
        )
    return len(rows)


def points_balance_of(client) -> int:
    return (
        PointsAccount.objects.filter(client_id=client.pk)
        .values_list("balance", flat=True)
        .first()
        or 0
    )
