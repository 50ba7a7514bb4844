"""Managers' pages: what they show, who may open them, and bounded queries."""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from advisors.models import Advisor, Role
from kpis.models import ClientAssignment

from .conftest import E, day


@pytest.fixture
def scored(kpi_branch):
    for d in (day(5, 31), E):
        call_command(
            "recompute", date=d.isoformat(), branch="HQ01", stdout=io.StringIO()
        )
    return kpi_branch


@pytest.fixture
def manager(scored, make):
    return make.User(username="mgr1", role=Role.MANAGER, branch=scored)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def alice():
    return Advisor.objects.get(employee_no="E001")


@pytest.mark.django_db
def test_branch_overview_shows_the_roll_up_and_the_churn_rate(
    as_manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        response = as_manager.get("/kpi/branch/?month=2026-06")

    text = response.content.decode()
    assert response.status_code == 200
    assert "44.4%" in text  # churn rate
    assert "25%" in text  # the reference
    assert "1,725,000.00" in text
    assert 'id="funnel"' in text
    # May is there to compare with: the moves table, not the "no previous" note
    assert "No previous month" not in text


@pytest.mark.django_db
def test_scorecard_gives_each_figure_its_rank_and_change(
    as_manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        response = as_manager.get(f"/kpi/advisors/{alice().pk}/?month=2026-06")

    text = response.content.decode()
    assert response.status_code == 200
    assert "1,200,000.00" in text
    assert "#1" in text and "#2" in text
    assert 'id="trend-data"' in text and 'id="minutes-data"' in text
    assert "C001" in text  # the book drill-down


@pytest.mark.django_db
def test_ranking_sorts_and_exports_without_live_formulas(
    as_manager, django_assert_max_num_queries
):
    Advisor.objects.filter(employee_no="E002").update(name="=HYPERLINK(1)")
    with django_assert_max_num_queries(6):
        response = as_manager.get("/kpi/ranking/?month=2026-06&sort=net_new_assets")
    text = response.content.decode()
    assert text.index('data-employee="E002"') < text.index('data-employee="E001"')

    response = as_manager.get("/kpi/ranking/?month=2026-06&sort=aum&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["E001", "E002", "E003"]
    assert rows[2][1] == "'=HYPERLINK(1)"

    response = as_manager.get("/kpi/ranking/?month=2026-06&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [sheet.cell(row=r, column=2).value for r in range(2, 5)]
    assert "'=HYPERLINK(1)" in names


@pytest.mark.django_db
def test_advisors_get_404_and_another_branch_stays_out(
    client, scored, make, other_branch
):
    client.force_login(alice().user)
    for url in ("/kpi/branch/", f"/kpi/advisors/{alice().pk}/", "/kpi/ranking/"):
        assert client.get(url).status_code == 404
    assert client.get("/kpi/reassign/").status_code == 404
    assert client.get("/kpi/duplicates/").status_code == 404

    stranger = make.User(username="m2", role=Role.MANAGER, branch=other_branch)
    client.force_login(stranger)
    assert client.get("/kpi/branch/?branch=HQ01").status_code == 404
    assert client.get(f"/kpi/advisors/{alice().pk}/").status_code == 404
    assert client.get("/kpi/branches/").status_code == 403


@pytest.mark.django_db
def test_head_office_compares_every_branch(
    client, scored, head_office_user, other_branch, django_assert_max_num_queries
):
    client.force_login(head_office_user)

    with django_assert_max_num_queries(6):
        response = client.get("/kpi/branches/?month=2026-06")

    text = response.content.decode()
    assert 'data-branch="HQ01"' in text and 'data-branch="SZ02"' in text
    assert "44.4%" in text
    assert client.get("/kpi/branch/?branch=HQ01").status_code == 200
    assert client.get("/kpi/reassign/").status_code == 403


@pytest.mark.django_db
def test_bulk_reassignment_page_moves_a_whole_book(as_manager):
    bob = Advisor.objects.get(employee_no="E002")
    response = as_manager.get(f"/kpi/reassign/?from_advisor={alice().pk}")
    assert "C001" in response.content.decode()
    ids = list(alice().clients.values_list("pk", flat=True))

    response = as_manager.post(
        "/kpi/reassign/",
        {
            "from_advisor": alice().pk,
            "client": ids,
            "to_advisor": bob.pk,
            "reason": "Alice leaves",
        },
    )

    assert response.status_code == 302
    assert not alice().clients.exists()
    assert ClientAssignment.objects.filter(reason="Alice leaves").count() == len(ids)


@pytest.mark.django_db
def test_a_reassignment_without_reason_says_so(as_manager):
    bob = Advisor.objects.get(employee_no="E002")
    ids = list(alice().clients.values_list("pk", flat=True))

    response = as_manager.post(
        "/kpi/reassign/",
        {"from_advisor": alice().pk, "client": ids, "to_advisor": bob.pk},
    )

    assert response.status_code == 200
    assert "Give the reason for the move." in response.content.decode()
    assert alice().clients.count() == len(ids)


@pytest.mark.django_db
def test_all_matching_clients_move_even_beyond_the_listed_ones(as_manager, make):
    bob = Advisor.objects.get(employee_no="E002")
    for _ in range(3):
        make.Client(branch=alice().branch, advisor=alice())
    count = alice().clients.count()

    response = as_manager.post(
        "/kpi/reassign/",
        {
            "from_advisor": alice().pk,
            "client": [],  # none ticked: "all matching" takes the whole book
            "all_matching": "1",
            "to_advisor": bob.pk,
            "reason": "Book handed over",
        },
    )

    assert response.status_code == 302
    assert not alice().clients.exists()
    assert ClientAssignment.objects.filter(reason="Book handed over").count() == count
