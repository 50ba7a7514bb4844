"""Accrual: the nightly step that appends what the branch's clients earned."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, Subquery, Sum, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Branch
from brokercrm.db import copy_rows
from clients.models import (
    Balance,
    Client,
    Interaction,
    InteractionChange,
    Trade,
    TradeChange,
)
from clients.selectors import trade_changes_since
from tiers.policy import Policy

from ..fifo import add_months
from ..models import (
    AccrualRun,
    EntryKind,
    PointsAccount,
    PointsEntry,
)
from .common import ENTRY_COLUMNS, _policy
from .expiry import _expire


def points_accrue(
    *, branch, as_of: date, policy: Policy | None = None, policy_version=None
) -> dict:
    """Append every point the branch's clients earned on or before `as_of`, and expire.

    Idempotent: each trade, activity and referral earns once (its idempotency key), and
    expiry entries are appended only for what the FIFO rule says is still due, so a
    re-run for the same date appends nothing. Set-based: one query per source.
    Returns the number of entries appended per kind and the net points.
    """
    settled = _settled_interaction_ids()
    return _accrue(
        branch=branch,
        as_of=as_of,
        policy=policy,
        policy_version=policy_version,
        settled=settled,
    )


def _settled_interaction_ids() -> tuple[int, int]:
    """The highest interaction id and interaction change id below which every row is
    committed.

    On PostgreSQL a row with a lower id could still be uncommitted while a later one is
    read; a SHARE lock on the tables waits for the transactions writing them to end
    (and holds new writers for this one short read), so every id up to the maximum
    read under it is committed and visible to the accrual's statements that follow.
    Called outside a transaction (as the nightly run does) the lock lasts only for
    this read.
    """
    tables = [Interaction._meta.db_table, InteractionChange._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")  # noqa: S608 # nosec B608: the models' own table names
        cursor.execute(
            "SELECT (SELECT MAX(id) FROM {}), (SELECT MAX(id) FROM {})".format(*tables)  # noqa: S608 # nosec B608: the models' own table names
        )
        interaction, change = cursor.fetchone()
    return interaction or 0, change or 0


@transaction.atomic
def _accrue(*, branch, as_of, policy, policy_version, settled) -> dict:
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
            "max_interaction_id",
            "max_interaction_change_id",
            "as_of",
            "policy_version",
            "last_as_of",
            "last_entry_id",
        )
        .first()
    ) or {
        "max_trade_id": None,
        "max_change_id": None,
        "pending_dates": [],
        "max_interaction_id": None,
        "max_interaction_change_id": None,
        "as_of": None,
        "policy_version": None,
        "last_as_of": None,
        "last_entry_id": 0,
    }
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
        activities = Interaction.objects.filter(
            branch=branch, date__lte=as_of, channel__in=list(channels)
        )
        if (
            previous["max_interaction_id"] is not None
            and previous["policy_version"] == policy_version
        ):
            # Incremental: the last accrual earned every interaction up to its
            # watermark dated on or before its date (all committed when it read), so
            # only the rows above the watermark, dated after its date, or whose date
            # or channel an import changed since can be due. Another policy version
            # may pay other channels: then every row.
            changed = InteractionChange.objects.filter(
                pk__gt=previous["max_interaction_change_id"] or 0
            ).values("interaction_id")
            activities = activities.filter(
                Q(pk__gt=previous["max_interaction_id"])
                | Q(date__gt=previous["as_of"])
                | Q(pk__in=changed)
            )
        activities = (
            activities.exclude(
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
    if previous["last_as_of"] is None:
        groups = [(None, set(lots.values_list("client_id", flat=True).distinct()))]
    else:
        late = lots.filter(pk__gt=previous["last_entry_id"] or 0).aggregate(
            first=Min("expires_at")
        )["first"]
        late_clients = set(
            lots.filter(pk__gt=previous["last_entry_id"] or 0)
            .values_list("client_id", flat=True)
            .distinct()
        )
        due_clients = set(
            lots.filter(expires_at__gt=previous["last_as_of"])
            .values_list("client_id", flat=True)
            .distinct()
        )
        groups = [
            (late, late_clients),
            (previous["last_as_of"] + timedelta(days=1), due_clients - late_clients),
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
        max_interaction_id=settled[0],
        max_interaction_change_id=settled[1],
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
    watermark = previous["max_trade_id"] or 0
    if first:
        dates: set[date] = set()
    else:
        dates = trade_changes_since(
            branch_id=branch_id,
            after_id=previous["max_change_id"] or 0,
            up_to_id=last_change,
        )
        dates |= {date.fromisoformat(d) for d in previous["pending_dates"]}
    pending: set[date] = set()
    points = 0
    max_id = watermark
    if connection.vendor == "postgresql":
        # The trades above the watermark (every trade on a first accrual) have no
        # earning yet: earned inside the database, one INSERT … SELECT, without a
        # round trip of each row through Python.
        entries, points, max_id, later = _trade_points_insert(
            branch_id=branch_id,
            after_id=watermark,
            as_of=as_of,
            rate=rate,
            months=months,
            policy_version=policy_version,
            now=now,
        )
        counts[EntryKind.TRADE] = entries
        pending |= later
        if not dates:
            read = {
                "max_trade_id": max_id,
                "max_change_id": last_change,
                "pending_dates": sorted(d.isoformat() for d in pending),
            }
            return counts, points, read
        # Left to the dates below: the trades up to the watermark on changed dates.
        trades, live = _trade_points_read(
            branch_id=branch_id, after_id=None, dates=sorted(dates), up_to_id=watermark
        )
    else:
        trades, live = _trade_points_read(
            branch_id=branch_id,
            after_id=None if first else watermark,
            dates=sorted(dates),
        )
    pending |= {d for d in dates if d > as_of}
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
    counts[EntryKind.TRADE] += len(earn_rows)
    counts[EntryKind.REVERSAL] = len(reversal_rows)
    counts["trade_corrected"] = len(reversal_rows)
    points += sum(r[2] for r in earn_rows) + sum(r[2] for r in reversal_rows)
    read = {
        "max_trade_id": max_id,
        "max_change_id": last_change,
        "pending_dates": sorted(d.isoformat() for d in pending),
    }
    return counts, points, read


def _trade_points_read(*, branch_id, after_id, dates, up_to_id=None):
    """The trades added after `after_id` (None: none; with no `dates` either, every
    trade: a first accrual) or dated on `dates`, and the live (not reversed) earning
    of each. PostgreSQL reads only `dates` here, their trades up to `up_to_id` (it
    earns the trades above in `_trade_points_insert`).

    Returns [(trade_id, client_id, trade_date, commission)] and
    {trade_id: (entry_id, delta, expires_at)}.
    """
    if connection.vendor == "postgresql":
        if not dates:
            return [], {}
        # The account-days of those dates (TradeDay, every writer of trades keeps it),
        # then each one's trades by the (account, date) index: a day's trades without
        # scanning the table.
        with connection.cursor() as cursor:
            cursor.execute(
                TRADES_OF_DATES_SQL,
                {"branch": branch_id, "dates": list(dates), "up_to": up_to_id},
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


TRADES_OF_DATES_SQL = """
WITH wanted AS MATERIALIZED (
    SELECT t.id, t.account_id, t.trade_date, t.commission
    FROM clients_tradeday d
    JOIN clients_account a ON a.id = d.account_id AND a.branch_id = %(branch)s
    CROSS JOIN LATERAL (
        SELECT t.id, t.account_id, t.trade_date, t.commission FROM clients_trade t
        WHERE t.account_id = d.account_id AND t.trade_date = d.date
          AND (%(up_to)s::bigint IS NULL OR t.id <= %(up_to)s::bigint)
    ) t
    WHERE d.date = ANY(%(dates)s::date[])
)
SELECT w.id, a.client_id, w.trade_date, w.commission, e.id, e.delta, e.expires_at
FROM wanted w JOIN clients_account a ON a.id = w.account_id
LEFT JOIN loyalty_pointsentry e ON e.branch_id = %(branch)s AND e.kind = 'trade'
    AND e.source_id = w.id
    AND NOT EXISTS (SELECT 1 FROM loyalty_pointsentry r WHERE r.reverses_id = e.id)
"""


TRADE_POINTS_SQL = """
WITH earned AS MATERIALIZED (
    -- Decided in full before the first row is written: otherwise the check against
    -- the ledger would scan the very pages this statement is filling.
    SELECT t.branch_id, a.client_id, floor(t.commission * %(rate)s)::bigint AS delta,
        t.trade_date, t.id
    FROM clients_trade t
    JOIN clients_account a ON a.id = t.account_id
    WHERE t.branch_id = %(branch)s
      AND t.id > %(after)s
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
     WHERE branch_id = %(branch)s AND id > %(after)s AND trade_date > %(as_of)s)
FROM inserted
"""


def _trade_points_insert(
    *, branch_id, after_id, as_of, rate, months, policy_version, now
) -> tuple[int, int, int, set]:
    """PostgreSQL: append the points of every trade above `after_id` (0: every trade)
    not yet in the ledger, in one statement.

    Same rule as the portable path: floor(commission × rate), dated by the trade date,
    expiring `months` later (PostgreSQL clamps 29 Feb + 24 months to 28 Feb, as
    `add_months` does). Returns (entries, points, the highest trade id (at least
    `after_id`), the dates after `as_of` of the trades above `after_id`).
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
                "after": after_id,
                "as_of": as_of,
            },
        )
        entries, points, max_id, later = cursor.fetchone()
    return int(entries), int(points), max(max_id or 0, after_id), set(later or [])
