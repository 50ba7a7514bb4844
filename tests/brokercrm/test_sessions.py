"""Sessions that end (idle 30 min, absolute 12 h, at once for a deactivated user), the
Content-Security-Policy without inline script, and templates that keep to it."""

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from advisors.services import api_token_create
from advisors.sessions import SIGNED_IN_AT
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user(branch):
    return factories.UserFactory(username="carol", password="pw-carol", branch=branch)


def signed_in(client, user):
    assert client.login(request=HttpRequest(), username="carol", password="pw-carol")
    return client


def test_the_idle_timeout_is_30_minutes_and_moves_on_with_activity(client, user):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT == 30 * 60
    signed_in(client, user)
    key = client.session.session_key
    # given a session last touched 2 minutes ago, expiring in 28
    session = client.session
    session["_seen_at"] = int(time.time()) - 120
    session.save()
    Session.objects.filter(pk=key).update(
        expire_date=Session.objects.get(pk=key).expire_date - dt.timedelta(minutes=2)
    )
    before = Session.objects.get(pk=key).expire_date
    # when the user opens a page
    assert client.get("/").status_code == 200
    # then the session expires 30 minutes from now again
    assert Session.objects.get(pk=key).expire_date > before


def test_an_idle_session_past_its_expiry_is_signed_out(client, user):
    signed_in(client, user)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now())
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_twelve_hours_after_sign_in_the_session_ends_however_active(client, user):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 3600
    signed_in(client, user)
    assert client.get("/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/").status_code == 302  # signed out, not just redirected once


def test_a_deactivated_user_loses_sessions_and_tokens_at_once(client, user, branch):
    other = factories.UserFactory(username="dave", password="pw-dave", branch=branch)
    signed_in(client, user)
    token, key = api_token_create(user=user, name="warehouse")
    kept, _kept_key = api_token_create(user=other, name="call centre")
    api = client.__class__()
    before = api.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert before.status_code == 200
    # when an admin deactivates the account
    user.is_active = False
    user.save()
    # then its session and token are gone; the other user's token stays
    token.refresh_from_db()
    kept.refresh_from_db()
    assert token.revoked_at is not None
    assert kept.revoked_at is None
    assert client.get("/").status_code == 302
    refused = api.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked token."


def test_token_auth_refuses_an_inactive_user(client, user):
    token, key = api_token_create(user=user, name="warehouse")
    # deactivated without the signal (a bulk update): the token is refused anyway
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


def test_pages_carry_a_csp_without_inline_script_and_the_other_headers(client, user):
    signed_in(client, user)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in csp.split("; ") if part
    )
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JSON_SCRIPT = re.compile(r'type="application/json"', re.I)


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in sorted(ROOT.glob("**/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in INLINE_SCRIPT.finditer(text):
            if not JSON_SCRIPT.search(match.group(0)):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in INLINE_HANDLER.finditer(text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:60]}")
    assert offenders == []


@pytest.mark.browser
def test_pages_run_under_the_csp_without_a_violation(live_server, browser_page, branch):
    advisor = factories.AdvisorFactory(
        branch=branch, user__username="frank", user__password="pw-frank"
    )
    client_row = factories.ClientFactory(branch=branch, advisor=advisor)
    violations = []
    page = browser_page
    page.on(
        "console",
        lambda m: (
            violations.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "frank")
    page.fill("input[name=password]", "pw-frank")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/clients/{client_row.pk}/")
    page.wait_for_load_state("networkidle")
    assert violations == []
