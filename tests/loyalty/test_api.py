import datetime as dt

import pytest
from rest_framework.test import APIClient

from loyalty.models import CatalogueItem, PointsEntry, Redemption
from loyalty.selectors import points_balance

URL = "/api/v1/loyalty/redemptions/"


@pytest.fixture
def client_(make, branch, advisor):
    c = make.Client(branch=branch, advisor=advisor)
    PointsEntry.objects.create(
        branch=branch,
        client=c,
        delta=1000,
        kind="activity",
        dated=dt.date(2026, 1, 5),
        expires_at=dt.date(2028, 1, 5),
        idempotency_key="seed",
    )
    return c


@pytest.fixture
def item(db):
    return CatalogueItem.objects.create(code="l2", name="Level-2", points_price=400)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_redeeming_twice_with_one_key_gives_one_redemption_and_the_same_answer(
    advisor, client_, item
):
    body = {"client": client_.pk, "item": item.pk, "quantity": 1}
    first = api(advisor.user).post(URL, body, HTTP_IDEMPOTENCY_KEY="abc")
    again = api(advisor.user).post(URL, body, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["points"] == 400
    assert Redemption.objects.count() == 1
    assert points_balance(client=client_) == 600


def test_the_same_key_with_another_payload_is_409_with_a_message(
    advisor, client_, item
):
    c = api(advisor.user)
    c.post(URL, {"client": client_.pk, "item": item.pk}, HTTP_IDEMPOTENCY_KEY="k")
    response = c.post(
        URL,
        {"client": client_.pk, "item": item.pk, "quantity": 2},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_too_few_points_is_409(advisor, client_, item):
    response = api(advisor.user).post(
        URL,
        {"client": client_.pk, "item": item.pk, "quantity": 3},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 409
    assert "Not enough points" in response.json()["detail"]


def test_a_colleagues_client_is_404_and_their_entries_invisible(
    colleague, client_, item
):
    c = api(colleague.user)
    response = c.post(
        URL, {"client": client_.pk, "item": item.pk}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 404
    entries = c.get("/api/v1/loyalty/entries/", {"client": client_.pk}).json()
    assert entries["results"] == []


def test_a_key_is_required(advisor, client_, item):
    response = api(advisor.user).post(URL, {"client": client_.pk, "item": item.pk})
    assert response.status_code == 400


def test_catalogue_and_entries_are_listed(advisor, client_, item):
    c = api(advisor.user)
    codes = [i["code"] for i in c.get("/api/v1/loyalty/catalogue/").json()["results"]]
    assert "l2" in codes
    entries = c.get("/api/v1/loyalty/entries/", {"client": client_.pk}).json()
    assert [e["delta"] for e in entries["results"]] == [1000]


def test_the_schema_documents_the_points_api(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert "/api/v1/loyalty/redemptions/" in response.content.decode()


def test_a_large_adjustment_through_the_api_needs_a_second_manager(
    branch, manager_user, client_
):
    from advisors.models import Role
    from tests import factories

    # given
    second = factories.UserFactory(username="mgr2", role=Role.MANAGER, branch=branch)
    created = api(manager_user).post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": 8000, "reason": "migration"},
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    url = f"/api/v1/loyalty/adjustments/{created.json()['id']}/approve/"
    # when the requester approves, then another manager
    own = api(manager_user).post(url)
    other = api(second).post(url)
    # then
    assert own.status_code == 403
    assert other.status_code == 200 and other.json()["status"] == "applied"
    assert points_balance(client=client_) == 9000


def test_advisors_cannot_adjust_or_reverse_through_the_api(advisor, client_):
    c = api(advisor.user)
    created = c.post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": 10, "reason": "x"},
    )
    entry = PointsEntry.objects.get(client=client_)
    reversed_ = c.post(f"/api/v1/loyalty/entries/{entry.pk}/reverse/", {"reason": "x"})
    assert created.status_code == reversed_.status_code == 403
    assert points_balance(client=client_) == 1000


def test_a_manager_reverses_through_the_api(manager_user, client_):
    entry = PointsEntry.objects.get(client=client_)
    response = api(manager_user).post(
        f"/api/v1/loyalty/entries/{entry.pk}/reverse/", {"reason": "duplicate"}
    )
    assert response.status_code == 201 and response.json()["delta"] == -1000
    assert points_balance(client=client_) == 0


def test_domain_errors_answer_400_409_in_one_shape(manager_user, client_):
    c = api(manager_user)
    # a request wrong in itself: 400 with the message and code
    zero = c.post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": 0, "reason": "x"},
    )
    assert zero.status_code == 400
    assert zero.json() == {
        "detail": "An adjustment must change the balance.",
        "code": "invalid",
    }
    # a state that does not allow it (already reversed): 409
    entry = PointsEntry.objects.get(client=client_)
    url = f"/api/v1/loyalty/entries/{entry.pk}/reverse/"
    assert c.post(url, {"reason": "duplicate"}).status_code == 201
    again = c.post(url, {"reason": "duplicate"})
    assert again.status_code == 409
    assert again.json()["detail"] == "This entry was already reversed."


def test_not_found_from_a_selector_is_404(colleague, client_):
    response = api(colleague.user).post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": 5, "reason": "x"},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
