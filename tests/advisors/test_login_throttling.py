"""Sign-in throttling (issue #8 finding 7): django-axes on /login/ and /admin/login/."""

import re

import pytest
from django.core.management import call_command

from advisors.models import Role, User

DOORS = ["/login/", "/admin/login/"]


@pytest.fixture
def staff(branch):
    return User.objects.create_user(
        "alice", password="right-pw", role=Role.ADMIN, branch=branch, is_staff=True
    )


def attempt(client, door, username, password, ip="10.0.0.1"):
    return client.post(
        door, {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def without_tokens(html: bytes) -> bytes:
    return re.sub(rb'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]*"', b"", html)


def signed_in(response) -> bool:
    return response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize("door", DOORS)
def test_sixth_attempt_refused_even_with_the_right_password(client, staff, door):
    # given five wrong passwords for one username, each from its own address
    for n in range(5):
        response = attempt(client, door, "alice", "wrong", ip=f"10.0.1.{n}")
        assert not signed_in(response)
        # the fifth failure already answers with the lockout page
        assert response.status_code == (429 if n == 4 else 200)
    # when the right password comes, from yet another address
    response = attempt(client, door, "alice", "right-pw", ip="10.0.2.1")
    # then it is refused with the lockout page
    assert response.status_code == 429
    assert not signed_in(response)


@pytest.mark.parametrize("door", DOORS)
def test_one_address_trying_many_usernames_is_locked_out(client, staff, door):
    for n in range(5):
        attempt(client, door, f"nobody{n}", "guess", ip="10.0.3.3")
    response = attempt(client, door, "alice", "right-pw", ip="10.0.3.3")
    assert response.status_code == 429 and not signed_in(response)
    # another address is not affected
    assert attempt(client, door, "alice", "right-pw", ip="10.0.3.4").status_code == 302


def test_lockout_does_not_tell_whether_the_username_exists(client, staff):
    for n in range(5):
        attempt(client, "/login/", "alice", "wrong", ip=f"10.0.4.{n}")
        attempt(client, "/login/", "ghost", "wrong", ip=f"10.0.5.{n}")
    real = attempt(client, "/login/", "alice", "x", ip="10.0.6.1")
    ghost = attempt(client, "/login/", "ghost", "x", ip="10.0.6.2")
    assert real.status_code == ghost.status_code == 429
    assert without_tokens(real.content) == without_tokens(ghost.content)
    assert b"alice" not in real.content


def test_an_admin_unlocks_with_axes_reset(client, staff):
    for n in range(6):
        attempt(client, "/login/", "alice", "wrong", ip=f"10.0.7.{n}")
    assert attempt(client, "/login/", "alice", "right-pw").status_code == 429
    call_command("axes_reset_username", "alice")
    assert attempt(client, "/login/", "alice", "right-pw").status_code == 302
