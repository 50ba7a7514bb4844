"""Named API tokens: the page, the sign-in endpoint, revocation and deactivation."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

from advisors.models import ApiToken
from advisors.services import api_token_create
from tests import factories


def bearer(key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_a_user_makes_a_token_sees_it_once_and_it_works(client, advisor):
    # given a signed-in advisor on the tokens page
    client.force_login(advisor.user)
    assert client.get("/account/tokens/").status_code == 200
    # when they make a token
    response = client.post("/account/tokens/", {"name": "call centre"})
    # then the key is shown once, only its hash is stored, and it calls the API
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key.encode() in response.content
    token = ApiToken.objects.get(user=advisor.user)
    assert token.name == "call centre" and key not in token.key_hash
    again = client.get("/account/tokens/")
    assert key.encode() not in again.content and token.prefix.encode() in again.content
    assert bearer(key).get("/api/v1/clients/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_needs_a_name(client, advisor):
    client.force_login(advisor.user)
    response = client.post("/account/tokens/", {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_at_once_and_others_cannot_revoke_it(
    client, advisor, colleague
):
    token, key = api_token_create(user=advisor.user, name="crm sync")
    client.force_login(colleague.user)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert bearer(key).get("/api/v1/clients/").status_code == 200
    client.force_login(advisor.user)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    response = bearer(key).get("/api/v1/clients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_deactivated_users_token_stops_at_once(advisor):
    _token, key = api_token_create(user=advisor.user, name="sync")
    advisor.user.is_active = False
    advisor.user.save()
    assert bearer(key).get("/api/v1/clients/").status_code == 401


def test_head_office_may_make_a_token_to_read(client, head_office_user):
    client.force_login(head_office_user)
    response = client.post("/account/tokens/", {"name": "warehouse"})
    assert response.status_code == 200
    assert (
        bearer(response.context["new_key"]).get("/api/v1/clients/").status_code == 200
    )


def test_the_tokens_page_speaks_chinese(client, advisor):
    client.force_login(advisor.user)
    response = client.get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = response.content.decode()
    assert "API 令牌" in text and "新建令牌" in text


# --- POST /api/v1/auth/token/ ------------------------------------------------------


def test_a_service_account_gets_a_token_from_its_password(db, branch):
    factories.UserFactory(username="svc-trading", password="s3cret-pass", branch=branch)
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "svc-trading", "password": "s3cret-pass", "name": "trading"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "trading" and body["key"].startswith(body["prefix"])
    assert bearer(body["key"]).get("/api/v1/clients/").status_code == 200


def test_a_wrong_password_is_401(db, branch):
    factories.UserFactory(username="svc", password="right-pass", branch=branch)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "svc", "password": "wrong"}
    )
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_token_endpoint_locks_out_like_the_login_page_with_json_429(db, branch):
    factories.UserFactory(username="svc", password="right-pass", branch=branch)
    api = APIClient()
    for _ in range(3):
        api.post("/api/v1/auth/token/", {"username": "svc", "password": "wrong"})
    # even the right password is refused now, as JSON with Retry-After
    response = api.post(
        "/api/v1/auth/token/", {"username": "svc", "password": "right-pass"}
    )
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "locked_out"
    assert int(response["Retry-After"]) > 0
    assert not ApiToken.objects.exists()
    # and the login page still answers with its page
    page = Client().post("/login/", {"username": "svc", "password": "right-pass"})
    assert page.status_code == 429 and page["Content-Type"].startswith("text/html")


# --- rates ------------------------------------------------------------------------


@pytest.fixture
def fresh_rates():
    cache.clear()
    yield
    cache.clear()


@override_settings(API_RATE_LIMIT="3/minute")
def test_a_token_over_its_rate_gets_429_with_retry_after(advisor, fresh_rates):
    _token, key = api_token_create(user=advisor.user, name="busy")
    _other, other_key = api_token_create(user=advisor.user, name="quiet")
    api = bearer(key)
    statuses = [api.get("/api/v1/clients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/v1/clients/")
    assert int(refused["Retry-After"]) > 0
    # the rate is per token: another token of the same user still works
    assert bearer(other_key).get("/api/v1/clients/").status_code == 200
