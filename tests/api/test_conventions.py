"""What every API operation shares: pages, ETag, errors as JSON, the schema, docs."""

import datetime as dt
import json
import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate
from rest_framework.test import APIClient


@pytest.fixture
def api(advisor):
    client = APIClient()
    client.force_authenticate(advisor.user)
    return client


def test_lists_are_cursor_pages_with_a_bounded_page_size(api, advisor, make):
    for n in range(5):
        make.Client(branch=advisor.branch, advisor=advisor, client_no=f"C{n:03d}")
    first = api.get("/api/v1/clients/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(seen) == 4
    for bad in ("0", "501", "abc", "-1", "1.5"):
        assert api.get("/api/v1/clients/", {"page_size": bad}).status_code == 400
    assert api.get("/api/v1/clients/", {"cursor": "nonsense"}).status_code == 400


@pytest.mark.parametrize("ordering", [None, "client_no", "-client_no", "-assets"])
def test_pages_link_forward_and_back(api, advisor, make, ordering):
    # given 5 clients read 2 a page, in any order
    for n in range(5):
        make.Client(branch=advisor.branch, advisor=advisor, client_no=f"C{n:03d}")
    query = {"page_size": 2, **({"ordering": ordering} if ordering else {})}
    first = api.get("/api/v1/clients/", query).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    ids = [[r["id"] for r in page["results"]] for page in (first, second, third)]
    assert [len(p) for p in ids] == [2, 2, 1] and len(set(sum(ids, []))) == 5
    assert third["next"] is None and first["previous"] is None
    # when the pages are read back through their `previous` links
    back = api.get(third["previous"]).json()
    front = api.get(back["previous"]).json()
    # then they are the same pages, and the first has no page before it
    assert [r["id"] for r in back["results"]] == ids[1]
    assert [r["id"] for r in front["results"]] == ids[0]
    assert front["previous"] is None
    assert [r["id"] for r in api.get(front["next"]).json()["results"]] == ids[1]


@pytest.mark.parametrize("ordering", [None, "minutes", "-date", "id"])
def test_every_list_links_both_ways_through_ties(api, advisor, make, ordering):
    # given 5 contacts on one day, 2 of them as long as each other
    client_ = make.Client(branch=advisor.branch, advisor=advisor)
    for minutes in (5, 5, 3, 9, 1):
        make.Interaction(
            client=client_, advisor=advisor, date=dt.date(2026, 5, 4), minutes=minutes
        )
    query = {"page_size": 2, **({"ordering": ordering} if ordering else {})}
    # when the pages are read forward, then back
    pages = [api.get("/api/v1/interactions/", query).json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(api.get(back[-1]["previous"]).json())
    # then each row comes once, and the pages back are the pages forward
    ids = [[r["id"] for r in page["results"]] for page in pages]
    assert [len(p) for p in ids] == [2, 2, 1] and len(set(sum(ids, []))) == 5
    assert [[r["id"] for r in page["results"]] for page in reversed(back)] == ids


def test_client_detail_has_an_etag_and_answers_304(api, advisor, make):
    client_ = make.Client(branch=advisor.branch, advisor=advisor)
    url = f"/api/v1/clients/{client_.pk}/"
    first = api.get(url)
    tag = first["ETag"]
    assert first.status_code == 200 and tag.startswith('"')
    assert api.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304
    client_.name = "Renamed"
    client_.save()
    changed = api.get(url, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed["ETag"] != tag


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients/99999999999999999999999/",
        "/api/v1/clients/-1/",
        "/api/v1/nowhere/",
    ],
)
def test_unknown_api_urls_answer_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_nul_byte_in_an_api_query_is_json_400(api):
    response = api.get("/api/v1/clients/?search=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_anonymous_gets_401_with_the_scheme(db):
    response = APIClient().get("/api/v1/clients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_session_needs_its_csrf_token(client, advisor, make):
    # given a browser signed in, with CSRF checks on as in production
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(advisor.user)
    c = make.Client(branch=advisor.branch, advisor=advisor)
    body = json.dumps({"client": c.pk, "delta": 5, "reason": "x"})
    refused = browser.post(
        "/api/v1/loyalty/adjustments/", body, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


def test_the_schema_is_openapi_3_1_and_valid(client, advisor):
    client.force_login(advisor.user)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.1")
    validate(schema)
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_their_scripts_from_static_and_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "googleapis" not in html
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources
    for src in sources:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src
        else:
            assert src.startswith("/api/docs/?script"), src
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.browser
def test_swagger_ui_renders_offline_in_chromium(live_server, browser_page):
    # given Chromium with every request outside this server refused
    page = browser_page
    outside = []

    def route(request_route):
        if request_route.request.url.startswith(live_server.url):
            return request_route.continue_()
        outside.append(request_route.request.url)
        return request_route.abort()

    page.route("**/*", route)
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(m.text)
            # ReDoc's "powered by" logo is the one thing it would fetch from outside.
            if "Content Security" in m.text and "cdn.redoc.ly" not in m.text
            else None
        ),
    )
    # when the docs open
    page.goto(f"{live_server.url}/api/docs/", timeout=60_000)
    # then Swagger UI renders the operations from the schema, under the CSP
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 5
    page.goto(f"{live_server.url}/api/redoc/", timeout=60_000)
    page.wait_for_selector("[role=search], .menu-content", timeout=30_000)
    assert not outside, outside
    assert not violations, "\n".join(violations)


def _cursor(data) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        _cursor({"v": ["not a date", 1]}),
        _cursor({"v": ["2026-05-04"]}),
        _cursor({"v": ["2026-05-04", True]}),
        _cursor({"v": ["2026-05-04", "x"]}),
        _cursor({"v": ["2026-05-04", 1], "b": "yes"}),
        _cursor(["2026-05-04", 1]),
    ],
)
def test_a_cursor_that_does_not_fit_the_list_is_400(api, cursor):
    response = api.get("/api/v1/interactions/", {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_every_link_of_the_schema_names_a_real_operation_and_parameters(client):
    schema = json.loads(
        client.get("/api/schema/", HTTP_ACCEPT="application/json").content
    )
    operations = {
        op["operationId"]: op
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    links = [
        link
        for op in operations.values()
        for response in op["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) > 20
    for link in links:
        target = operations[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= names, link
        if "requestBody" in link:
            assert "requestBody" in target, link


@pytest.mark.parametrize(
    ("minutes", "status"), [(5, 201), (5.0, 201), (5.5, 400), ("5", 400), (True, 400)]
)
def test_a_whole_number_is_one_as_json_schema_says(api, advisor, make, minutes, status):
    client_ = make.Client(branch=advisor.branch, advisor=advisor)
    body = {"client": float(client_.pk), "channel": "call", "minutes": minutes}
    response = api.post("/api/v1/interactions/", body, format="json")
    assert response.status_code == status, response.content
