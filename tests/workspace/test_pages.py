"""The advisor's pages: Today, the book, the client page, tasks, households.

Real database, real views; every page's query count pinned whatever the book's size.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from churn.models import ChurnFlag, FlagStatus
from clients.models import Interaction, Task, TaskKind, TaskStatus
from tiers.models import ClientScore, RunStatus, ScoreRun
from tiers.services import scoring_policy_save
from workspace.models import SavedFilter

TODAY = timezone.localdate()


def _run(branch, rows, day=None):
    day = day or TODAY - timedelta(days=1)
    run = ScoreRun.objects.create(branch=branch, date=day, status=RunStatus.DONE)
    for client, values in rows.items():
        ClientScore.objects.create(
            run=run, branch=branch, date=day, client=client, is_open=True, **values
        )
    return run


def _scores(i, **extra):
    values = {
        "segment": ["core", "maintaining", "dormant", "precipitating"][i % 4],
        "tier": ["small", "medium", "large", "special"][i % 4],
        "value_score": float(10 + i),
        "churn_risk": float(i % 100),
        "maturity_stage": "current",
        "relationship_recommended": "priority",
        "relationship_fit": "under-served",
        "risk_appetite": "high",
        "trading_ability": "self_directed",
        "loyalty_type": "behavioural",
        "features": {
            "assets": 10_000.0 * (i + 1),
            "commission_365": 100.0 * i,
            "trades_90": 4,
            "commission_rank": 50,
            "assets_rank": 60,
            "active_days_rank": 40,
            "stability": 0.5,
            "net_flow_30": -80_000,
            "assets_30_ago": 120_000,
            "custody_outs_30": 1,
        },
    }
    values.update(extra)
    return values


@pytest.fixture
def book(advisor, colleague, make):
    """Six clients of the advisor (one overdue for contact, one flagged, one with a
    suitability warning and an alert), one of a colleague, scored by one run."""
    branch = advisor.branch
    mine = [
        make.Client(
            branch=branch,
            advisor=advisor,
            name=f"Mine {i}",
            client_no=f"M{i:03d}",
            phone=f"1380000{i:04d}",
            id_number=f"11010119900101{i:04d}",
            relationship_level="priority",
        )
        for i in range(6)
    ]
    theirs = make.Client(
        branch=branch, advisor=colleague, name="Theirs", client_no="T001"
    )
    rows = {c: _scores(i) for i, c in enumerate(mine)}
    rows[mine[0]].update(contact_overdue=True, cadence_days=30)
    rows[mine[1]].update(churn_flags="OUTFLOW", churn_risk=90.0)
    rows[mine[2]].update(suitability_warning=True, alerts="CONCENTRATION")
    rows[theirs] = _scores(9, churn_flags="OUTFLOW")
    run = _run(branch, rows)
    flag = ChurnFlag.objects.create(
        branch=branch,
        client=mine[1],
        code="OUTFLOW",
        raised_on=run.date,
        run=run,
        reason="net flow 30d -80,000",
        facts={"net_flow_30": -80000, "assets_30_ago": 120000, "custody_outs_30": 1},
        suggested_action="Call within 2 days; review the commission rate.",
    )
    ChurnFlag.objects.create(
        branch=branch, client=theirs, code="OUTFLOW", raised_on=run.date, run=run
    )
    cadence = Task.objects.create(
        branch=branch,
        client=mine[0],
        owner=advisor,
        kind=TaskKind.CADENCE,
        code="OVERDUE",
        title="Overdue contact for the relationship level",
        due_date=TODAY - timedelta(days=2),
    )
    churn_task = Task.objects.create(
        branch=branch,
        client=mine[1],
        owner=advisor,
        kind=TaskKind.CHURN,
        code="OUTFLOW",
        title="Churn risk OUTFLOW: Call",
        due_date=TODAY,
    )
    Task.objects.create(
        branch=branch,
        client=theirs,
        owner=colleague,
        kind=TaskKind.MANUAL,
        title="Their follow-up",
        due_date=TODAY,
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "flag": flag,
        "cadence": cadence,
        "churn_task": churn_task,
        "run": run,
    }


def _more_clients(advisor, make, n, start=100):
    branch = advisor.branch
    run = ScoreRun.objects.filter(branch=branch).first()
    for i in range(start, start + n):
        c = make.Client(
            branch=branch, advisor=advisor, name=f"More {i}", client_no=f"X{i:04d}"
        )
        ClientScore.objects.create(
            run=run,
            branch=branch,
            date=run.date,
            client=c,
            is_open=True,
            **_scores(i, contact_overdue=True, cadence_days=30, alerts="DRAWDOWN"),
        )
        Task.objects.create(
            branch=branch,
            client=c,
            owner=advisor,
            kind=TaskKind.MANUAL,
            title=f"Call {i}",
            due_date=TODAY,
        )
        Interaction.objects.create(
            branch=branch,
            interaction_id=f"I{i}",
            date=TODAY - timedelta(days=3),
            client=c,
            advisor=advisor,
            channel="call",
            minutes=10,
        )


# --- Today ---------------------------------------------------------------------------


def test_today_shows_tasks_flags_cadence_and_counts_of_the_own_book(
    client, book, advisor
):
    client.force_login(advisor.user)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mine 0" in html and "Mine 1" in html
    assert "Theirs" not in html and "Their follow-up" not in html
    # the flag's reason is rebuilt from the run's features, with the suggested action
    assert "Call within 2 days" in html and "-80,000" in html
    ctx = response.context
    assert ctx["task_counts"]["overdue"] == 1 and ctx["task_counts"]["due_today"] == 1
    assert ctx["flag_count"] == 1
    assert [r["c"].name for r in ctx["overdue"]] == ["Mine 0"]
    assert [r["c"].name for r in ctx["suitability"]] == ["Mine 2"]
    assert [r["c"].name for r in ctx["alerts"]] == ["Mine 2"]
    assert sum(s["n"] for s in ctx["segments"]) == 6
    assert 'id="today-data"' in html and "minutes-chart" in html


def test_today_finds_a_client_past_a_cadence_only_an_older_policy_gave(
    client, book, advisor
):
    # given: the run scored under policy version 1, whose priority cadence was 21
    # days, and the client last called 25 days ago; the branch's policy is now
    # version 2, whose cadences (30, 14, 7 days) no longer include 21
    scoring_policy_save(
        branch=advisor.branch, data={"relationship": {"cadence_days_priority": 21}}
    )
    scoring_policy_save(branch=advisor.branch, data={})
    run = book["run"]
    ScoreRun.objects.filter(pk=run.pk).update(policy_version=1)
    mine0 = book["mine"][0]
    ClientScore.objects.filter(run=run, client=mine0).update(cadence_days=21)
    Interaction.objects.create(
        branch=advisor.branch,
        interaction_id="c25",
        date=TODAY - timedelta(days=25),
        client=mine0,
        advisor=advisor,
        channel="call",
        minutes=5,
    )
    client.force_login(advisor.user)

    # when: the advisor opens Today
    ctx = client.get(reverse("home")).context

    # then: the client is past the run's cadence, read from the run's scores
    assert [r["c"].name for r in ctx["overdue"]] == ["Mine 0"]
    assert ctx["overdue_count"] == 1


def test_today_counts_contact_minutes_by_segment_against_the_target(
    client, book, advisor
):
    core, maintaining = book["mine"][0], book["mine"][1]
    for i, (c, minutes) in enumerate([(core, 60), (maintaining, 30), (core, 10)]):
        Interaction.objects.create(
            branch=advisor.branch,
            interaction_id=f"m{i}",
            date=TODAY - timedelta(days=i),
            client=c,
            advisor=advisor,
            channel="call",
            minutes=minutes,
        )
    Interaction.objects.create(  # too old, and a seminar is not a contact
        branch=advisor.branch,
        interaction_id="old",
        date=TODAY - timedelta(days=40),
        client=core,
        advisor=advisor,
        channel="call",
        minutes=500,
    )
    client.force_login(advisor.user)
    chart = client.get(reverse("home")).context["chart"]
    groups = {g["key"]: g for g in chart["groups"]}
    assert chart["total"] == 100
    assert (
        groups["core_dormant"]["minutes"] == 70
        and groups["core_dormant"]["target"] == 60
    )
    assert groups["maintaining"]["share"] == 30.0


def test_a_manager_reads_an_advisors_today_read_only(
    client, book, advisor, colleague, manager_user
):
    # given: the manager of the branch
    client.force_login(manager_user)

    # when: they open the advisor's Today from the scorecard
    response = client.get(reverse("advisor-today", args=[advisor.pk]))

    # then: the advisor's tasks and flags, as the advisor sees them, with no action
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mine 0" in html and "Theirs" not in html
    assert 'data-testid="read-only"' in html
    assert "/complete/" not in html and 'name="outcome"' not in html
    assert response.context["flag_count"] == 1
    # an advisor may not read a colleague's Today
    client.force_login(colleague.user)
    assert client.get(reverse("advisor-today", args=[advisor.pk])).status_code == 404


def test_a_manager_lands_on_the_book(client, book, manager_user):
    client.force_login(manager_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200 and "total" in response.context


#: Today's and the client page's queries (session and user included), pinned: one
#: query per list or figure, never one per client, task or row. (The client page does
#: not ask again whether the client it read through the scope is in it, and reads the
#: user's permissions only when the role alone does not decide the reveal.)
TODAY_QUERIES = 12
CLIENT_PAGE_QUERIES = 16
BOOK_QUERIES = 6
TASKS_QUERIES = 4


def test_today_query_count_does_not_grow_with_the_book(
    client, book, advisor, make, django_assert_max_num_queries
):
    client.force_login(advisor.user)
    with django_assert_max_num_queries(TODAY_QUERIES) as small:
        client.get(reverse("home"))
    _more_clients(advisor, make, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))


# --- tasks and flags acted on in place -----------------------------------------------------


def test_completing_a_task_needs_an_outcome_and_answers_the_fragment(
    client, book, advisor
):
    client.force_login(advisor.user)
    task = book["churn_task"]
    url = reverse("task-complete", args=[task.pk])
    blank = client.post(url, {"outcome": "  "}, HTTP_HX_REQUEST="true")
    assert "Say what came of it" in blank.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    done = client.post(
        url, {"outcome": "Called, keeps the account"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200 and "<html" not in done.content.decode()
    task.refresh_from_db()
    assert (
        task.status == TaskStatus.DONE and task.outcome == "Called, keeps the account"
    )
    assert task.completed_by == advisor.user


def test_snoozing_moves_the_due_date_to_a_later_day_only(client, book, advisor):
    client.force_login(advisor.user)
    task = book["cadence"]
    url = reverse("task-snooze", args=[task.pk])
    past = client.post(url, {"until": TODAY.isoformat()}, HTTP_HX_REQUEST="true")
    assert "after today" in past.content.decode()
    later = TODAY + timedelta(days=5)
    client.post(url, {"until": later.isoformat()}, HTTP_HX_REQUEST="true")
    task.refresh_from_db()
    assert task.due_date == later and task.status == TaskStatus.OPEN


def test_another_advisors_task_and_flag_are_404(client, book, colleague, advisor):
    client.force_login(colleague.user)
    assert (
        client.post(
            reverse("task-complete", args=[book["churn_task"].pk]), {"outcome": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("flag-resolve", args=[book["flag"].pk]), {"outcome": "lost"}
        ).status_code
        == 404
    )


def test_resolving_a_flag_has_no_preselected_outcome(client, book, advisor):
    client.force_login(advisor.user)
    html = client.get(reverse("home")).content.decode()
    assert '<option value="" selected>' in html
    flag = book["flag"]
    url = reverse("flag-resolve", args=[flag.pk])
    missing = client.post(url, {"outcome": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "Outcome" in missing
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    client.post(
        url, {"outcome": "retained", "note": "new rate"}, HTTP_HX_REQUEST="true"
    )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.outcome == "retained"
    book["churn_task"].refresh_from_db()
    assert book["churn_task"].status == TaskStatus.DONE


# --- the book --------------------------------------------------------------------------


def test_the_book_filters_sorts_and_pages_by_keyset(client, book, advisor, make):
    _more_clients(advisor, make, 60)
    client.force_login(advisor.user)
    first = client.get(reverse("book"), {"ordering": "-assets"})
    ctx = first.context
    assert ctx["total"] == 66
    assets = [r["c"].assets for r in ctx["rows"]]
    assert assets == sorted(assets, reverse=True) and len(assets) == 50
    second = client.get(ctx["next_url"])
    rest = [r["c"].assets for r in second.context["rows"]]
    assert len(rest) == 16 and max(rest) <= min(assets)
    assert second.context["next_url"] is None
    seen = {r["c"].pk for r in ctx["rows"]} | {
        r["c"].pk for r in second.context["rows"]
    }
    assert len(seen) == 66
    filtered = client.get(reverse("book"), {"segment": "core", "ordering": "name"})
    names = [r["c"].name for r in filtered.context["rows"]]
    assert names == sorted(names) and "Theirs" not in names
    assert all(r["c"].segment == "core" for r in filtered.context["rows"])


def test_the_book_searches_by_phone_and_masks_it(client, book, advisor):
    client.force_login(advisor.user)
    response = client.get(reverse("book"), {"q": "13800000003"})
    assert [r["c"].name for r in response.context["rows"]] == ["Mine 3"]
    html = response.content.decode()
    assert "138****0003" in html and "13800000003</td>" not in html


def test_a_bad_cursor_starts_over_and_a_bad_filter_says_which(client, book, advisor):
    client.force_login(advisor.user)
    assert client.get(reverse("book"), {"cursor": "garbage!"}).status_code == 200
    response = client.get(reverse("book"), {"segment": "nonsense"})
    assert response.status_code == 200
    assert "segment" in response.content.decode()


def test_saved_filters_are_per_user(client, book, advisor, colleague):
    client.force_login(advisor.user)
    response = client.post(
        reverse("saved-filter-create"),
        {"name": "Flagged core", "query": "segment=core&flag=any&cursor=abc"},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=advisor.user)
    assert saved.query == "segment=core&flag=any"
    assert "Flagged core" in client.get(reverse("book")).content.decode()
    client.force_login(colleague.user)
    assert "Flagged core" not in client.get(reverse("book")).content.decode()
    assert (
        client.post(reverse("saved-filter-delete", args=[saved.pk])).status_code == 404
    )


def test_a_saved_search_for_a_phone_number_is_kept_encrypted_and_still_works(
    client, book, advisor
):
    client.force_login(advisor.user)
    client.post(
        reverse("saved-filter-create"),
        {"name": "By phone", "query": "q=13800000003&ordering=name"},
    )
    saved = SavedFilter.objects.get(user=advisor.user)
    # at rest: neither the number nor its masked digits run, only a token
    assert "13800000003" not in saved.query and "qe=" in saved.query
    page = client.get(reverse("book") + "?" + saved.query)
    assert "13800000003" not in page.content.decode()
    found = [r["c"].client_no for r in page.context["rows"]]
    assert found == ["M003"]
    # a tampered token finds nothing rather than failing
    broken = client.get(reverse("book"), {"qe": "not-a-token"})
    assert broken.status_code == 200 and broken.context["rows"] == []


def test_export_is_scoped_masked_and_formula_safe(client, book, advisor):
    evil = book["mine"][4]
    evil.name = '=HYPERLINK("http://x")'
    evil.save()
    client.force_login(advisor.user)
    response = client.get(
        reverse("book-export", args=["csv"]), {"ordering": "client_no"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 7  # header + six of the advisor's, none of the colleague's
    assert all("T001" not in r for r in rows)
    row = next(r for r in rows if r[0] == "M004")
    assert row[1].startswith("'=")
    assert row[2] == "138****0004" and row[3] == "110***********0004"
    xlsx = client.get(reverse("book-export", args=["xlsx"]), {"segment": "core"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert len(values) == 1 + 2
    assert all(v[2] is None or "****" in v[2] for v in values[1:])


def test_the_book_query_count_is_bounded(
    client, book, advisor, make, django_assert_max_num_queries
):
    client.force_login(advisor.user)
    with django_assert_max_num_queries(BOOK_QUERIES) as small:
        client.get(reverse("book"), {"ordering": "-last_contact", "segment": "core"})
    _more_clients(advisor, make, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("book"), {"ordering": "-last_contact", "segment": "core"})


# --- the client page ------------------------------------------------------------------------


def test_the_client_page_explains_its_badges_and_masks_the_phone(client, book, advisor):
    client.force_login(advisor.user)
    c = book["mine"][1]
    html = client.get(reverse("client-detail", args=[c.pk])).content.decode()
    assert "138****0001" in html and "13800000001" not in html
    assert 'id="why-tier"' in html and "Special from 5,000,000" in html
    assert "commission rank 50" in html
    assert reverse("flag-resolve", args=[book["flag"].pk]) in html
    assert 'id="client-data"' in html


def test_logging_a_call_adds_it_to_the_timeline_and_clears_the_cadence(
    client, book, advisor
):
    client.force_login(advisor.user)
    c = book["mine"][0]
    page = client.get(reverse("client-detail", args=[c.pk])).content.decode()
    assert 'data-testid="cadence-overdue"' in page
    response = client.post(
        reverse("interaction-create", args=[c.pk]),
        {"channel": "call", "minutes": "15", "summary": "Reviewed the portfolio"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Reviewed the portfolio" in html
    assert 'hx-swap-oob="true"' in html and 'data-testid="cadence-ok"' in html
    book["cadence"].refresh_from_db()
    assert book["cadence"].status == TaskStatus.DONE
    assert Interaction.objects.get(client=c).minutes == 15
    assert (
        'data-testid="cadence-overdue"'
        not in client.get(reverse("client-detail", args=[c.pk])).content.decode()
    )
    today_ctx = client.get(reverse("home")).context
    assert today_ctx["overdue_count"] == 0


def test_a_bad_contact_says_which_field(client, book, advisor):
    client.force_login(advisor.user)
    c = book["mine"][0]
    html = client.post(
        reverse("interaction-create", args=[c.pk]),
        {"channel": "call", "minutes": "-3", "recommended": "NOPE"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Minutes" in html
    future = client.post(
        reverse("interaction-create", args=[c.pk]),
        {"channel": "call", "minutes": "5", "recommended": "NOPE"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "NOPE" in future
    assert not Interaction.objects.filter(client=c).exists()


def test_the_relationship_level_is_editable(client, book, advisor):
    client.force_login(advisor.user)
    c = book["mine"][3]
    response = client.post(
        reverse("relationship-set", args=[c.pk]),
        {"level": "partnership"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.relationship_level == "partnership"
    bad = client.post(
        reverse("relationship-set", args=[c.pk]),
        {"level": "king"},
        HTTP_HX_REQUEST="true",
    )
    assert "Relationship level" in bad.content.decode()


def test_another_advisors_client_page_and_actions_are_404(client, book, advisor):
    client.force_login(advisor.user)
    theirs = book["theirs"]
    assert client.get(reverse("client-detail", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("interaction-create", args=[theirs.pk]),
            {"channel": "call", "minutes": 1},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("relationship-set", args=[theirs.pk]), {"level": "alliance"}
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("client-section", args=[theirs.pk, "trades"])).status_code
        == 404
    )


def test_head_office_reads_the_client_page_but_cannot_log(
    client, book, head_office_user
):
    client.force_login(head_office_user)
    c = book["mine"][0]
    html = client.get(reverse("client-detail", args=[c.pk])).content.decode()
    assert 'id="log-contact"' not in html
    client.post(
        reverse("interaction-create", args=[c.pk]), {"channel": "call", "minutes": 3}
    )
    assert not Interaction.objects.filter(client=c).exists()


def test_the_client_page_query_count_is_bounded(
    client, book, advisor, make, django_assert_max_num_queries
):
    client.force_login(advisor.user)
    c = book["mine"][0]
    Interaction.objects.create(
        branch=advisor.branch,
        interaction_id="first",
        date=TODAY,
        client=c,
        advisor=advisor,
        channel="call",
        minutes=5,
    )
    with django_assert_max_num_queries(CLIENT_PAGE_QUERIES) as small:
        client.get(reverse("client-detail", args=[c.pk]))
    _more_clients(advisor, make, 30)
    for i in range(30):
        Interaction.objects.create(
            branch=advisor.branch,
            interaction_id=f"c{i}",
            date=TODAY - timedelta(days=i),
            client=c,
            advisor=advisor,
            channel="call",
            minutes=5,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("client-detail", args=[c.pk]))


# --- tasks page ----------------------------------------------------------------------------


def test_the_tasks_page_filters_and_creates_a_follow_up(client, book, advisor):
    client.force_login(advisor.user)
    overdue = client.get(reverse("tasks"), {"view": "overdue"}).context["rows"]
    assert [t["task"].pk for t in overdue] == [book["cadence"].pk]
    churn = client.get(reverse("tasks"), {"view": "all", "kind": "churn"}).context[
        "rows"
    ]
    assert [t["task"].pk for t in churn] == [book["churn_task"].pk]
    due = TODAY + timedelta(days=2)
    client.post(
        reverse("task-create"),
        {
            "client_no": "M003",
            "title": "Send the fund note",
            "due_date": due.isoformat(),
        },
    )
    task = Task.objects.get(title="Send the fund note")
    assert (
        task.kind == TaskKind.MANUAL and task.owner == advisor and task.due_date == due
    )
    response = client.post(
        reverse("task-create"),
        {"client_no": "T001", "title": "x", "due_date": due.isoformat()},
        follow=True,
    )
    assert "no client T001" in response.content.decode()
    assert not Task.objects.filter(title="x").exists()


def test_head_office_sees_each_tasks_branch_and_owner_and_narrows_to_one_branch(
    client, book, advisor, make, head_office_user
):
    other = make.Branch(code="B2", name="Second branch")
    elsewhere = make.Client(branch=other, name="Far", client_no="F001")
    Task.objects.create(
        branch=other,
        client=elsewhere,
        kind=TaskKind.MANUAL,
        title="Far task",
        due_date=TODAY,
    )
    client.force_login(head_office_user)
    page = client.get(reverse("tasks"), {"view": "all"})
    html = page.content.decode()
    assert {t["client"].branch.code for t in page.context["rows"]} == {
        advisor.branch.code,
        "B2",
    }
    assert "Second branch" in html and advisor.name in html
    assert 'data-testid="task-branch-filter"' in html
    narrowed = client.get(reverse("tasks"), {"view": "all", "branch": "B2"})
    assert [t["task"].title for t in narrowed.context["rows"]] == ["Far task"]
    # an advisor's own list has neither the branch filter nor owners' names
    client.force_login(advisor.user)
    own = client.get(reverse("tasks"), {"view": "all", "branch": "B2"})
    assert 'data-testid="task-where"' not in own.content.decode()
    assert "Far task" not in own.content.decode()


def test_the_tasks_page_query_count_is_bounded(
    client, book, advisor, make, django_assert_max_num_queries
):
    client.force_login(advisor.user)
    with django_assert_max_num_queries(TASKS_QUERIES) as small:
        client.get(reverse("tasks"), {"view": "all"})
    _more_clients(advisor, make, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("tasks"), {"view": "all"})


# --- households --------------------------------------------------------------------------


def test_an_advisor_groups_own_clients_into_a_household(
    client, book, advisor, colleague
):
    client.force_login(advisor.user)
    a, b = book["mine"][0], book["mine"][1]
    response = client.post(
        reverse("household-create", args=[a.pk]),
        {"name": "The Chens", "kind": "family"},
    )
    a.refresh_from_db()
    household = a.household
    assert response["Location"] == reverse("household-detail", args=[household.pk])
    client.post(
        reverse("household-add", args=[household.pk]), {"client_no": b.client_no}
    )
    refused = client.post(
        reverse("household-add", args=[household.pk]),
        {"client_no": "T001"},
        follow=True,
    )
    assert "no client T001" in refused.content.decode()
    page = client.get(reverse("household-detail", args=[household.pk]))
    assert page.context["assets"] == 10_000 + 20_000
    assert page.context["commission"] == 0 + 100
    assert (
        reverse("household-detail", args=[household.pk])
        in client.get(reverse("client-detail", args=[a.pk])).content.decode()
    )
    client.force_login(colleague.user)
    assert (
        client.get(reverse("household-detail", args=[household.pk])).status_code == 404
    )
    client.force_login(advisor.user)
    client.post(reverse("household-remove", args=[household.pk, b.pk]))
    b.refresh_from_db()
    assert b.household is None
