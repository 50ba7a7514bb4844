"""Securities and prices are shared by every branch: only a superuser edits them in
the admin; branch admins and head office view them (issue #8, in the style of
test_admin_matrix: every shared model of `admin.site._registry`, every door)."""

import datetime as dt

import pytest
from django.contrib import admin

from advisors.models import Role, User
from brokercrm.admin import BranchScopedAdmin
from clients.models import Price, Security

from .admin_kit import admin_export, admin_import, admin_url

SHARED = [
    model
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, BranchScopedAdmin) and model_admin.branch_path is None
]


def shared_rows() -> dict:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in SHARED
    }


@pytest.fixture
def market(db, make):
    security = make.Security(code="600000", name="Bank")
    Price.objects.create(security=security, date=dt.date(2026, 6, 30), close=10)
    return security


@pytest.fixture
def actor(request, branch, admin_user, make):
    if request.param == "admin":
        return admin_user
    return make.User(
        username=f"who-{request.param}",
        role=request.param,
        branch=None if request.param == Role.HEAD_OFFICE else branch,
        is_staff=True,
    )


def test_the_shared_models_are_securities_and_prices():
    assert set(SHARED) == {Security, Price}


@pytest.mark.parametrize("actor", ["admin", Role.HEAD_OFFICE], indirect=True)
def test_branch_admins_and_head_office_view_shared_rows_and_change_none(
    client, market, actor
):
    # given
    client.force_login(actor)
    before = shared_rows()
    unexpected = []
    for model in SHARED:
        row = model.objects.first()
        label = model._meta.label
        # when / then: they read the list and the row, read-only
        if client.get(admin_url(model, "changelist")).status_code != 200:
            unexpected.append(f"{label} changelist closed")
        page = client.get(admin_url(model, "change", row.pk))
        if page.status_code != 200 or page.context.get("has_change_permission"):
            unexpected.append(f"{label} change page not read-only")
        if client.get(admin_url(model, "add")).status_code != 403:
            unexpected.append(f"{label} add opens")
        if client.post(admin_url(model, "change", row.pk), {}).status_code != 403:
            unexpected.append(f"{label} change POST accepted")
        delete = admin_url(model, "delete", row.pk)
        if client.post(delete, {"post": "yes"}).status_code != 403:
            unexpected.append(f"{label} delete POST accepted")
        client.post(
            admin_url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
        )
        if client.get(admin_url(model, "import")).status_code == 200:
            unexpected.append(f"{label} import opens")
        status, text = admin_export(client, model)
        admin_import(client, model, text.replace("Bank", "Changed"))
    assert unexpected == []
    assert shared_rows() == before


def test_a_superuser_edits_shared_rows(client, market, branch):
    root = User.objects.create_superuser("root", password="pw", branch=branch)
    client.force_login(root)
    response = client.post(
        admin_url(Security, "change", market.pk),
        {"code": "600000", "name": "Renamed", "kind": "stock", "industry": ""},
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.name == "Renamed"
    assert client.get(admin_url(Price, "import")).status_code == 200
