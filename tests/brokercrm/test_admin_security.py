"""Regression tests of the admin's back doors (issue #8, findings 1-6), done the way
the attacker did them: a branch admin (or head office) posting to the admin."""

import datetime as dt

import pytest
from django.urls import reverse

from advisors.models import Advisor, BookShare, Role, User
from churn.models import ChurnFlag, FlagStatus
from clients.models import Client, Task
from loyalty.models import CatalogueItem

from .admin_kit import admin_import, admin_url, form_data, has_import_url, upload_file

pytestmark = pytest.mark.postgres


@pytest.fixture
def their_manager(other_branch):
    return User.objects.create_user(
        "their-mgr", password="pw", role=Role.MANAGER, branch=other_branch
    )


@pytest.fixture
def signed_in_admin(client, admin_user):
    client.force_login(admin_user)
    return client


# -- 1. a branch admin makes themselves head office through the users import -------
def test_1_users_import_cannot_create_a_head_office_user(signed_in_admin):
    csv_text = "username,role,branch,is_active,is_staff\nmole,head_office,,1,1\n"
    # when the admin posts the users import as before
    upload = signed_in_admin.post(
        "/admin/advisors/user/import/",
        {"resource": "0", "format": "0", "import_file": upload_file(csv_text)},
    )
    confirm = signed_in_admin.post(
        "/admin/advisors/user/process_import/",
        {"import_file_name": "x", "original_file_name": "x.csv", "format": "0"},
    )
    # then there is no such door any more (the admin reads "import" as a user id
    # that does not exist), and no head office user was made
    assert not has_import_url(User)
    assert upload.status_code == confirm.status_code == 302
    assert not User.objects.filter(role=Role.HEAD_OFFICE).exists()


@pytest.mark.parametrize("role", [Role.HEAD_OFFICE, Role.ADMIN])
def test_1_add_and_change_forms_grant_at_most_manager(
    signed_in_admin, branch, role, make
):
    # the add form refuses the role
    page = signed_in_admin.get(admin_url(User, "add"))
    data = form_data(page) | {
        "username": "mole",
        "password1": "Xk3!long-enough-pw",
        "password2": "Xk3!long-enough-pw",
        "role": role,
    }
    signed_in_admin.post(admin_url(User, "add"), data)
    assert not User.objects.filter(username="mole").exists()
    # and so does the change form of a user of the branch
    advisor_user = make.Advisor(branch=branch).user
    url = admin_url(User, "change", advisor_user.pk)
    data = form_data(signed_in_admin.get(url)) | {"role": role}
    response = signed_in_admin.post(url, data)
    assert response.status_code == 200  # the form again, with its error
    advisor_user.refresh_from_db()
    assert advisor_user.role == Role.ADVISOR


def test_1_branch_admin_cannot_edit_admins_or_superusers_of_their_branch(
    signed_in_admin, admin_user, branch
):
    boss = User.objects.create_user(
        "boss", password="pw", role=Role.ADMIN, branch=branch, is_superuser=True
    )
    peer = User.objects.create_user(
        "peer", password="pw", role=Role.ADMIN, branch=branch
    )
    for target in (boss, peer, admin_user):
        password_url = f"/admin/advisors/user/{target.pk}/password/"
        response = signed_in_admin.post(
            password_url, {"password1": "Hijack-123456", "password2": "Hijack-123456"}
        )
        assert response.status_code == 403, target.username
        target.refresh_from_db()
        assert not target.check_password("Hijack-123456")


# -- 2. taking over another branch's users ------------------------------------------
def test_2_another_branchs_user_cannot_be_moved_or_reset(
    signed_in_admin, their_manager, branch
):
    csv_text = f"username,role,branch\n{their_manager.username},manager,{branch.code}\n"
    upload = signed_in_admin.post(
        "/admin/advisors/user/import/",
        {"resource": "0", "format": "0", "import_file": upload_file(csv_text)},
    )
    assert upload.status_code == 302
    # nor through the change and password pages
    change = signed_in_admin.get(admin_url(User, "change", their_manager.pk))
    assert change.status_code == 302  # "does not exist"
    password = signed_in_admin.post(
        f"/admin/advisors/user/{their_manager.pk}/password/",
        {"password1": "Hijack-123456", "password2": "Hijack-123456"},
    )
    assert password.status_code in (302, 403, 404)
    their_manager.refresh_from_db()
    assert their_manager.branch_id != branch.pk
    assert not their_manager.check_password("Hijack-123456")


# -- 3. sharing another branch's book -----------------------------------------------
def test_3_book_share_refuses_another_branchs_advisor(
    signed_in_admin, advisor, other_branch, make
):
    theirs = make.Advisor(branch=other_branch)
    csv_text = f"user,advisor\n{advisor.user.username},{theirs.pk}\n"
    upload = signed_in_admin.post(
        "/admin/advisors/bookshare/import/",
        {"resource": "0", "format": "0", "import_file": upload_file(csv_text)},
    )
    assert upload.status_code == 302 and not has_import_url(BookShare)
    page = signed_in_admin.get(admin_url(BookShare, "add"))
    data = form_data(page) | {"user": advisor.user.pk, "advisor": theirs.pk}
    response = signed_in_admin.post(admin_url(BookShare, "add"), data)
    assert response.status_code == 200
    assert "advisor" in response.context["adminform"].form.errors
    assert not BookShare.objects.exists()
    # nor may the share be given to another branch's user
    data = form_data(page) | {"user": theirs.user.pk, "advisor": advisor.pk}
    signed_in_admin.post(admin_url(BookShare, "add"), data)
    assert not BookShare.objects.exists()


# -- 4. head office writes ----------------------------------------------------------
@pytest.fixture
def open_flag(branch, advisor, make):
    client_ = make.Client(branch=branch, advisor=advisor)
    return ChurnFlag.objects.create(
        branch=branch, client=client_, code="complaint", raised_on=dt.date(2026, 6, 1)
    )


def test_4_head_office_cannot_resolve_flags(client, head_office_user, open_flag):
    client.force_login(head_office_user)
    response = client.post(
        reverse("churn-flag-resolve", args=[open_flag.pk]), {"outcome": "retained"}
    )
    assert response.status_code == 403
    open_flag.refresh_from_db()
    assert open_flag.status == FlagStatus.OPEN


def test_4_head_office_cannot_write_through_the_api_with_a_token(
    head_office_user, advisor, make
):
    from rest_framework.test import APIClient

    from advisors.services import api_token_create

    client_ = make.Client(branch=advisor.branch, advisor=advisor)
    api = APIClient()
    _token, key = api_token_create(user=head_office_user, name="warehouse")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/clients/").status_code == 200
    response = api.post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": 100, "reason": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_4_head_office_cannot_write_in_the_admin(
    client, head_office_user, branch, advisor, make
):
    head_office_user.is_staff = True
    head_office_user.save()
    client.force_login(head_office_user)
    client_ = make.Client(branch=branch, advisor=advisor, name="Kept")
    url = admin_url(Client, "change", client_.pk)
    assert client.get(url).status_code == 200  # may read
    response = client.post(url, {"name": "Changed"})
    assert response.status_code == 403
    client_.refresh_from_db()
    assert client_.name == "Kept"


# -- 5. catalogue items for every branch ----------------------------------------------
def test_5_branch_admin_item_gets_their_branch(signed_in_admin, branch):
    page = signed_in_admin.get(admin_url(CatalogueItem, "add"))
    data = form_data(page) | {
        "code": "gift",
        "name": "Gift",
        "points_price": "1",
        "unit_value_cny": "9999",
        "branch": "",
        "free_tiers": "[]",
    }
    signed_in_admin.post(admin_url(CatalogueItem, "add"), data)
    assert not CatalogueItem.objects.filter(code="gift", branch__isnull=True).exists()
    data["branch"] = str(branch.pk)
    response = signed_in_admin.post(admin_url(CatalogueItem, "add"), data)
    assert response.status_code == 302
    assert CatalogueItem.objects.get(code="gift").branch == branch


def test_5_branch_admin_cannot_change_or_delete_an_every_branch_item(
    signed_in_admin, branch
):
    shared = CatalogueItem.objects.create(code="all", name="All", points_price=10)
    change = admin_url(CatalogueItem, "change", shared.pk)
    page = signed_in_admin.get(change)
    assert page.status_code == 200
    data = form_data(page) | {"points_price": "1", "branch": str(branch.pk)}
    assert signed_in_admin.post(change, data).status_code == 403
    assert (
        signed_in_admin.post(
            admin_url(CatalogueItem, "delete", shared.pk), {"post": "yes"}
        ).status_code
        == 403
    )
    response = signed_in_admin.post(
        admin_url(CatalogueItem, "changelist"),
        {"action": "delete_selected", "_selected_action": [shared.pk], "post": "yes"},
    )
    assert response.status_code == 403
    shared.refresh_from_db()
    assert (shared.points_price, shared.branch_id) == (10, None)


# -- 6. raw-id fields limited to the branch -------------------------------------------
def test_6_raw_id_of_another_branchs_advisor_is_refused(
    signed_in_admin, branch, advisor, other_branch, make
):
    client_ = make.Client(branch=branch, advisor=advisor)
    theirs = make.Advisor(branch=other_branch)
    url = admin_url(Client, "change", client_.pk)
    data = form_data(signed_in_admin.get(url)) | {"advisor": theirs.pk}
    response = signed_in_admin.post(url, data)
    assert response.status_code == 200
    assert "advisor" in response.context["adminform"].form.errors
    client_.refresh_from_db()
    assert client_.advisor == advisor
    assert Advisor.objects.filter(branch=other_branch).exists()


def test_6_import_cannot_reach_another_branchs_row_by_id(
    signed_in_admin, branch, other_branch, make
):
    theirs = make.Client(branch=other_branch, advisor__branch=other_branch)
    task = Task.objects.create(
        branch=other_branch, client=theirs, title="Theirs", kind="manual"
    )
    csv_text = f"id,branch,client,title,kind,status\n{task.pk},{branch.code},,Mine,manual,open\n"
    upload, confirm = admin_import(signed_in_admin, Task, csv_text)
    if confirm is not None:
        assert confirm.status_code in (200, 302)
    task.refresh_from_db()
    assert (task.branch_id, task.title) == (other_branch.pk, "Theirs")
