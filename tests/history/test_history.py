"""The record history: row changes captured by triggers (bulk writes too), audit events
for sign-ins, imports and exports, shown to managers and searched by admins, and rows
that nobody can change or delete (the ORM, nor the application's role with raw SQL)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clients.models import Client, Task
from history.models import AppendOnly, AuditEvent, AuditKind, ClientEvent, TaskEvent
from history.selectors import record_history
from history.services import reveal_record
from tests import factories

pg = pytest.mark.postgres


@pg
def test_a_reassignment_by_bulk_update_is_recorded_with_before_and_after(
    branch, advisor, colleague, make
):
    client = make.Client(branch=branch, advisor=advisor)
    Client.objects.filter(pk=client.pk).update(advisor=colleague)  # bulk: no signals
    events = list(ClientEvent.objects.filter(pgh_obj_id=client.pk).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert (events[0].advisor_id, events[1].advisor_id) == (advisor.pk, colleague.pk)
    entries = record_history(obj=client)
    update = next(e for e in entries if e.what == "Changed")
    assert ("advisor", advisor.pk, colleague.pk) in update.changes


@pg
def test_personal_data_is_not_copied_into_the_history(branch, make):
    client = make.Client(
        branch=branch, id_number="110101199001011234", phone="13812345678"
    )
    client.phone = "13900000000"
    client.save()
    event = ClientEvent.objects.filter(pgh_obj_id=client.pk).first()
    assert not hasattr(event, "phone") and not hasattr(event, "id_number")


@pg
def test_tasks_created_in_bulk_are_recorded(branch, make):
    client = make.Client(branch=branch)
    Task.objects.bulk_create(
        [
            Task(client=client, branch=branch, kind="manual", title=f"call {i}")
            for i in range(3)
        ]
    )
    Task.objects.filter(client=client).update(title="call back")
    labels = TaskEvent.objects.filter(client_id=client.pk).values_list(
        "pgh_label", flat=True
    )
    assert sorted(labels) == ["insert"] * 3 + ["update"] * 3


@pg
def test_history_rows_cannot_be_changed_through_the_orm(branch, make):
    client = make.Client(branch=branch)
    event = ClientEvent.objects.get(pgh_obj_id=client.pk)
    event.name = "forged"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        ClientEvent.objects.filter(pk=event.pk).update(name="forged")
    with pytest.raises(AppendOnly):
        ClientEvent.objects.filter(pk=event.pk).delete()
    audit = AuditEvent.objects.create(kind=AuditKind.EXPORT, username="x")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=audit.pk).update(username="y")


@pg
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE history_clientevent SET name = 'forged'",
        "DELETE FROM history_clientevent",
        "UPDATE history_auditevent SET username = 'forged'",
        "DELETE FROM history_auditevent",
    ],
)
def test_history_rows_cannot_be_changed_by_the_apps_role_in_sql(sql, branch, make):
    make.Client(branch=branch)
    AuditEvent.objects.create(kind=AuditKind.EXPORT, username="x")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert ClientEvent.objects.filter(name="forged").count() == 0


def test_sign_ins_and_failed_sign_ins_are_recorded(client, branch):
    factories.UserFactory(username="erin", password="pw-erin", branch=branch)
    client.post(reverse("login"), {"username": "erin", "password": "wrong"})
    client.post(reverse("login"), {"username": "erin", "password": "pw-erin"})
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", "username"))
    assert kinds == [(AuditKind.LOGIN_FAILED, "erin"), (AuditKind.LOGIN, "erin")]


def test_a_reveal_is_recorded_with_its_reason_and_shown_to_managers(
    client, branch, manager_user, make
):
    c = make.Client(branch=branch)
    reveal_record(
        user=manager_user, obj=c, field="phone", reason="call back about the 2-day task"
    )
    entries = record_history(obj=c)
    assert entries[0].reason == "call back about the 2-day task"
    assert entries[0].detail == {"field": "phone"}


def test_the_trail_is_for_admins_only(client, branch, admin_user, manager_user):
    client.force_login(manager_user)
    assert client.get(reverse("history:trail")).status_code == 403
    client.force_login(admin_user)
    AuditEvent.objects.create(kind=AuditKind.EXPORT, username="mgr")
    response = client.get(reverse("history:trail"), {"username": "mgr"})
    assert response.status_code == 200
    assert "mgr" in response.content.decode()
    assert (
        client.get(reverse("history:trail"), {"since": "not-a-date"}).status_code == 200
    )


def _panel(user, obj):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load history %}{% record_history_panel obj %}")
    return template.render(Context({"request": request, "obj": obj}))


def test_the_history_panel_shows_to_managers_not_advisors(
    branch, manager_user, advisor, make
):
    c = make.Client(branch=branch, advisor=advisor)
    reveal_record(user=manager_user, obj=c, field="phone", reason="a call is due")
    assert "a call is due" in _panel(manager_user, c)
    assert _panel(advisor.user, c).strip() == ""
