"""Two branches with every kind of row, and the people the API matrix calls as.

Branch HQ01: advisor A (alice) with the "own" client, advisor B (bob) with a client
of his own, the branch admin. Branch SZ02: advisor C with the "foreign" client and
its manager. Head office sees both; a deactivated advisor's token and anonymous see
nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from advisors.models import Role
from advisors.services import api_token_create
from churn.models import ChurnFlag
from clients.models import Household, Task
from imports.models import ImportBatch
from loyalty.models import CatalogueItem, PointsAdjustment, PointsEntry
from tests import factories
from tiers.models import ClientScore, ScoreRun
from workspace.models import SavedFilter

ACTORS = ("advisor_a", "advisor_b", "manager_other", "admin", "head_office")
EVERYONE = (*ACTORS, "deactivated", "anonymous")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)

    def side(self, name: str) -> dict:
        return self.own if name == "own" else self.foreign


def _rows(branch, advisor, user, *, prefix: str) -> dict:
    """One of every row hanging off a new client of `advisor` (ids by resource)."""
    today = timezone.localdate()
    client = factories.ClientFactory(
        branch=branch,
        advisor=advisor,
        client_no=f"{prefix}001",
        id_number="110101199001011234",
        phone="13812345678",
        opened_at=dt.date(2024, 1, 2),
    )
    # the same person opened twice: a likely duplicate, for the merge
    duplicate = factories.ClientFactory(
        branch=branch,
        advisor=advisor,
        client_no=f"{prefix}002",
        id_number="110101199001011234",
        phone="13812345678",
        opened_at=dt.date(2024, 3, 4),
    )
    account = factories.AccountFactory(client=client, account_no=f"{prefix}8801")
    security = factories.SecurityFactory(code=f"{prefix}600")
    trade = factories.TradeFactory(account=account, security=security)
    position = factories.PositionFactory(account=account, security=security)
    balance = factories.BalanceFactory(account=account, market_value=Decimal("1000"))
    flow = factories.CashFlowFactory(account=account)
    interaction = factories.InteractionFactory(client=client, advisor=advisor)
    feedback = factories.FeedbackFactory(client=client)
    task = Task.objects.create(
        branch=branch,
        client=client,
        owner=advisor,
        kind="manual",
        title="Call back",
        due_date=today + dt.timedelta(days=3),
    )
    flag = ChurnFlag.objects.create(
        branch=branch, client=client, code="DORMANT", raised_on=today
    )
    household = Household.objects.create(branch=branch, name=f"{prefix} family")
    client.household = household
    client.save()
    run = ScoreRun.objects.create(
        branch=branch, date=today - dt.timedelta(days=1), status="done"
    )
    ClientScore.objects.create(
        run=run, branch=branch, date=run.date, client=client, is_open=True, tier="gold"
    )
    entry = PointsEntry.objects.create(
        branch=branch,
        client=client,
        delta=5000,
        kind="activity",
        dated=today - dt.timedelta(days=2),
        expires_at=today + dt.timedelta(days=700),
        idempotency_key=f"seed-{prefix}",
    )
    item = CatalogueItem.objects.create(
        branch=branch, code=f"{prefix}-l2", name="Level-2 data", points_price=100
    )
    adjustment = PointsAdjustment.objects.create(
        branch=branch,
        client=client,
        delta=50_000,
        reason="goodwill",
        status="pending",
        requested_by=factories.UserFactory(
            username=f"{prefix}-requester", role=Role.MANAGER, branch=branch
        ),
    )
    saved = SavedFilter.objects.create(user=user, name="core", query="segment=core")
    batch = ImportBatch.objects.create(
        branch=branch, kind="trades", file_name="trades.csv", status="done"
    )
    return {
        "client": client,
        "duplicate": duplicate,
        "account": account,
        "trade": trade,
        "position": position,
        "balance": balance,
        "cash_flow": flow,
        "interaction": interaction,
        "feedback": feedback,
        "task": task,
        "churn_flag": flag,
        "household": household,
        "scoring_run": run,
        "points_entry": entry,
        "catalogue_item": item,
        "adjustment": adjustment,
        "saved_filter": saved,
        "advisor": advisor,
        "import_batch": batch,
        "branch": branch,
    }


def build_world() -> World:
    world = World()
    branch = factories.BranchFactory(code="HQ01", name="Demo branch")
    other = factories.BranchFactory(code="SZ02", name="Other branch")
    a = factories.AdvisorFactory(branch=branch, user__username="alice")
    b = factories.AdvisorFactory(branch=branch, user__username="bob")
    c = factories.AdvisorFactory(branch=other, user__username="carol")
    gone = factories.AdvisorFactory(branch=branch, user__username="gone")
    factories.ClientFactory(branch=branch, advisor=b, client_no="B001")
    world.users = {
        "advisor_a": a.user,
        "advisor_b": b.user,
        "manager_other": factories.UserFactory(
            username="mgr-sz", role=Role.MANAGER, branch=other
        ),
        "admin": factories.UserFactory(
            username="adm", role=Role.ADMIN, branch=branch, is_staff=True
        ),
        "head_office": factories.UserFactory(
            username="hq", role=Role.HEAD_OFFICE, branch=None
        ),
        "deactivated": gone.user,
    }
    for name, user in world.users.items():
        world.keys[name] = api_token_create(user=user, name="matrix")[1]
    world.own = _rows(branch, a, a.user, prefix="O")
    world.foreign = _rows(other, c, world.users["manager_other"], prefix="F")
    gone.user.is_active = False
    gone.user.save()
    return world
