"""Writing a generated demo branch to the database: set-based, in one transaction."""

from __future__ import annotations

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from advisors.models import Advisor, Branch, Role, Team, User
from brokercrm.db import copy_rows
from clients.crypto import ID_NUMBER, PHONE, encrypt_many, lookup_hashes
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Household,
    Interaction,
    Position,
    Price,
    Security,
    Trade,
)
from clients.services import trade_days_refresh

from .generate import DemoData

DEMO_PASSWORD = "demo"
# username -> (role, belongs to the branch, is_staff, display name)
DEMO_LOGINS = {
    "demo-advisor": (Role.ADVISOR, True, False, "Demo Advisor"),
    "demo-manager": (Role.MANAGER, True, False, "Demo Manager"),
    "demo-admin": (Role.ADMIN, True, True, "Demo Admin"),
    "demo-hq": (Role.HEAD_OFFICE, False, False, "Demo Head Office"),
}


class SeedRefused(Exception):
    """The branch's existing data cannot be replaced (e.g. the database guards it)."""


def _insert(model: type[models.Model], columns: list[str], rows) -> int:
    """COPY on PostgreSQL (brokercrm.db.copy_rows); one executemany elsewhere."""
    if connection.vendor == "postgresql":
        return copy_rows(model, columns, rows)
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # nosec B608 # identifiers from model _meta, values bound
    return len(rows)


def _purge(queryset: models.QuerySet) -> None:
    """Delete rows and everything that points at them, one DELETE per table.

    Dependents go first whatever their on_delete (the branch is being replaced, so a
    PROTECTed points ledger goes too); SET_NULL references are cleared. Foreign keys
    are deferred on both databases, so rows pointing at each other inside one table
    go in the same statement.
    """
    model = queryset.model
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue
        field = rel.field
        dependents = rel.related_model._base_manager.filter(
            **{f"{field.name}__in": queryset.values("pk")}
        )
        if rel.on_delete is models.SET_NULL:
            dependents.update(**{field.name: None})
        elif rel.related_model is not model and rel.on_delete is not models.DO_NOTHING:
            _purge(dependents)
    queryset._raw_delete(queryset.db)


def _money(cents: np.ndarray) -> list[float]:
    return (np.asarray(cents, dtype=np.int64) / 100).tolist()


@transaction.atomic
def demo_branch_write(
    *, data: DemoData, branch_code: str, branch_name: str = "Demo branch"
) -> dict[str, int]:
    """Replace branch `branch_code`'s data with `data` and (re)create the demo logins.

    Everything is written set-based (COPY on PostgreSQL, executemany on SQLite) in this
    one transaction; trade-day totals are rebuilt at the end. Returns rows per table.
    """
    branch, _ = Branch.objects.get_or_create(
        code=branch_code, defaults={"name": branch_name}
    )
    try:
        with transaction.atomic():
            for model in (Client, Account, Household, Advisor, Team):
                _purge(model.objects.filter(branch=branch))
    except IntegrityError as exc:
        raise SeedRefused(
            f"Branch {branch_code}'s existing data cannot be replaced: {exc}. "
            "Seed another --branch, or start from an empty database."
        ) from exc
    counts: dict[str, int] = {}
    now = timezone.now()
    days = np.array([d.isoformat() for d in data.days], dtype=object)

    # Market data is shared by every branch: securities are upserted by code and
    # their closes replaced.
    sec = data.securities
    existing = dict(
        Security.objects.filter(code__in=sec["code"].tolist()).values_list("code", "pk")
    )
    fields = ["name", "kind", "industry", "listed_on"]
    Security.objects.bulk_create(
        [
            Security(**{f: getattr(r, f) for f in ["code", *fields]})
            for r in sec.itertuples(index=False)
            if r.code not in existing
        ]
    )
    Security.objects.bulk_update(
        [
            Security(pk=existing[r.code], **{f: getattr(r, f) for f in fields})
            for r in sec.itertuples(index=False)
            if r.code in existing
        ],
        fields,
    )
    codes = dict(
        Security.objects.filter(code__in=sec["code"].tolist()).values_list("code", "pk")
    )
    sec_pk = np.array([codes[c] for c in sec["code"]], dtype=np.int64)
    counts["securities"] = len(sec)
    Price.objects.filter(security_id__in=sec_pk.tolist())._raw_delete(Price.objects.db)
    p = data.prices
    counts["prices"] = _insert(
        Price,
        ["security_id", "date", "close"],
        zip(
            sec_pk[p["security"]].tolist(),
            days[p["day"]].tolist(),
            (p["close"].to_numpy() / 1000).tolist(),
            strict=True,
        ),
    )

    # Teams, advisors, households: small, through the ORM.
    teams = {
        name: Team.objects.create(branch=branch, name=name)
        for name in sorted(set(data.advisors["team"]))
    }
    advisors = Advisor.objects.bulk_create(
        [
            Advisor(
                branch=branch,
                employee_no=r.employee_no,
                name=r.name,
                team=teams[r.team],
                role=r.role,
                email=r.email,
            )
            for r in data.advisors.itertuples(index=False)
        ]
    )
    advisor_pk = np.array([a.pk for a in advisors] + [0], dtype=np.int64)
    households = Household.objects.bulk_create(
        [
            Household(branch=branch, name=r.name, kind=r.kind)
            for r in data.households.itertuples(index=False)
        ]
    )
    household_pk = [h.pk for h in households]
    counts["advisors"] = len(advisors)
    counts["households"] = len(households)

    cl = data.clients

    def maybe(value):
        return None if value is None else value.isoformat()

    # Personal data is stored encrypted, with its keyed hash (clients/crypto.py).
    id_tokens = encrypt_many(cl["id_number"])
    phone_tokens = encrypt_many(cl["phone"])
    id_hashes = lookup_hashes(ID_NUMBER, cl["id_number"])
    phone_hashes = lookup_hashes(PHONE, cl["phone"])
    counts["clients"] = _insert(
        Client,
        [
            "branch_id",
            "client_no",
            "name",
            "kind",
            "gender",
            "birth_date",
            "id_number",
            "id_number_hash",
            "phone",
            "phone_hash",
            "opened_at",
            "closed_at",
            "advisor_id",
            "investing_since",
            "time_availability",
            "onsite",
            "relationship_level",
            "risk_level",
            "household_id",
            "created_at",
            "updated_at",
        ],  # fmt: skip
        [
            (
                branch.pk,
                r.client_no,
                r.name,
                r.kind,
                r.gender,
                maybe(r.birth_date),
                id_tokens[i],
                id_hashes[i],
                phone_tokens[i],
                phone_hashes[i],
                maybe(r.opened_at),
                maybe(r.closed_at),
                int(advisor_pk[r.advisor]) if r.advisor >= 0 else None,
                maybe(r.investing_since),
                r.time_availability,
                bool(r.onsite),
                r.relationship_level,
                r.risk_level,
                household_pk[r.household] if r.household >= 0 else None,
                now,
                now,
            )  # fmt: skip
            for i, r in enumerate(cl.itertuples(index=False))
        ],
    )
    client_ids = dict(
        Client.objects.filter(branch=branch).values_list("client_no", "pk")
    )
    client_pk = np.array([client_ids[c] for c in cl["client_no"]], dtype=np.int64)
    referred = np.flatnonzero(cl["referred_by"].to_numpy() >= 0)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Client._meta.db_table} SET referred_by_id = %s WHERE id = %s",  # nosec B608 # identifiers from model _meta, values bound
            [
                (int(client_pk[cl["referred_by"].iat[i]]), int(client_pk[i]))
                for i in referred
            ],
        )

    acc = data.accounts
    counts["accounts"] = _insert(
        Account,
        ["branch_id", "account_no", "client_id"],
        [
            (branch.pk, no, int(client_pk[c]))
            for no, c in zip(acc["account_no"], acc["client"], strict=True)
        ],
    )
    account_ids = dict(
        Account.objects.filter(branch=branch).values_list("account_no", "pk")
    )
    acc_pk = np.array([account_ids[a] for a in acc["account_no"]], dtype=np.int64)

    t = data.trades
    counts["trades"] = _insert(
        Trade,
        [
            "branch_id",
            "trade_id",
            "trade_date",
            "account_id",
            "security_id",
            "side",
            "quantity",
            "price",
            "amount",
            "commission",
            "stamp_tax",
            "transfer_fee",
            "other_fees",
        ],  # fmt: skip
        zip(
            [branch.pk] * len(t),
            t["trade_id"].tolist(),
            days[t["day"]].tolist(),
            acc_pk[t["account"]].tolist(),
            sec_pk[t["security"]].tolist(),
            t["side"].tolist(),
            t["quantity"].tolist(),
            (t["price"].to_numpy() / 1000).tolist(),
            _money(t["amount"]),
            _money(t["commission"]),
            _money(t["stamp_tax"]),
            _money(t["transfer_fee"]),
            _money(t["other_fees"]),
            strict=True,
        ),
    )
    pos = data.positions
    counts["positions"] = _insert(
        Position,
        ["account_id", "date", "security_id", "quantity", "cost_price", "market_value"],
        zip(
            acc_pk[pos["account"]].tolist(),
            days[pos["day"]].tolist(),
            sec_pk[pos["security"]].tolist(),
            pos["quantity"].tolist(),
            (pos["cost"].to_numpy() / 10000).tolist(),
            _money(pos["market_value"]),
            strict=True,
        ),
    )
    bal = data.balances
    counts["balances"] = _insert(
        Balance,
        ["account_id", "date", "cash", "market_value", "total_assets"],
        zip(
            acc_pk[bal["account"]].tolist(),
            days[bal["day"]].tolist(),
            _money(bal["cash"]),
            _money(bal["market_value"]),
            _money(bal["total_assets"]),
            strict=True,
        ),
    )
    cf = data.cashflows
    counts["cashflows"] = _insert(
        CashFlow,
        ["branch_id", "flow_id", "account_id", "date", "type", "amount"],
        zip(
            [branch.pk] * len(cf),
            cf["flow_id"].tolist(),
            acc_pk[cf["account"]].tolist(),
            days[cf["day"]].tolist(),
            cf["type"].tolist(),
            _money(cf["amount"]),
            strict=True,
        ),
    )
    it = data.interactions
    counts["interactions"] = _insert(
        Interaction,
        [
            "branch_id",
            "interaction_id",
            "date",
            "client_id",
            "advisor_id",
            "channel",
            "minutes",
            "summary",
        ],  # fmt: skip
        [
            (
                branch.pk,
                r.interaction_id,
                r.date.isoformat(),
                int(client_pk[r.client]),
                int(advisor_pk[r.advisor]) if r.advisor >= 0 else None,
                r.channel,
                r.minutes,
                r.summary,
            )  # fmt: skip
            for r in it.itertuples(index=False)
        ],
    )
    interaction_ids = dict(
        Interaction.objects.filter(branch=branch).values_list("interaction_id", "pk")
    )
    through = Interaction.recommended.through
    counts["interaction_recommendations"] = _insert(
        through,
        ["interaction_id", "security_id"],
        [
            (interaction_ids[r.interaction_id], int(sec_pk[s]))
            for r in it.itertuples(index=False)
            for s in r.recommended
        ],
    )
    fb = data.feedback
    counts["feedback"] = _insert(
        Feedback,
        ["branch_id", "feedback_id", "date", "client_id", "topic", "score", "comment"],
        [
            (
                branch.pk,
                r.feedback_id,
                r.date.isoformat(),
                int(client_pk[r.client]),
                r.topic,
                r.score,
                r.comment,
            )  # fmt: skip
            for r in fb.itertuples(index=False)
        ],
    )
    counts["trade_days"] = trade_days_refresh(branch_id=branch.pk, dates=None)
    _demo_logins(branch, advisors[0] if advisors else None)
    return counts


def _demo_logins(branch: Branch, first_advisor: Advisor | None) -> None:
    """The four demo sign-ins, password `demo` (hashed once, copied to the others)."""
    password = make_password(DEMO_PASSWORD)
    users = {}
    for username, (role, in_branch, staff, display) in DEMO_LOGINS.items():
        first, last = display.rsplit(" ", 1)
        users[username], _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "branch": branch if in_branch else None,
                "is_staff": staff,
                "is_superuser": False,
                "is_active": True,
                "password": password,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo-branch.example",
            },
        )
    Advisor.objects.filter(user=users["demo-advisor"]).update(user=None)
    if first_advisor is not None:
        first_advisor.user = users["demo-advisor"]
        first_advisor.save(update_fields=["user"])
