"""Shared fixtures: the factories, and a branch with two advisors, a manager, an admin."""

import os

import pytest
from django.db import connection, connections

from advisors.models import Role

from . import factories


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in Chinese (the locale
    middleware activates it for the thread) must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def branch(db):
    return factories.BranchFactory(code="HQ01", name="Demo branch")


@pytest.fixture
def other_branch(db):
    return factories.BranchFactory(code="SZ02", name="Other branch")


@pytest.fixture
def advisor(branch):
    return factories.AdvisorFactory(branch=branch, user__username="alice")


@pytest.fixture
def colleague(branch):
    return factories.AdvisorFactory(branch=branch, user__username="bob")


@pytest.fixture
def manager_user(branch):
    return factories.UserFactory(username="mgr", role=Role.MANAGER, branch=branch)


@pytest.fixture
def admin_user(branch):
    return factories.UserFactory(
        username="adm", role=Role.ADMIN, branch=branch, is_staff=True
    )


@pytest.fixture
def head_office_user(db):
    return factories.UserFactory(username="hq", role=Role.HEAD_OFFICE, branch=None)


@pytest.fixture
def make(db):
    """`make.Client(...)`, `make.Trade(...)`: every factory, by model name."""

    class Make:
        def __getattr__(self, name):
            return getattr(factories, f"{name}Factory")

    return Make()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]


@pytest.fixture
def browser_page():
    """A page in a real headless Chromium (Playwright); skipped where there is none."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("no Chromium at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by
    # the test itself, not by the server) would otherwise refuse to run beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            # Inside Playwright's loop Django opened its own connection; close it
            # here, or PostgreSQL refuses to drop the test database at the end.
            connections.close_all()
            browser.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
