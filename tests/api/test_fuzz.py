"""Schemathesis against the live schema: every operation, generated valid and invalid
requests, as advisor A with a token (issue #12, "done when").

The schema is the one `/api/schema/` serves, loaded from the WSGI app in process, so
the requests run in the test's database with a two-branch world in it. 50 cases an
operation (fewer where the operation's inputs have fewer), derandomized so a run is
reproducible; no deadline (the machine is shared).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from advisors.models import ApiToken
from advisors.services import api_token_hash

from .world import build_world

FUZZ_KEY = "bcrm_fuzz-key-for-schemathesis-only-0000000"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


# Generating the schema reads no database: it can be loaded while tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def fuzz_world(db):
    # The requests reach the WSGI app directly (not through Django's test client),
    # so Django would close the test's connection at the end of each request: on
    # PostgreSQL that ends the test's transaction. Keep it open, as the test client does.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield _world()
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def _world():
    world = build_world()
    ApiToken.objects.create(
        user=world.users["advisor_a"],
        name="fuzz",
        prefix=FUZZ_KEY[:12],
        key_hash=api_token_hash(FUZZ_KEY),
    )
    return world


@schema.auth()
class AdvisorToken:
    def get(self, case, context):
        return FUZZ_KEY

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(case, fuzz_world):
    case.call_and_validate(checks=CHECKS)
