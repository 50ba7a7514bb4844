"""Every operation of the schema, called as every kind of user on own and foreign rows.

Done when (issue #12): 0 unexpected successes. "Own" rows hang off advisor A's
client (branch HQ01), "foreign" rows off a client of branch SZ02. An operation the
schema has and OPERATIONS does not classify fails the test: a new endpoint must say
who may call it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from .world import EVERYONE, build_world

# Who sees a row of each side (the scope): by resource, default: the client's.
CLIENT_SCOPE = {
    "own": {"advisor_a", "admin", "head_office"},
    "foreign": {"manager_other", "head_office"},
}
BRANCH_SCOPE = {
    "own": {"advisor_a", "advisor_b", "admin", "head_office"},
    "foreign": {"manager_other", "head_office"},
}
SCOPES = {
    "scoring_run": BRANCH_SCOPE,
    # the catalogue of one's branch; head office's own list is the shared items
    "catalogue_item": {
        "own": {"advisor_a", "advisor_b", "admin"},
        "foreign": {"manager_other"},
    },
    # the branch admin's import history; head office's every branch
    "import_batch": {"own": {"admin", "head_office"}, "foreign": {"head_office"}},
    # one's own saved filters only (own: A's; foreign: the other manager's)
    "saved_filter": {"own": {"advisor_a"}, "foreign": {"manager_other"}},
}

# Who may change a row of each side (a subset of who sees it).
WORKS_CLIENT = {"own": {"advisor_a", "admin"}, "foreign": {"manager_other"}}
MANAGES_POINTS = {"own": set(), "foreign": {"manager_other"}}
OWNER_ONLY = SCOPES["saved_filter"]
WRITERS = {"advisor_a", "advisor_b", "admin", "manager_other"}
# the branch's managers and admins (advisors and head office: 403; another's: 404)
MERGES = {"own": {"admin"}, "foreign": {"manager_other"}}
READS_BRANCH_NUMBERS = {
    "own": {"admin", "head_office"},
    "foreign": {"manager_other", "head_office"},
}


def _upload(row):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "client_no,name\nX1,Someone\n"
    return {
        "file": SimpleUploadedFile("clients.csv", text.encode(), "text/csv"),
        "kind": "clients",
        "dry_run": "true",
    }


@dataclass(frozen=True)
class List:
    resource: str


@dataclass(frozen=True)
class Detail:
    resource: str


@dataclass(frozen=True)
class Write:
    resource: str
    may: dict
    body: Callable | None = None
    on_path: bool = True  # the row's id is in the path (else in the body)


@dataclass(frozen=True)
class Query:
    """An operation on no row of the path: its parameters name the side's branch."""

    may: dict
    params: Callable = lambda row: {}
    body: Callable | None = None
    multipart: bool = False


@dataclass(frozen=True)
class Public:
    body: dict


def _client_body(extra: dict) -> Callable:
    return lambda row: {"client": row["client"].pk, **extra}


SOON = (dt.date.today() + dt.timedelta(days=5)).isoformat()

OPERATIONS = {
    ("POST", "/api/v1/auth/token/"): Public({"username": "alice", "password": "no"}),
    ("GET", "/api/v1/advisors/"): List("advisor"),
    ("GET", "/api/v1/advisors/{id}/"): Detail("advisor"),
    ("GET", "/api/v1/accounts/"): List("account"),
    ("GET", "/api/v1/accounts/{id}/"): Detail("account"),
    ("GET", "/api/v1/trades/"): List("trade"),
    ("GET", "/api/v1/trades/{id}/"): Detail("trade"),
    ("GET", "/api/v1/positions/"): List("position"),
    ("GET", "/api/v1/positions/{id}/"): Detail("position"),
    ("GET", "/api/v1/balances/"): List("balance"),
    ("GET", "/api/v1/balances/{id}/"): Detail("balance"),
    ("GET", "/api/v1/cash-flows/"): List("cash_flow"),
    ("GET", "/api/v1/cash-flows/{id}/"): Detail("cash_flow"),
    ("GET", "/api/v1/interactions/"): List("interaction"),
    ("GET", "/api/v1/interactions/{id}/"): Detail("interaction"),
    ("POST", "/api/v1/interactions/"): Write(
        "client",
        WORKS_CLIENT,
        _client_body({"channel": "call", "minutes": 5, "summary": "called"}),
        on_path=False,
    ),
    ("GET", "/api/v1/feedback/"): List("feedback"),
    ("GET", "/api/v1/feedback/{id}/"): Detail("feedback"),
    ("POST", "/api/v1/feedback/"): Write(
        "client",
        WORKS_CLIENT,
        _client_body({"topic": "satisfaction", "score": 4}),
        on_path=False,
    ),
    ("GET", "/api/v1/tasks/"): List("task"),
    ("GET", "/api/v1/tasks/{id}/"): Detail("task"),
    ("POST", "/api/v1/tasks/"): Write(
        "client",
        WORKS_CLIENT,
        _client_body({"title": "Follow up", "due_date": SOON}),
        on_path=False,
    ),
    ("POST", "/api/v1/tasks/{id}/complete/"): Write(
        "task", WORKS_CLIENT, lambda row: {"outcome": "done"}
    ),
    ("POST", "/api/v1/tasks/{id}/snooze/"): Write(
        "task", WORKS_CLIENT, lambda row: {"until": SOON}
    ),
    ("GET", "/api/v1/households/"): List("household"),
    ("GET", "/api/v1/households/{id}/"): Detail("household"),
    ("POST", "/api/v1/households/"): Write(
        "client",
        WORKS_CLIENT,
        lambda row: {"name": "New family", "clients": [row["client"].pk]},
        on_path=False,
    ),
    ("POST", "/api/v1/households/{id}/members/"): Write(
        "household", WORKS_CLIENT, lambda row: {"client": row["duplicate"].pk}
    ),
    # {client_id}: the side's client (the household's one member)
    ("DELETE", "/api/v1/households/{id}/members/{client_id}/"): Write(
        "household", WORKS_CLIENT
    ),
    ("GET", "/api/v1/churn-flags/"): List("churn_flag"),
    ("GET", "/api/v1/churn-flags/{id}/"): Detail("churn_flag"),
    ("POST", "/api/v1/churn-flags/{id}/resolve/"): Write(
        "churn_flag", WORKS_CLIENT, lambda row: {"outcome": "retained"}
    ),
    ("GET", "/api/v1/scoring-runs/"): List("scoring_run"),
    ("GET", "/api/v1/scoring-runs/{id}/"): Detail("scoring_run"),
    ("GET", "/api/v1/clients/"): List("client"),
    ("GET", "/api/v1/clients/{id}/"): Detail("client"),
    ("GET", "/api/v1/clients/{id}/scores/"): Detail("client"),
    ("POST", "/api/v1/clients/{id}/relationship/"): Write(
        "client", WORKS_CLIENT, lambda row: {"level": "close"}
    ),
    ("GET", "/api/v1/saved-filters/"): List("saved_filter"),
    ("GET", "/api/v1/saved-filters/{id}/"): Detail("saved_filter"),
    ("POST", "/api/v1/saved-filters/"): Write(
        "saved_filter",
        {"own": WRITERS, "foreign": WRITERS},  # one's own filter, whatever the side
        lambda row: {"name": "mine", "query": "tier=gold"},
        on_path=False,
    ),
    ("DELETE", "/api/v1/saved-filters/{id}/"): Write("saved_filter", OWNER_ONLY),
    ("GET", "/api/v1/loyalty/catalogue/"): List("catalogue_item"),
    ("GET", "/api/v1/loyalty/catalogue/{id}/"): Detail("catalogue_item"),
    ("GET", "/api/v1/loyalty/entries/"): List("points_entry"),
    ("GET", "/api/v1/loyalty/entries/{id}/"): Detail("points_entry"),
    ("POST", "/api/v1/loyalty/entries/{id}/reverse/"): Write(
        "points_entry", MANAGES_POINTS, lambda row: {"reason": "wrong"}
    ),
    ("GET", "/api/v1/loyalty/redemptions/"): List("redemption"),
    ("GET", "/api/v1/loyalty/redemptions/{id}/"): Detail("redemption"),
    ("POST", "/api/v1/loyalty/redemptions/"): Write(
        "client",
        WORKS_CLIENT,
        lambda row: {
            "client": row["client"].pk,
            "item": row["catalogue_item"].pk,
            "idempotency_key": f"matrix-{row['client'].pk}",
        },
        on_path=False,
    ),
    ("GET", "/api/v1/loyalty/adjustments/"): List("adjustment"),
    ("GET", "/api/v1/loyalty/adjustments/{id}/"): Detail("adjustment"),
    ("POST", "/api/v1/loyalty/adjustments/"): Write(
        "client",
        MANAGES_POINTS,
        _client_body({"delta": 10, "reason": "goodwill"}),
        on_path=False,
    ),
    ("POST", "/api/v1/loyalty/adjustments/{id}/approve/"): Write(
        "adjustment", MANAGES_POINTS
    ),
    ("POST", "/api/v1/loyalty/adjustments/{id}/reject/"): Write(
        "adjustment", MANAGES_POINTS
    ),
    ("GET", "/api/v1/kpis/"): Query(
        READS_BRANCH_NUMBERS, lambda row: {"branch": row["branch"].code}
    ),
    ("GET", "/api/v1/duplicates/"): Query(
        {"own": {"admin", "manager_other"}, "foreign": {"admin", "manager_other"}}
    ),
    ("GET", "/api/v1/duplicates/merge/"): Query(
        MERGES, lambda row: {"keep": row["client"].pk, "merge": row["duplicate"].pk}
    ),
    ("POST", "/api/v1/duplicates/merge/"): Query(
        MERGES,
        body=lambda row: {"keep": row["client"].pk, "merge": row["duplicate"].pk},
    ),
    ("POST", "/api/v1/reassignments/"): Query(
        {"own": set(), "foreign": {"manager_other"}},
        body=lambda row: {
            "clients": [row["client"].pk],
            "to_advisor": row["advisor"].pk,
            "reason": "matrix",
        },
    ),
    ("GET", "/api/v1/exports/scores/"): Query(
        READS_BRANCH_NUMBERS,
        lambda row: {
            "branch": row["branch"].code,
            "date": row["scoring_run"].date.isoformat(),
        },
    ),
    ("GET", "/api/v1/imports/"): List("import_batch"),
    ("GET", "/api/v1/imports/{id}/"): Detail("import_batch"),
    # the admin's own checked files (the world's batches are not dry runs: 400)
    ("POST", "/api/v1/imports/{id}/confirm/"): Write(
        "import_batch", {"own": {"admin"}, "foreign": set()}
    ),
    ("POST", "/api/v1/imports/"): Query(
        {"own": {"admin"}, "foreign": {"admin"}}, body=_upload, multipart=True
    ),
}


def schema_operations(client) -> set[tuple[str, str]]:
    schema = json.loads(
        client.get("/api/schema/", HTTP_ACCEPT="application/json").content
    )
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def caller(world, actor: str) -> APIClient:
    api = APIClient()
    if actor != "anonymous":
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.keys[actor]}")
    return api


def row_id(world, side: str, resource: str):
    row = world.side(side).get(resource)
    return None if row is None else row.pk


def sees(resource: str, actor: str, side: str) -> bool:
    return actor in SCOPES.get(resource, CLIENT_SCOPE)[side]


@pytest.fixture
def world(db):
    return build_world()


def test_every_operation_of_the_schema_is_classified(client, db):
    listed = schema_operations(client)
    assert listed - set(OPERATIONS) == set(), "classify the new operations above"
    assert set(OPERATIONS) - listed == set(), "operations gone from the schema"


def test_no_unexpected_success_for_anyone_on_own_or_foreign_rows(world, client):
    # given the schema's operations, and every kind of caller
    surprises, expected_but_refused = [], []
    # reads first: the writes change rows (a task completed, a filter deleted)
    ordered = sorted(OPERATIONS.items(), key=lambda op: (op[0][0] != "GET", op[0]))
    for (method, path), kind in ordered:
        for actor in EVERYONE:
            api = caller(world, actor)
            for side in ("own", "foreign"):
                row = world.side(side)
                # when the caller calls the operation on that side's row
                if isinstance(kind, Public):
                    response = api.post(path, kind.body)
                    allowed = False
                elif isinstance(kind, Query):
                    if kind.body is None:
                        response = api.get(path, kind.params(row))
                    else:
                        response = api.post(
                            path,
                            kind.body(row),
                            format="multipart" if kind.multipart else "json",
                        )
                    allowed = actor in kind.may[side]
                elif isinstance(kind, List):
                    if side == "foreign":
                        continue
                    response = api.get(path)
                    if response.status_code == 200 and actor in (
                        "deactivated",
                        "anonymous",
                    ):
                        surprises.append((method, path, actor, "listed"))
                    if response.status_code == 200:
                        listed = {r.get("id") for r in response.json()["results"]}
                        for s in ("own", "foreign"):
                            pk = row_id(world, s, kind.resource)
                            if pk in listed and not sees(kind.resource, actor, s):
                                surprises.append((method, path, actor, f"lists {s}"))
                    continue
                elif isinstance(kind, Detail):
                    pk = row_id(world, side, kind.resource)
                    if pk is None:
                        continue
                    response = api.get(path.replace("{id}", str(pk)))
                    allowed = sees(kind.resource, actor, side)
                    if allowed and response.status_code != 200:
                        expected_but_refused.append(
                            (method, path, actor, side, response.status_code)
                        )
                else:
                    target = row.get(kind.resource)
                    url = path.replace("{id}", str(target.pk)) if kind.on_path else path
                    url = url.replace("{client_id}", str(row["client"].pk))
                    body = kind.body(row) if kind.body else {}
                    response = getattr(api, method.lower())(url, body)
                    allowed = actor in kind.may[side]
                # then a 2xx happens only where the scope and the role allow it
                if 200 <= response.status_code < 300 and not allowed:
                    surprises.append((method, path, actor, side, response.status_code))
    assert surprises == []
    assert expected_but_refused == []
