"""The Django admin follows the same rule: a branch admin manages only their branch."""

from django.urls import reverse

from advisors.backends import BRANCH_DATA_APPS


def test_branch_admin_lists_only_their_branch(
    client, admin_user, branch, other_branch, make
):
    # given a client in each branch
    mine = make.Client(branch=branch, name="Ours")
    make.Client(branch=other_branch, advisor__branch=other_branch, name="Theirs")
    client.force_login(admin_user)
    # when the admin opens the clients change list
    response = client.get(reverse("admin:clients_client_changelist"))
    # then only their branch's client is listed
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]


def test_branch_admin_cannot_open_another_branchs_client(
    client, admin_user, other_branch, make
):
    far = make.Client(branch=other_branch, advisor__branch=other_branch)
    client.force_login(admin_user)
    response = client.get(reverse("admin:clients_client_change", args=[far.pk]))
    # Django's admin answers a missing object with a redirect and a message, never data
    assert response.status_code == 302
    assert far.name not in client.get(response["Location"]).content.decode()


def test_branch_admin_cannot_create_branches_or_superusers(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:advisors_branch_add")).status_code == 403
    response = client.get(reverse("admin:advisors_user_change", args=[admin_user.pk]))
    assert response.status_code == 200
    assert "is_superuser" not in response.context["adminform"].form.fields


def test_advisors_and_managers_do_not_get_into_the_admin(client, advisor, manager_user):
    for user in (advisor.user, manager_user):
        client.force_login(user)
        response = client.get(reverse("admin:clients_client_changelist"))
        assert response.status_code == 302


def test_every_admin_change_list_opens(client, admin_user, make):
    from django.contrib import admin

    make.Trade()
    client.force_login(admin_user)
    for model in admin.site._registry:
        if model._meta.app_label not in BRANCH_DATA_APPS:
            continue
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        response = client.get(url, {"q": "x"})
        assert response.status_code in (200, 403), url
