"""The UI's actions through the API: the same services, scope and permissions.

Duplicates and their merge (the managers' page) and households (the client and
household pages): what the page does, the API does, and answers the same refusals.
"""

import pytest
from rest_framework.test import APIClient

from clients.models import Client, Household, Trade
from kpis.models import ClientMerge
from loyalty.selectors import points_balance
from tests.kpis.test_merge import fill, held, points


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def pair(branch, advisor, colleague, make):
    kept = make.Client(
        branch=branch,
        advisor=advisor,
        client_no="K1",
        name="Wang Fang",
        id_number="110101199001011234",
    )
    merged = make.Client(
        branch=branch,
        advisor=colleague,
        client_no="M1",
        name="Wang Fang",
        id_number="110101199001011234",
    )
    fill(kept, make, 1)
    fill(merged, make, 2)
    points(kept, 100, "k")
    points(merged, 250, "m")
    return kept, merged


def test_duplicates_list_each_group_with_its_reasons(pair, manager_user):
    kept, merged = pair
    response = api_as(manager_user).get("/api/v1/duplicates/")
    assert response.status_code == 200
    assert response.json() == [
        {"reasons": ["id_number"], "clients": [kept.pk, merged.pk]}
    ]


def test_a_manager_previews_then_merges_a_duplicate(pair, manager_user):
    # given two clients that are one person
    kept, merged = pair
    api = api_as(manager_user)
    before = {**held(merged)}
    # when the manager previews the merge
    query = {"keep": kept.pk, "merge": merged.pk}
    preview = api.get("/api/v1/duplicates/merge/", query)
    # then it counts what each side holds, and nothing has moved yet
    assert preview.status_code == 200
    counts = preview.json()["counts"]
    assert counts["trades"] == {"kept": 1, "merged": 2}
    assert counts["points"] == {"kept": 100, "merged": 250}
    assert held(merged) == before
    # when the manager merges
    response = api.post("/api/v1/duplicates/merge/", query)
    # then every row and point of the duplicate is the kept client's, recorded once
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kept"] == kept.pk and body["merged"] == merged.pk
    assert body["moved"]["accounts"] == 2  # with their trades
    assert Trade.objects.filter(account__client=kept).count() == 3
    assert points_balance(client=kept) == 350
    assert ClientMerge.objects.filter(kept=kept, merged=merged).count() == 1
    # and the merged client can be neither previewed nor merged again
    assert api.get("/api/v1/duplicates/merge/", query).status_code == 404
    assert api.post("/api/v1/duplicates/merge/", query).status_code == 404


def test_a_merge_refuses_the_same_client_twice(pair, manager_user):
    kept, _merged = pair
    response = api_as(manager_user).post(
        "/api/v1/duplicates/merge/", {"keep": kept.pk, "merge": kept.pk}
    )
    assert response.status_code == 400
    assert "merge" in response.json()["detail"]


def test_merging_is_for_the_branchs_managers_and_in_their_scope(
    pair, advisor, head_office_user, other_branch, make
):
    kept, merged = pair
    query = {"keep": kept.pk, "merge": merged.pk}
    # an advisor and head office may not (403), whatever the clients
    for user in (advisor.user, head_office_user):
        api = api_as(user)
        assert api.get("/api/v1/duplicates/merge/", query).status_code == 403
        assert api.post("/api/v1/duplicates/merge/", query).status_code == 403
    # another branch's manager does not see these clients (404)
    other = make.User(username="mgr2", role="manager", branch=other_branch)
    api = api_as(other)
    assert api.get("/api/v1/duplicates/merge/", query).status_code == 404
    assert api.post("/api/v1/duplicates/merge/", query).status_code == 404
    assert not ClientMerge.objects.exists()


@pytest.mark.parametrize(
    "query",
    [{}, {"keep": "1"}, {"keep": "x", "merge": "2"}, {"keep": "1.0", "merge": "2"}],
)
def test_a_merge_preview_needs_two_ids(manager_user, query):
    response = api_as(manager_user).get("/api/v1/duplicates/merge/", query)
    assert response.status_code == 400


def test_an_advisor_groups_clients_into_a_household(advisor, make):
    # given two clients of the advisor's book
    first = make.Client(branch=advisor.branch, advisor=advisor)
    second = make.Client(branch=advisor.branch, advisor=advisor)
    api = api_as(advisor.user)
    # when the advisor creates a household with the first, then adds the second
    created = api.post(
        "/api/v1/households/", {"name": "Wang family", "clients": [first.pk]}
    )
    assert created.status_code == 201, created.content
    household = created.json()
    assert household["kind"] == "family" and household["members"] == [first.pk]
    url = f"/api/v1/households/{household['id']}/"
    added = api.post(f"{url}members/", {"client": second.pk})
    # then both are members
    assert added.status_code == 200
    assert added.json()["members"] == sorted([first.pk, second.pk])
    # when both are taken out, the emptied household is gone
    assert api.delete(f"{url}members/{first.pk}/").status_code == 204
    assert api.get(url).json()["members"] == [second.pk]
    assert api.delete(f"{url}members/{first.pk}/").status_code == 400
    assert api.delete(f"{url}members/{second.pk}/").status_code == 204
    assert not Household.objects.filter(pk=household["id"]).exists()
    assert api.get(url).status_code == 404


def test_households_take_only_clients_the_user_may_work(
    advisor, colleague, head_office_user, make
):
    mine = make.Client(branch=advisor.branch, advisor=advisor)
    theirs = make.Client(branch=advisor.branch, advisor=colleague)
    api = api_as(advisor.user)
    # a colleague's client is not in the advisor's scope: 404
    refused = api.post("/api/v1/households/", {"name": "X", "clients": [theirs.pk]})
    assert refused.status_code == 404
    created = api.post("/api/v1/households/", {"name": "X", "clients": [mine.pk]})
    url = f"/api/v1/households/{created.json()['id']}/"
    assert api.post(f"{url}members/", {"client": theirs.pk}).status_code == 404
    # the colleague does not see the household at all
    other = api_as(colleague.user)
    assert other.post(f"{url}members/", {"client": theirs.pk}).status_code == 404
    assert other.delete(f"{url}members/{mine.pk}/").status_code == 404
    # head office reads only
    reader = api_as(head_office_user)
    assert reader.delete(f"{url}members/{mine.pk}/").status_code == 403
    assert Client.objects.get(pk=mine.pk).household_id == created.json()["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "clients": [1]},
        {"name": "X", "clients": []},
        {"name": "X"},
        {"name": 5, "clients": [1]},
        {"name": "X", "clients": ["1"]},
        {"name": "X", "kind": "tribe", "clients": [1]},
    ],
)
def test_a_household_needs_a_name_and_clients(advisor, body):
    response = api_as(advisor.user).post("/api/v1/households/", body, format="json")
    assert response.status_code == 400
