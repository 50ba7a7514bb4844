"""Every registered admin model × every role: the change list, add, change, delete,
import and export of own-branch and foreign-branch rows, with 0 unexpected successes
(issue #8). One world of rows in two branches per role; every model of
`admin.site._registry` is walked (a new admin model is covered without a line here).
"""

import datetime as dt

import pytest
from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch

from advisors.models import BookShare, Role, User
from brokercrm.branches import branch_path
from clients.models import Household, Task
from clients.services import trade_days_refresh
from imports.models import ImportBatch
from loyalty.models import CatalogueItem, PointsAdjustment, PointsEntry
from loyalty.services import redemption_create
from nightly.services import nightly_run
from tiers.services import scoring_policy_save

from .admin_kit import admin_export, admin_import, admin_url

D = dt.date(2026, 6, 30)
FOREIGN_MARKS = ("ZZ-", "SZ02")


def build(branch, prefix, make):
    """A branch's rows of every kind the admin shows (names start with `prefix`)."""
    advisor = make.Advisor(
        branch=branch, employee_no=f"{prefix}-E1", user__username=f"{prefix}-adv"
    )
    colleague = make.Advisor(
        branch=branch, employee_no=f"{prefix}-E2", user__username=f"{prefix}-col"
    )
    make.Team(branch=branch, name=f"{prefix}-team")
    client = make.Client(
        branch=branch, advisor=advisor, client_no=f"{prefix}-C1", name=f"{prefix} c"
    )
    Household.objects.create(branch=branch, name=f"{prefix}-house", kind="family")
    account = make.Account(client=client, account_no=f"{prefix}-A1")
    security = make.Security(code="600000")
    make.Trade(
        account=account,
        trade_id=f"{prefix}-T1",
        security=security,
        trade_date=D - dt.timedelta(days=5),
        commission=500,
    )
    trade_days_refresh(branch_id=branch.pk, dates={D - dt.timedelta(days=5)})
    make.Position(account=account, security=security, date=D)
    make.Balance(account=account, date=D)
    make.CashFlow(account=account, flow_id=f"{prefix}-F1", date=D)
    make.Interaction(
        client=client,
        interaction_id=f"{prefix}-I1",
        channel="complaint",
        date=D - dt.timedelta(days=3),
    )
    make.Feedback(client=client, feedback_id=f"{prefix}-FB1", date=D)
    Task.objects.create(
        branch=branch, client=client, title=f"{prefix}-t", kind="manual"
    )
    BookShare.objects.create(user=colleague.user, advisor=advisor)
    item = CatalogueItem.objects.create(
        branch=branch, code=f"{prefix}-item", name=f"{prefix}-item", points_price=10
    )
    ImportBatch.objects.create(
        branch=branch, kind="securities", file_name=f"{prefix}.csv", status="done"
    )
    PointsEntry.objects.create(
        branch=branch,
        client=client,
        delta=100,
        kind="activity",
        dated=D - dt.timedelta(days=1),
        expires_at=D + dt.timedelta(days=700),
        idempotency_key=f"{prefix}-gift",
    )
    manager = make.User(username=f"{prefix}-mgr", role=Role.MANAGER, branch=branch)
    PointsAdjustment.objects.create(
        branch=branch, client=client, delta=5, reason="x", requested_by=manager
    )
    redemption_create(
        user=advisor.user, client=client, item=item, idempotency_key="same", on=D
    )
    scoring_policy_save(branch=branch, data={}, note=f"{prefix}-policy")
    nightly_run(branch=branch, as_of=D)


def rows_of(model, branch):
    path = branch_path(model)
    if path is None:
        return model.objects.none()
    return model._default_manager.filter(**{path: branch.pk}).order_by("pk")


def snapshot(branch) -> dict:
    """Every admin model's rows of the branch (signing in stamps last_login: not it)."""
    return {
        model._meta.label: [
            {k: v for k, v in row.items() if k != "last_login"}
            for row in rows_of(model, branch).values()
        ]
        for model in admin.site._registry
    }


def url(model, view, *args):
    try:
        return admin_url(model, view, *args)
    except NoReverseMatch:
        return None


@pytest.fixture
def world(branch, other_branch, make, admin_user):
    build(branch, "OWN", make)
    build(other_branch, "ZZ", make)
    superuser = User.objects.create_superuser("root", password="pw", branch=branch)
    return superuser


@pytest.fixture
def actor(request, branch, admin_user, make):
    role = request.param
    if role == "admin":
        return admin_user
    return make.User(
        username=f"who-{role}",
        role=role,
        branch=None if role == Role.HEAD_OFFICE else branch,
        is_staff=True,  # the worst case: staff status given by mistake
    )


ROLES = [Role.ADVISOR, Role.MANAGER, "admin", Role.HEAD_OFFICE]


@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_no_admin_door_opens_wider_than_the_role(
    client, world, actor, branch, other_branch
):
    superuser = world
    role = actor.role
    branch_admin = role == Role.ADMIN
    head_office = role == Role.HEAD_OFFICE
    # rows the actor must not change: the other branch's (a branch admin), every
    # branch's (the read-only and branch-less roles)
    protected = [other_branch] if branch_admin else [branch, other_branch]
    before = {b.pk: snapshot(b) for b in protected}
    unexpected: list[str] = []
    walked = 0

    def refuse(label, what, response, ok=(302, 403)):
        if response.status_code not in ok:
            unexpected.append(f"{label} {what}: {response.status_code}")

    client.force_login(actor)
    for model in list(admin.site._registry):
        label = model._meta.label
        in_branch_apps = model._meta.app_label in (
            "advisors",
            "clients",
            "imports",
            "tiers",
            "churn",
            "loyalty",
        )
        own = rows_of(model, branch).first()
        foreign = rows_of(model, other_branch).first()
        walked += 1

        # change list
        response = client.get(url(model, "changelist"))
        if response.status_code == 200:
            if not (head_office or branch_admin):
                unexpected.append(f"{label} changelist opens for {role}")
            elif branch_admin and isinstance(foreign, Model):
                listed = response.context["cl"].queryset
                if listed.filter(pk=foreign.pk).exists():
                    unexpected.append(f"{label} changelist lists a foreign row")
        # add
        if not branch_admin or not in_branch_apps:
            refuse(label, "add", client.get(url(model, "add")), ok=(403,))
        # change and delete of a row of each branch
        for side, row in (("own", own), ("foreign", foreign)):
            if row is None:
                continue
            change = url(model, "change", row.pk)
            delete = url(model, "delete", row.pk)
            may_touch = branch_admin and side == "own"
            page = client.get(change)
            if page.status_code == 200:
                if not (head_office or may_touch):
                    unexpected.append(f"{label} {side} change page opens for {role}")
                elif head_office and page.context.get("has_change_permission"):
                    unexpected.append(f"{label} change page is editable by head office")
            if not may_touch:
                refuse(label, f"{side} change POST", client.post(change, {}))
                refuse(
                    label, f"{side} delete POST", client.post(delete, {"post": "yes"})
                )
                if client.get(delete).status_code == 200:
                    unexpected.append(f"{label} {side} delete page opens for {role}")
        # bulk delete of the foreign row through the change list's action
        if isinstance(foreign, Model):
            client.post(
                url(model, "changelist"),
                {
                    "action": "delete_selected",
                    "_selected_action": [foreign.pk],
                    "post": "yes",
                },
            )
        # import: only a branch admin opens it; their import of every branch's rows
        # changes nothing of another branch (checked by the snapshot below)
        import_url = url(model, "import")
        if import_url:
            opened = client.get(import_url).status_code == 200
            if opened and not (branch_admin and in_branch_apps):
                unexpected.append(f"{label} import opens for {role}")
            if opened and url(model, "export"):
                # an export of every row, taken by a superuser, imported back
                client.force_login(superuser)
                everything = admin_export(client, model)[1]
                client.force_login(actor)
                admin_import(client, model, everything)
        # export: read roles only, and never another branch's rows for a branch admin
        if url(model, "export"):
            status, text = admin_export(client, model)
            if status == 200:
                if not (head_office or branch_admin):
                    unexpected.append(f"{label} export opens for {role}")
                elif branch_admin and any(mark in text for mark in FOREIGN_MARKS):
                    unexpected.append(f"{label} export carries foreign rows")

    after = {b.pk: snapshot(b) for b in protected}
    for b in protected:
        for label, rows in before[b.pk].items():
            if after[b.pk][label] != rows:
                unexpected.append(f"{label} rows of {b.code} changed by {role}")
    assert walked == len(admin.site._registry)
    assert unexpected == []


def test_the_world_has_rows_of_every_branch_model(branch, other_branch, make):
    """The matrix exercises rows, not empty tables: every branch model has some."""
    build(branch, "OWN", make)
    empty = [
        model._meta.label
        for model in admin.site._registry
        if branch_path(model) is not None
        and model._meta.app_label != "kpis"
        and not rows_of(model, branch).exists()
    ]
    assert empty == []
