"""The personal data canary (issue #14, done-when): known fake ID and phone numbers are
seeded, then every page of the URL conf, every API response under /api/v1/, the
exports (book CSV/XLSX, export_scores, the admin's client export), an import's preview
and report, and every log record are read as users without the reveal permission and
as users with it who do not reveal: the full values appear nowhere, nor in any text
column of the database. A reveal, with its reason, is recorded in the history.
"""

import io
import logging
import re
import zipfile

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.urls import NoReverseMatch, get_resolver, reverse

from advisors.models import Role
from clients.models import Client, Task
from history.models import AuditEvent, AuditKind
from imports.services import import_file
from kpis.services import client_merge
from workspace.services import saved_filter_save

from .admin_kit import admin_export
from .test_admin_matrix import D, build

# Fake, but shaped like the real thing (the log filter recognises them by shape).
ID_NUMBERS = ["110105198812240017", "44030419950615002X", "310101197001011111"]
PHONES = ["13912345678", "18698765432", "15011112222"]
SECRETS = ID_NUMBERS + PHONES
SECRET_BYTES = [s.encode() for s in SECRETS]

#: Values tried for each URL parameter (ids are filled in by the fixture).
WORDS = {
    "fmt": ["csv", "xlsx"],
    "format": ["json", "csv"],
    "section": ["trades", "cash_flows"],
    "field": ["phone", "id_number"],
    "kind": ["clients", "trades"],
}
ID_PARAMS = {"pk", "id", "object_id", "client_id", "batch_id", "run_id", "advisor_id"}


def leaks(data: bytes) -> list[str]:
    """The secrets found in a response body (an XLSX is searched inside its zip)."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(n) for n in z.namelist())
    return [s.decode() for s in SECRET_BYTES if s in data]


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def url_names():
    """(name, parameter names) of every named URL, namespaces included."""

    def walk(resolver, ns):
        for key in resolver.reverse_dict:
            if isinstance(key, str):
                for possibilities, *_ in resolver.reverse_dict.getlist(key):
                    for _fmt, params in possibilities:
                        yield ns + key, tuple(params)
        for name, (_prefix, sub) in resolver.namespace_dict.items():
            yield from walk(sub, f"{ns}{name}:")

    return sorted(set(walk(get_resolver(), "")))


def urls(ids: list[int]) -> list[str]:
    found = set()
    for name, params in url_names():
        choices = [{}]
        for param in params:
            values = ids if param in ID_PARAMS else WORDS.get(param)
            if param == "app_label":
                values = [c.label for c in apps.get_app_configs()]
            if values is None:
                break
            choices = [{**c, param: v} for c in choices for v in values]
        else:
            for kwargs in choices:
                try:
                    found.add(reverse(name, kwargs=kwargs))
                except NoReverseMatch:
                    continue
    return sorted(u for u in found if "logout" not in u)


@pytest.fixture
def world(branch, other_branch, make, admin_user, manager_user, tmp_path):
    build(branch, "OWN", make)
    build(other_branch, "ZZ", make)
    # the canaries: every client of both branches gets an ID and a phone number,
    # two of them the same person (a duplicate), one shared across branches
    clients = list(Client.objects.order_by("pk"))
    own = [c for c in clients if c.branch_id == branch.pk]
    twin = make.Client(branch=branch, advisor=own[0].advisor, client_no="OWN-C2")
    clients.append(twin)
    for i, client in enumerate(clients):
        client.id_number = ID_NUMBERS[min(i, 2)] if client != twin else ID_NUMBERS[0]
        client.phone = PHONES[min(i, 2)] if client != twin else PHONES[0]
        client.save()
    Task.objects.create(
        branch=branch,
        client=own[0],
        owner=own[0].advisor,
        title="Call within 2 days",
        kind="manual",
        due_date=D,
    )
    # an import whose preview and report quote the numbers in bad cells
    path = tmp_path / "clients.csv"
    path.write_text(
        "客户号,客户姓名,证件号码,手机,开户日期\n"
        f"N1,New one,{ID_NUMBERS[1]},{PHONES[1]},2020-01-02\n"
        f"N2,Bad one,{ID_NUMBERS[2]},{PHONES[2]},{PHONES[2]}\n",
        encoding="utf-8",
    )
    preview = import_file(
        branch=branch, path=str(path), kind="clients", dry_run=True, user=admin_user
    )
    done = import_file(
        branch=branch, path=str(path), kind="clients", partial=True, user=admin_user
    )
    assert done.rows_new == 1 and done.rows_failed == 1
    # a saved filter that searches for a full number (kept encrypted, not in clear)
    saved_filter_save(user=own[0].advisor.user, name="By phone", query=f"q={PHONES[0]}")
    # a merge keeps a snapshot of the merged client
    spare = make.Client(branch=branch, advisor=own[0].advisor, client_no="OWN-C3")
    spare.id_number, spare.phone = ID_NUMBERS[0], PHONES[0]
    spare.save()
    client_merge(user=manager_user, kept=own[0], merged=spare)
    ids = sorted(
        {
            own[0].pk,
            twin.pk,
            clients[-2].pk,
            preview.pk,
            done.pk,
            own[0].advisor.pk,
            own[0].advisor.user_id,
            Task.objects.filter(client=own[0]).first().pk,
        }
    )
    return own[0], ids


def users(make, branch, admin_user, manager_user, client):
    """Without the reveal permission: the branch admin, head office, a colleague the
    book is shared with. With it, not revealing: the client's advisor, the manager."""
    head_office = make.User(
        username="canary-hq", role=Role.HEAD_OFFICE, branch=None, is_staff=True
    )
    admin_user.is_staff = True
    admin_user.save()
    return {
        "admin": admin_user,
        "head_office": head_office,
        "advisor": client.advisor.user,
        "manager": manager_user,
    }


@pytest.mark.django_db
def test_no_full_id_or_phone_number_anywhere_without_a_reveal(
    client, world, make, branch, admin_user, manager_user, caplog, tmp_path
):
    canary, ids = world
    caplog.set_level(logging.DEBUG)
    found: list[str] = []

    def check(where: str, data: bytes):
        hits = leaks(data)
        if hits:
            found.append(f"{where}: {hits}")

    # given: users who may not reveal, and users who may but do not
    people = users(make, branch, admin_user, manager_user, canary)
    all_urls = urls(ids)
    assert any(u.startswith("/api/v1/") for u in all_urls)
    assert any(u.startswith("/admin/") for u in all_urls)
    opened = 0
    # an error page is a page too: it is read, not raised
    client.raise_request_exception = False
    failing: set[str] = set()
    for who, user in people.items():
        client.force_login(user)
        # when: every page, API response and export they can open
        for url in all_urls:
            response = client.get(url)
            opened += response.status_code == 200
            if response.status_code >= 500:
                failing.add(url)
            check(f"{who} GET {url} ({response.status_code})", body(response))
        # search by a full number finds the client, and shows it masked
        # (the page echoes what the user typed: that one number is theirs already)
        for number in (PHONES[0], ID_NUMBERS[0]):
            response = client.get(reverse("book"), {"q": number})
            check(f"{who} book search", body(response).replace(number.encode(), b""))
            for fmt in ("csv", "xlsx"):  # an export of the search, on the record
                response = client.get(reverse("book-export", args=[fmt]), {"q": number})
                check(f"{who} book export {fmt} by number", body(response))
        # the admin's client export
        status, text = admin_export(client, Client)
        check(f"{who} admin export ({status})", text.encode())
        # a reveal refused (no permission) or not asked for (no reason) shows nothing
        response = client.post(
            reverse("client-reveal", args=[canary.pk, "phone"]), {"reason": ""}
        )
        check(f"{who} reveal without a reason", body(response))
    assert opened > 100
    # the nightly export
    out = tmp_path / "scores.csv"
    call_command("export_scores", "--date", str(D), "--branch", branch.code,
                 "--output", str(out))  # fmt: skip
    check("export_scores", out.read_bytes())
    # the logs: what was logged on the way, and a line with the numbers in it
    logging.getLogger("brokercrm.canary").warning(
        "calling %s about %s", PHONES[0], ID_NUMBERS[0]
    )
    try:
        raise ValueError(f"bad number {PHONES[1]}")
    except ValueError:
        logging.getLogger("brokercrm.canary").exception("failed")
    check("logs", caplog.text.encode())
    for record in caplog.records:
        check(f"log record {record.name}", record.getMessage().encode())
    # then: nowhere
    assert found == [], "\n".join(found)
    print("pages answering 500 (their error page was checked):", sorted(failing))
    # and the database holds no clear value in any text column of any table
    assert clear_values_in_database() == []


def clear_values_in_database() -> list[str]:
    where = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if not model._meta.managed or model._meta.proxy:
                continue  # views and proxies: their tables are read elsewhere
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if not isinstance(
                    field, models.CharField | models.TextField | models.JSONField
                ):
                    continue
                column = connection.ops.quote_name(field.column)
                for secret in SECRETS:
                    cursor.execute(
                        f"SELECT count(*) FROM {connection.ops.quote_name(table)} "  # nosec B608 # test: identifiers from _meta
                        f"WHERE CAST({column} AS TEXT) LIKE %s",
                        [f"%{secret}%"],
                    )
                    if cursor.fetchone()[0]:
                        where.append(f"{table}.{field.column}")
    return sorted(set(where))


@pytest.mark.django_db
def test_a_reveal_needs_the_permission_and_a_reason_and_is_recorded(
    client, world, make, branch, admin_user, manager_user
):
    canary, _ids = world
    people = users(make, branch, admin_user, manager_user, canary)
    url = reverse("client-reveal", args=[canary.pk, "phone"])
    # head office and the branch admin (not granted) may not
    for who in ("head_office", "admin"):
        client.force_login(people[who])
        response = client.post(url, {"reason": "verify the record"})
        assert response.status_code in (403, 404), who
        assert not leaks(response.content)
    # the advisor's page offers the reveal, masked, beside the suggested call
    client.force_login(people["advisor"])
    page = client.get(reverse("client-detail", args=[canary.pk]))
    html = page.content.decode()
    assert "139****5678" in html and 'id="pd-phone"' in html
    assert re.search(r'hx-post="[^"]*/reveal/phone/"', html)
    # without a reason, nothing is shown and nothing recorded
    response = client.post(url, {"reason": " "}, HTTP_HX_REQUEST="true")
    assert not leaks(response.content)
    assert not AuditEvent.objects.filter(kind=AuditKind.REVEAL).exists()
    # with one, the number is shown and the reveal is on the record
    response = client.post(
        url, {"reason": "call about the flag"}, HTTP_HX_REQUEST="true"
    )
    assert PHONES[0] in response.content.decode()
    assert f'href="tel:{PHONES[0]}"' in response.content.decode()
    event = AuditEvent.objects.get(kind=AuditKind.REVEAL)
    assert (event.user, event.object_id, event.reason, event.detail) == (
        people["advisor"],
        str(canary.pk),
        "call about the flag",
        {"field": "phone"},
    )
    # the manager of the branch may too; the full value is never cached
    client.force_login(people["manager"])
    response = client.post(
        reverse("client-reveal", args=[canary.pk, "id_number"]), {"reason": "KYC check"}
    )
    assert ID_NUMBERS[0] in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert AuditEvent.objects.filter(kind=AuditKind.REVEAL).count() == 2
