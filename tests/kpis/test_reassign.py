"""Bulk reassignment (SPEC §7): one action, recorded per client, access follows at once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clients.models import Task
from clients.selectors import client_scope
from kpis.models import ClientAssignment
from kpis.services import clients_reassign


@pytest.fixture
def book(branch, advisor, colleague, make):
    clients = [make.Client(branch=branch, advisor=advisor) for _ in range(3)]
    for client in clients:
        Task.objects.create(
            branch=branch, client=client, owner=advisor, kind="manual", title="Call"
        )
    return clients


@pytest.mark.django_db
def test_a_whole_book_moves_with_its_tasks_and_a_record_each(
    book, advisor, colleague, manager_user
):
    # when
    records = clients_reassign(
        user=manager_user,
        client_ids=[c.pk for c in book],
        to_advisor_id=colleague.pk,
        reason="Alice leaves the branch",
    )

    # then
    assert len(records) == 3
    assert client_scope(advisor.user).count() == 0
    assert client_scope(colleague.user).count() == 3
    assert set(Task.objects.values_list("owner_id", flat=True)) == {colleague.pk}
    row = ClientAssignment.objects.filter(client=book[0]).get()
    assert (row.from_advisor, row.to_advisor, row.moved_by) == (
        advisor,
        colleague,
        manager_user,
    )
    assert row.reason == "Alice leaves the branch"
    assert len({r.batch for r in records}) == 1


@pytest.mark.django_db
def test_clients_already_with_the_advisor_are_not_recorded(book, advisor, manager_user):
    records = clients_reassign(
        user=manager_user,
        client_ids=[c.pk for c in book],
        to_advisor_id=advisor.pk,
        reason="no-op",
    )

    assert records == []


@pytest.mark.django_db
def test_only_a_manager_of_the_branch_reassigns(
    book, advisor, colleague, manager_user, head_office_user, make, other_branch
):
    ids = [c.pk for c in book]
    for user in (advisor.user, head_office_user):
        with pytest.raises(PermissionDenied):
            clients_reassign(
                user=user, client_ids=ids, to_advisor_id=colleague.pk, reason="x"
            )
    with pytest.raises(ValidationError) as error:
        clients_reassign(
            user=manager_user, client_ids=ids, to_advisor_id=colleague.pk, reason=" "
        )
    assert "reason" in error.value.message_dict
    stranger = make.Advisor(branch=other_branch)
    with pytest.raises(ValidationError) as error:
        clients_reassign(
            user=manager_user, client_ids=ids, to_advisor_id=stranger.pk, reason="x"
        )
    assert "to_advisor" in error.value.message_dict
    foreign = make.Client(branch=other_branch)
    with pytest.raises(ValidationError) as error:
        clients_reassign(
            user=manager_user,
            client_ids=[foreign.pk],
            to_advisor_id=colleague.pk,
            reason="x",
        )
    assert "clients" in error.value.message_dict
    assert not ClientAssignment.objects.exists()


@pytest.mark.django_db
def test_the_client_page_shows_the_move(client, book, colleague, manager_user):
    clients_reassign(
        user=manager_user,
        client_ids=[book[0].pk],
        to_advisor_id=colleague.pk,
        reason="Closer to the client's office",
    )
    client.force_login(colleague.user)

    text = client.get(f"/clients/{book[0].pk}/").content.decode()

    assert 'id="client-assignments"' in text
    assert "Closer to the client&#x27;s office" in text
