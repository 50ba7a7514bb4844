import pytest
from django.urls import reverse


def test_login_then_logout(client, advisor):
    # when the advisor signs in with their password
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw"}, follow=True
    )
    # then they land on their clients
    assert response.status_code == 200
    assert response.context["user"].username == "alice"
    # and logging out signs them out
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused(client, advisor):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize("path", ["/api/schema/"])
def test_schema_is_served(client, advisor, path):
    client.force_login(advisor.user)
    assert client.get(path).status_code == 200
