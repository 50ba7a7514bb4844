"""Schemathesis against the live schema (issue #12, "done when").

1. Every operation alone, as advisor A with a token: 50 generated cases an
   operation (valid and invalid; fewer only where the operation's inputs have fewer
   distinct values), derandomized so a run is reproducible; no deadline (the machine
   is shared).
2. Scenarios along the schema's OpenAPI links (brokercrm.api_schema.LINKS), as
   advisor A and as the branch admin (imports, merges): 50 scenarios of up to 8
   calls each, valid requests, every scenario from the same world.

Both check not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance, negative_data_rejection and ignored_auth. The schema
is the one `/api/schema/` serves, loaded from the WSGI app in process, so the
requests run in the test's database with a two-branch world in it.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import GenerationConfig
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


#: Whose token the requests carry: advisor A's fuzz key, unless a test says otherwise.
CALLER = {"key": FUZZ_KEY}


@schema.auth(refresh_interval=None)
class CallerToken:
    def get(self, case, context):
        return CALLER["key"]

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


# The scenarios send valid requests only: they are for the flows (invalid requests,
# operation by operation, are the test above's).
schema.config.phases.stateful.generation = GenerationConfig(
    modes=[GenerationMode.POSITIVE]
)


class Scenarios(schema.as_state_machine()):
    """Sequences of calls along the schema's links (a client → create a task for it →
    complete or snooze it; log a contact → its client; group a household → add and
    take out members; upload a file → poll the batch; redeem → the ledger; a
    duplicate group → preview → merge), each response checked like a single call.

    Each scenario runs in a savepoint rolled back at its end: every one starts from
    the same world, so Hypothesis replays the same responses for the same calls.
    """

    #: The catalogue item a redemption names (a link brings the client, not the item).
    item_id: int | None = None
    redemptions = 0

    def setup(self):
        self._scenario = transaction.atomic()
        self._scenario.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._scenario.__exit__(None, None, None)

    def before_call(self, case):
        # A redemption names an item of the caller's branch and carries a key (the
        # schema cannot say "the header or the field"): else every one is a 404/400.
        body = case.body
        if case.operation.path.endswith("/redemptions/") and isinstance(body, dict):
            if type(body.get("item")) is int:
                body["item"] = self.item_id
            if not body.get("idempotency_key"):
                self.redemptions += 1
                case.headers = {
                    **(case.headers or {}),
                    "Idempotency-Key": f"fuzz-{self.redemptions}",
                }

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(
            response,
            checks=CHECKS,
            transport_kwargs=kwargs or None,
            recorder=getattr(self, "recorder", None),
        )


@pytest.mark.parametrize("actor", ["advisor_a", "admin"])
def test_linked_calls_conform_to_the_schema(fuzz_world, actor):
    # given the caller's token, and the catalogue item of its branch
    CALLER["key"] = FUZZ_KEY if actor == "advisor_a" else fuzz_world.keys[actor]
    Scenarios.item_id = fuzz_world.own["catalogue_item"].pk
    try:
        # when schemathesis follows the links, 50 scenarios of up to 8 calls
        # then every response conforms
        Scenarios.run(
            settings=settings(
                max_examples=50,
                stateful_step_count=8,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        CALLER["key"] = FUZZ_KEY
