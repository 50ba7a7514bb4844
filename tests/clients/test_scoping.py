"""The access rule of SPEC §1: an advisor sees only their own book, everywhere."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from advisors.models import BookShare
from clients import selectors


@pytest.fixture
def books(branch, other_branch, advisor, colleague, make):
    """Alice has 3 clients, Bob 2, and another branch 1."""
    mine = [
        make.Client(branch=branch, advisor=advisor, name=f"Mine {i}") for i in range(3)
    ]
    theirs = [
        make.Client(branch=branch, advisor=colleague, name=f"Theirs {i}")
        for i in range(2)
    ]
    far = make.Client(
        branch=other_branch, advisor__branch=other_branch, name="Far away"
    )
    for client in [*mine, *theirs, far]:
        make.Account(client=client)
    return {"mine": mine, "theirs": theirs, "far": far}


def test_advisor_sees_only_own_clients(books, advisor):
    # when
    visible = set(selectors.client_scope(advisor.user))
    # then
    assert visible == set(books["mine"])


def test_manager_sees_the_branch_not_other_branches(books, manager_user):
    visible = set(selectors.client_scope(manager_user))
    assert visible == set(books["mine"] + books["theirs"])


def test_admin_sees_the_branch(books, admin_user):
    assert selectors.client_scope(admin_user).count() == 5


def test_head_office_sees_every_branch(books, head_office_user):
    assert selectors.client_scope(head_office_user).count() == 6


def test_anonymous_and_inactive_users_see_nothing(books, advisor):
    from django.contrib.auth.models import AnonymousUser

    assert selectors.client_scope(AnonymousUser()).count() == 0
    advisor.user.is_active = False
    assert selectors.client_scope(advisor.user).count() == 0


def test_shared_book_is_visible_to_the_assistant_without_duplicates(
    books, advisor, colleague
):
    # given an assistant who is also given Bob's book
    BookShare.objects.create(user=advisor.user, advisor=colleague)
    # when
    visible = list(selectors.client_scope(advisor.user))
    # then
    assert len(visible) == len(set(visible)) == 5
    assert selectors.client_scope(advisor.user).count() == 5


def test_search_never_finds_foreign_clients(books, advisor):
    assert list(selectors.client_list(user=advisor.user, search="Theirs")) == []
    assert list(selectors.client_list(user=advisor.user, search="Far")) == []
    assert len(selectors.client_list(user=advisor.user, search="Mine")) == 3
    foreign_account = books["theirs"][0].accounts.get().account_no
    assert not selectors.client_list(user=advisor.user, search=foreign_account).exists()


def test_rows_hanging_off_clients_are_scoped(books, advisor, make):
    # given a trade, a balance and an interaction on each side
    for client in [books["mine"][0], books["theirs"][0], books["far"]]:
        account = client.accounts.get()
        make.Trade(account=account)
        make.Balance(account=account)
        make.Interaction(client=client)
    user = advisor.user
    # then each list holds only the advisor's own rows
    assert {t.account.client for t in selectors.trade_list(user=user)} == {
        books["mine"][0]
    }
    assert selectors.balance_list(user=user).count() == 1
    assert selectors.interaction_list(user=user).count() == 1
    assert selectors.account_list(user=user).count() == 3


def test_foreign_client_page_is_404(client, books, advisor):
    client.force_login(advisor.user)
    own = client.get(reverse("client-detail", args=[books["mine"][0].pk]))
    foreign = client.get(reverse("client-detail", args=[books["theirs"][0].pk]))
    far = client.get(reverse("client-detail", args=[books["far"].pk]))
    assert own.status_code == 200
    assert foreign.status_code == 404
    assert far.status_code == 404
    assert "Theirs" not in foreign.content.decode()


def test_home_lists_and_counts_only_own_clients(client, books, advisor):
    client.force_login(advisor.user)
    response = client.get(reverse("book"))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["total"] == 3
    assert "Mine 0" in body and "Theirs 0" not in body and "Far away" not in body


def test_home_search_is_scoped(client, books, advisor):
    client.force_login(advisor.user)
    response = client.get(reverse("book"), {"q": "Theirs"})
    assert response.context["total"] == 0


def test_api_lists_and_404s_like_the_ui(books, advisor):
    api = APIClient()
    api.force_authenticate(advisor.user)
    listed = api.get("/api/v1/clients/").json()
    assert len(listed["results"]) == 3
    assert {row["name"] for row in listed["results"]} == {"Mine 0", "Mine 1", "Mine 2"}
    assert api.get(f"/api/v1/clients/{books['theirs'][0].pk}/").status_code == 404
    assert api.get(f"/api/v1/clients/{books['mine'][0].pk}/").status_code == 200
    assert api.get("/api/v1/clients/", {"search": "Theirs"}).json()["results"] == []


def test_api_requires_authentication(books):
    assert APIClient().get("/api/v1/clients/").status_code in (401, 403)


def test_home_requires_login(client, db):
    response = client.get(reverse("book"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_home_query_count_does_not_grow_with_clients(
    client, books, advisor, make, django_assert_max_num_queries
):
    for i in range(40):
        make.Client(branch=advisor.branch, advisor=advisor, name=f"More {i}")
    client.force_login(advisor.user)
    with django_assert_max_num_queries(12):
        client.get(reverse("book"))


def test_latest_positions_are_each_accounts_latest_day_without_its_zero_rows(
    books, advisor, make
):
    # given: a client of the advisor with two accounts reported on different days
    client = books["mine"][0]
    first = client.accounts.get()
    second = make.Account(client=client)
    third = make.Account(client=client)
    stock = make.Security(code="600001")
    bond = make.Security(code="010001")
    sold = make.Security(code="600002")
    today = dt.date(2026, 6, 30)
    # the first account's latest day holds two lines and a sold-out (zero) one
    make.Position(account=first, date=today, security=stock, market_value=300)
    make.Position(account=first, date=today, security=bond, market_value=500)
    make.Position(account=first, date=today, security=sold, quantity=0, market_value=0)
    make.Position(account=first, date=today - dt.timedelta(9), security=sold)
    # the second was last reported three days ago
    make.Position(
        account=second, date=today - dt.timedelta(3), security=stock, market_value=50
    )
    make.Position(
        account=second, date=today - dt.timedelta(5), security=bond, market_value=70
    )
    # the third sold out (only a zero row on its latest day)
    make.Position(
        account=third, date=today - dt.timedelta(1), security=bond, quantity=0
    )
    make.Position(account=third, date=today - dt.timedelta(2), security=bond)

    # when: the advisor reads the client's holdings, and as of five days ago
    now = selectors.latest_positions(user=advisor.user, client=client)
    before = selectors.latest_positions(
        user=advisor.user, client=client, as_of=today - dt.timedelta(5)
    )

    # then: each account's latest day, its zero rows left out, largest first
    assert [(p.account_id, p.security.code) for p in now] == [
        (first.pk, "010001"),
        (first.pk, "600001"),
        (second.pk, "600001"),
    ]
    assert sorted((p.account_id, p.date) for p in before) == [
        (first.pk, today - dt.timedelta(9)),
        (second.pk, today - dt.timedelta(5)),
    ]
    # and a colleague sees none of them
    colleague_user = books["theirs"][0].advisor.user
    assert not selectors.latest_positions(user=colleague_user, client=client).exists()
