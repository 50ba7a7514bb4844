"""`seed_demo --export` files import back (into another branch) and give the same data."""

import io

import pytest
from django.core.management import call_command

from advisors.models import Advisor, Branch
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Trade,
    TradeDay,
)
from imports.models import BatchStatus
from imports.services import import_file
from imports.services.kinds import DEPENDENCY_ORDER

pytestmark = pytest.mark.django_db


def _snapshot(code: str) -> dict[str, set]:
    """Every imported fact of a branch, by natural keys (no ids, no branch)."""
    b = {"branch__code": code}
    a = {"account__branch__code": code}
    return {
        "advisors": set(
            Advisor.objects.filter(**b).values_list(
                "employee_no", "name", "team__name", "role", "email"
            )
        ),
        "clients": set(
            Client.objects.filter(**b).values_list(
                "client_no",
                "name",
                "kind",
                "gender",
                "birth_date",
                "id_number",
                "phone",
                "opened_at",
                "closed_at",
                "advisor__employee_no",
                "referred_by__client_no",
                "investing_since",
                "time_availability",
                "onsite",
                "relationship_level",
                "risk_level",
            )
        ),
        "accounts": set(
            Account.objects.filter(**b).values_list("account_no", "client__client_no")
        ),
        "trades": set(
            Trade.objects.filter(**b).values_list(
                "trade_id",
                "trade_date",
                "account__account_no",
                "security__code",
                "side",
                "quantity",
                "price",
                "amount",
                "commission",
                "stamp_tax",
                "transfer_fee",
                "other_fees",
            )
        ),
        "trade_days": set(
            TradeDay.objects.filter(**a).values_list(
                "account__account_no",
                "date",
                "trades",
                "commission",
                "amount",
                "buy_amount",
            )
        ),
        "positions": set(
            Position.objects.filter(**a).values_list(
                "account__account_no",
                "date",
                "security__code",
                "quantity",
                "cost_price",
                "market_value",
            )
        ),
        "balances": set(
            Balance.objects.filter(**a).values_list(
                "account__account_no", "date", "cash", "market_value", "total_assets"
            )
        ),
        "cashflows": set(
            CashFlow.objects.filter(**b).values_list(
                "flow_id", "account__account_no", "date", "type", "amount"
            )
        ),
        "interactions": {
            (
                i.interaction_id,
                i.date,
                i.client.client_no,
                i.advisor.employee_no if i.advisor else None,
                i.channel,
                i.minutes,
                i.summary,
                tuple(sorted(s.code for s in i.recommended.all())),
            )
            for i in Interaction.objects.filter(**b)
            .select_related("client", "advisor")
            .prefetch_related("recommended")
        },
        "feedback": set(
            Feedback.objects.filter(**b).values_list(
                "feedback_id", "date", "client__client_no", "topic", "score", "comment"
            )
        ),
    }


def test_seed_demo_export_imports_back_to_the_same_data(tmp_path):
    # given: a small seeded branch, exported as import files
    call_command(
        "seed_demo",
        "--clients",
        "40",
        "--advisors",
        "3",
        "--days",
        "40",
        "--branch",
        "SEED",
        "--export",
        str(tmp_path),
        stdout=io.StringIO(),
    )
    target = Branch.objects.create(code="COPY", name="Imported copy")
    # when: every file is imported in dependency order into an empty branch
    for kind in DEPENDENCY_ORDER:
        # market data is shared: it is already there, and must match the file exactly
        mode = "upsert" if kind in ("securities", "prices") else "insert"
        batch = import_file(
            branch=target, kind=kind, path=str(tmp_path / f"{kind}.csv"), mode=mode
        )
        assert batch.status == BatchStatus.DONE, (
            kind,
            batch.message_text(),
            batch.error_lines()[:5],
        )
        assert batch.rows_failed == 0
        if kind in ("securities", "prices"):
            assert (batch.rows_new, batch.rows_updated) == (0, 0), kind
        else:
            assert batch.rows_new == batch.rows_total > 0, kind
    # then: the copy holds the same facts as the seeded branch
    seeded, copied = _snapshot("SEED"), _snapshot("COPY")
    for name in seeded:
        assert copied[name] == seeded[name], name
