"""Shared fixtures: the factories, and a branch with two advisors, a manager, an admin."""

import pytest
from django.db import connection

from advisors.models import Role

from . import factories


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))


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
