"""What each workspace page shows: context builders over the selectors.

Every read starts from client_scope (through the selectors); each page runs a fixed
number of queries whatever the size of the book (pinned by tests).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db.models import Count, FloatField, Q, Sum, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import Http404
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from advisors.selectors import branch_list
from brokercrm.db import rows_by_ids
from churn.models import FlagOutcome, FlagStatus
from churn.selectors import churn_flag_list
from clients import permissions
from clients.masking import mask_id_number, mask_phone
from clients.models import (
    CONTACT_CHANNELS,
    Client,
    RelationshipLevel,
    TaskKind,
    TaskStatus,
)
from clients.selectors import (
    cash_flow_list,
    client_get,
    client_scope,
    feedback_list,
    interaction_list,
    latest_positions,
    task_list,
    trade_list,
)
from tiers.labels import LABELS, code_label
from tiers.models import ClientScore, RunStatus
from tiers.policy import Policy
from tiers.selectors import client_score_latest, policy_for

from . import labels
from .explain import explain
from .forms import (
    FlagResolveForm,
    HouseholdCreateForm,
    InteractionForm,
    RelationshipForm,
    TaskCompleteForm,
    TaskCreateForm,
    TaskSnoozeForm,
)
from .selectors import (
    LIST_COLUMNS,
    MINUTE_GROUPS,
    TODAY_FIELDS,
    book_list,
    contact_minutes_by_segment,
    current_run_ids,
    current_runs,
    overdue_condition,
    scope_branch_ids,
)

TODAY_LIMIT = 8

#: A task's client's columns the task lists never show (the encrypted numbers above all).
TASK_UNREAD = (
    "client__id_number",
    "client__id_number_hash",
    "client__phone",
    "client__phone_hash",
)


def _today():
    return timezone.localdate()


# --- rows ----------------------------------------------------------------------------


_ITEM_WORDS: dict[str, dict[str, str]] = {}


def item_words() -> dict[str, str]:
    """The words of the task and flag items in the active language, looked up once per
    process and language rather than once per item (a page lists up to 30 items)."""
    language = get_language() or ""
    words = _ITEM_WORDS.get(language)
    if words is None:
        words = _ITEM_WORDS[language] = {
            "overdue": _("Overdue"),
            "today": _("Today"),
            "done": _("Done"),
            "complete": _("Complete"),
            "snooze": _("Snooze"),
            "what_came": _("What came of it?"),
            "outcome": _("Outcome"),
            "mark_done": _("Mark done"),
            "until": _("Until"),
            "snooze_until": _("Snooze until"),
            "raised": _("raised"),
            "suggested": _("Suggested"),
            "resolved": _("Resolved"),
            "choose_outcome": _("Outcome…"),
            "note": _("Note"),
            "resolve": _("Resolve"),
        }
    return words


def task_row(task) -> dict:
    today = _today()
    due = task.due_date
    return {
        "task": task,
        "title": labels.task_title(task),
        "client": task.client,
        "overdue": due is not None and due < today and task.status == TaskStatus.OPEN,
        "due_today": due == today,
        "due": due.isoformat() if due else "",
        "due_short": due.strftime("%m-%d") if due else "",
        "open": task.status == TaskStatus.OPEN,
        "kind_label": TaskKind(task.kind).label,
        "client_url": reverse("client-detail", args=[task.client_id]),
        "complete_url": reverse("task-complete", args=[task.pk]),
        "snooze_url": reverse("task-snooze", args=[task.pk]),
        "w": item_words(),
    }


def flag_rows(flags) -> list[dict]:
    words = item_words()
    return [
        {
            "flag": f,
            "label": labels.flag_label(f.code),
            "reason": f.display_reason,
            "action": f.display_suggested_action,
            "open": f.status == FlagStatus.OPEN,
            "outcome": f.get_outcome_display() if f.outcome else "",
            "outcomes": FlagOutcome.choices,
            "raised": f.raised_on.isoformat() if f.raised_on else "",
            "client_url": reverse("client-detail", args=[f.client_id]),
            "resolve_url": reverse("flag-resolve", args=[f.pk]),
            "w": words,
        }
        for f in flags
    ]


def book_row(client) -> dict:
    """A client of a list, with its figures formatted here by the same filters the
    template used (called from Python, a 50-row page renders in about a third less
    time than through one template filter per cell)."""
    assets = client.assets
    risk = client.churn_risk
    last = client.last_contact
    return {
        "c": client,
        "url": reverse("client-detail", args=[client.pk]),
        "value": floatformat(client.value_score, 1) or "—",
        "assets": intcomma(floatformat(assets, 0)) if assets is not None else "",
        "risk": floatformat(risk, 0) if risk is not None else "",
        "risk_high": risk is not None and risk >= 50,
        "last_contact": last.isoformat() if last else "",
        "phone": mask_phone(client.phone),
        "tier": code_label(client.tier, "tier"),
        "segment": code_label(client.segment, "segment"),
        "flags": [
            labels.flag_label(c) for c in (client.flag_codes or "").split(";") if c
        ],
        "alerts": [
            code_label(c, "alert") for c in (client.alert_codes or "").split(";") if c
        ],
    }


# --- Today --------------------------------------------------------------------------------


def _book_counts(book, overdue: Q) -> tuple[dict, dict, int, int, int]:
    """Scored clients by segment and by tier, and the alerts, suitability warnings and
    clients past their contact cadence (`overdue`) among them: one GROUP BY over the
    book."""
    segments: Counter = Counter()
    tiers: Counter = Counter()
    alerts = suitability = late = 0
    rows = (
        book.values("segment", "tier")
        .annotate(
            n=Count("pk"),
            alerts_n=Count(
                "pk", filter=Q(alert_codes__isnull=False) & ~Q(alert_codes="")
            ),
            suitability_n=Count("pk", filter=Q(suitability_warning=True)),
            overdue_n=Count("pk", filter=overdue),
        )
        .order_by()
    )
    for row in rows:
        if row["segment"] is not None:
            segments[row["segment"]] += row["n"]
            tiers[row["tier"]] += row["n"]
        alerts += row["alerts_n"]
        suitability += row["suitability_n"]
        late += row["overdue_n"]
    return dict(segments), dict(tiers), alerts, suitability, late


def _policy_of(user) -> tuple[int | None, Policy]:
    """The current policy of the user's branch (the defaults without a branch)."""
    return policy_for(branch=user.branch_id) if user.branch_id else (None, Policy())


def minutes_chart(user, *, run_ids=None, policy: Policy | None = None) -> dict:
    minutes = contact_minutes_by_segment(user=user, run_ids=run_ids)
    if policy is None:
        _version, policy = _policy_of(user)
    total = sum(minutes.values()) or 0
    names = {
        "core_dormant": _("Core and dormant"),
        "maintaining": _("Maintaining"),
        "precipitating": _("Precipitating"),
    }
    groups = []
    for key, segments, target_attr in MINUTE_GROUPS:
        got = sum(minutes.get(s, 0) for s in segments)
        groups.append(
            {
                "key": key,
                "label": str(names[key]),
                "minutes": got,
                "share": round(100 * got / total, 1) if total else 0,
                "target": round(100 * getattr(policy.segment, target_attr), 1),
            }
        )
    other = minutes.get(None, 0)
    return {"groups": groups, "total": total, "unscored": other}


def today_context(user) -> dict:
    today = _today()
    open_tasks = task_list(user=user).select_related("client").defer(*TASK_UNREAD)
    mine = open_tasks.filter(Q(owner__user=user) | Q(owner__isnull=True))
    if permissions.may_see_branch_kpis(user):
        mine = open_tasks
    due = mine.filter(due_date__lte=today + timedelta(days=7)).order_by(
        "due_date", "id"
    )
    counts = mine.aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        due_today=Count("pk", filter=Q(due_date=today)),
        week=Count("pk", filter=Q(due_date__lte=today + timedelta(days=7))),
        all=Count("pk"),
    )
    flags = churn_flag_list(user=user)
    branch_ids = scope_branch_ids(user)
    runs = current_runs(branch_ids)
    run_ids = [pk for pk, _version in runs]
    version, policy = _policy_of(user)
    # A run's cadences are its policy's three: known without a query when every
    # current run scored under the branch's current policy version.
    cadences = None
    if branch_ids == [user.branch_id] and all(v == version for _pk, v in runs):
        r = policy.relationship
        cadences = {
            r.cadence_days_priority,
            r.cadence_days_partnership,
            r.cadence_days_alliance,
        }
    book, late = overdue_condition(
        book_list(user=user, run_ids=run_ids, fields=TODAY_FIELDS),
        today=today,
        cadences=cadences,
    )
    rows = book.only(*LIST_COLUMNS)
    overdue = rows.filter(late).order_by("-value_score", "pk")
    alerts = rows.exclude(alert_codes__isnull=True).exclude(alert_codes="")
    suitability = rows.filter(suitability_warning=True)
    segments, tiers, alert_count, suitability_count, overdue_count = _book_counts(
        book, late
    )
    chart = minutes_chart(user, run_ids=run_ids, policy=policy)
    flag_page = first_page(flags, TODAY_LIMIT)
    segment_rows = [
        {"code": code, "label": str(label), "n": segments.get(code, 0)}
        for code, label in LABELS["segment"].items()
    ]
    tier_rows = [
        {"code": code, "label": str(label), "n": tiers.get(code, 0)}
        for code, label in LABELS["tier"].items()
    ]
    chart_data = {
        "charts": [
            {
                "canvas": "minutes-chart",
                "type": "bar",
                "percent": True,
                "labels": [g["label"] for g in chart["groups"]],
                "datasets": [
                    {
                        "label": _("Share of minutes"),
                        "data": [g["share"] for g in chart["groups"]],
                    },
                    {
                        "label": _("Target"),
                        "data": [g["target"] for g in chart["groups"]],
                        "color": "#adb5bd",
                    },
                ],
            },
            {
                "canvas": "segment-chart",
                "type": "doughnut",
                "labels": [r["label"] for r in segment_rows],
                "datasets": [
                    {"label": _("Clients"), "data": [r["n"] for r in segment_rows]}
                ],
            },
            {
                "canvas": "tier-chart",
                "type": "bar",
                "horizontal": True,
                "labels": [r["label"] for r in tier_rows],
                "datasets": [
                    {
                        "label": _("Clients"),
                        "data": [r["n"] for r in tier_rows],
                        "color": "#ae3ec9",
                    }
                ],
            },
        ]
    }
    return {
        "chart_data": chart_data,
        "today": today,
        "tasks": [task_row(t) for t in rows_by_ids(due, 0, 20)],
        "task_counts": counts,
        "flags": flag_rows(flag_page.object_list),
        "flag_count": flag_page.paginator.count,
        "alerts": [book_row(c) for c in alerts.order_by("-assets", "pk")[:TODAY_LIMIT]],
        "alert_count": alert_count,
        "overdue": [book_row(c) for c in overdue[:TODAY_LIMIT]],
        "overdue_count": overdue_count,
        "suitability": [
            book_row(c) for c in suitability.order_by("-assets", "pk")[:TODAY_LIMIT]
        ],
        "suitability_count": suitability_count,
        "segments": segment_rows,
        "tiers": tier_rows,
        "book_size": sum(segments.values()),
        "chart": chart,
        "complete_form": TaskCompleteForm(),
        "snooze_form": TaskSnoozeForm(initial={"until": today + timedelta(days=3)}),
        "resolve_form": FlagResolveForm(),
    }


# --- the book ---------------------------------------------------------------------------


def sort_options() -> list[tuple[str, str]]:
    return [
        ("-value_score", _("Value score, highest first")),
        ("-assets", _("Assets, largest first")),
        ("-churn_risk", _("Churn risk, highest first")),
        ("last_contact", _("Last contact, longest ago first")),
        ("-last_contact", _("Last contact, most recent first")),
        ("-contribution_score", _("Contribution, highest first")),
        ("client_no", _("Client number")),
        ("name", _("Name")),
        ("-opened_at", _("Newest accounts first")),
    ]


def sort_links(base: dict, column: str, descending: bool) -> dict:
    """For each sortable column, the URL that sorts by it (toggling the direction)."""
    links = {}
    for name in (
        "client_no",
        "name",
        "value_score",
        "assets",
        "churn_risk",
        "last_contact",
        "opened_at",
    ):
        params = {k: v for k, v in base.items() if k != "ordering"}
        if name == column:
            params["ordering"] = name if descending else f"-{name}"
        else:
            params["ordering"] = name if name in ("client_no", "name") else f"-{name}"
        links[name] = "?" + urlencode(params, doseq=True)
    return links


FILTER_GROUPS = (
    "tier",
    "segment",
    "maturity",
    "relationship",
    "fit",
    "risk",
    "trading",
    "loyalty",
    "experience",
)


def filter_groups(filterset) -> list[dict]:
    """The multiple-choice filters as pill groups: name, label, [(value, label, on)]."""
    data = filterset.data
    groups = []
    for name in FILTER_GROUPS:
        field = filterset.form.fields[name]
        chosen = set(data.getlist(name)) if hasattr(data, "getlist") else set()
        groups.append(
            {
                "name": name,
                "label": field.label,
                "choices": [(v, lbl, v in chosen) for v, lbl in field.choices],
                "active": bool(chosen),
            }
        )
    return groups


# --- the client page ----------------------------------------------------------------------


def client_for(user, pk) -> Client:
    return client_get(user=user, pk=pk)


def _history(user, client) -> list[dict]:
    rows = (
        ClientScore.objects.filter(client=client, run__status=RunStatus.DONE)
        .annotate(assets=Cast(KeyTextTransform("assets", "features"), FloatField()))
        .order_by("-date", "-run_id")
        .values("date", "value_score", "assets")[:120]
    )
    seen, out = set(), []
    for row in rows:
        if row["date"] in seen:
            continue
        seen.add(row["date"])
        out.append(
            {
                "date": row["date"].isoformat(),
                "value": row["value_score"],
                "assets": row["assets"],
            }
        )
    return list(reversed(out))


def _positions(user, client, policy) -> tuple[list[dict], float]:
    positions = list(latest_positions(user=user, client=client))
    total = sum(float(p.market_value) for p in positions) or 0.0
    a = policy.alerts
    rows = []
    for p in positions:
        share = float(p.market_value) / total if total else 0.0
        price = float(p.market_value) / float(p.quantity) if p.quantity else None
        below = (
            1 - price / float(p.cost_price)
            if price is not None and p.cost_price
            else None
        )
        rows.append(
            {
                "p": p,
                "share": share * 100,
                "below_cost": below * 100 if below is not None else None,
                "vs_cost": f"{-below * 100:+.1f}%" if below is not None else "",
                "concentration": share >= a.concentration_share,
                "drawdown": share >= a.drawdown_position_share
                and below is not None
                and below >= a.drawdown_below_cost,
            }
        )
    return rows, total


_UNSET = object()


def client_timeline_context(user, client, *, score=_UNSET, can_work=None) -> dict:
    interactions = list(
        interaction_list(user=user, client=client).prefetch_related("recommended")[:15]
    )
    if score is _UNSET:
        score = client_score_latest(user=user, client=client)
    return {
        "client": client,
        "interactions": interactions,
        "cadence": cadence_state(client, score, interactions),
        "form": InteractionForm(),
        "can_work": (
            permissions.may_work_client(user, client) if can_work is None else can_work
        ),
    }


def cadence_state(client, score, interactions) -> dict:
    """Is the client past the contact cadence of the actual level, now?"""
    last = next((i.date for i in interactions if i.channel in CONTACT_CHANNELS), None)
    days = score.cadence_days if score else None
    overdue = bool(
        score is not None
        and score.contact_overdue
        and days
        and (last is None or (_today() - last).days > days)
    )
    return {
        "last": last,
        "days": days,
        "overdue": overdue,
        "since": (_today() - last).days if last else None,
    }


def relationship_context(user, client, *, score=_UNSET, can_work=None) -> dict:
    if score is _UNSET:
        score = client_score_latest(user=user, client=client)
    return {
        "client": client,
        "score": score,
        "recommended": code_label(score.relationship_recommended, "relationship")
        if score
        else "",
        "fit": code_label(score.relationship_fit, "fit") if score else "",
        "form": RelationshipForm(initial={"level": client.relationship_level}),
        "can_work": (
            permissions.may_work_client(user, client) if can_work is None else can_work
        ),
        "levels": RelationshipLevel.choices,
    }


# Lazy: words of a module-level table are looked up when a page shows them.
BADGES = (
    ("tier", gettext_lazy("Tier"), "tier", "tier"),
    ("segment", gettext_lazy("Segment"), "segment", "segment"),
    ("maturity", gettext_lazy("Maturity"), "maturity_stage", "maturity"),
    ("value", gettext_lazy("Value score"), "value_score", None),
    ("risk", gettext_lazy("Risk appetite"), "risk_appetite", "risk"),
    ("trading", gettext_lazy("Trading ability"), "trading_ability", "trading"),
    ("loyalty", gettext_lazy("Loyalty"), "loyalty_type", "loyalty"),
    ("churn", gettext_lazy("Churn risk"), "churn_risk", None),
)


#: The personal data a client page shows masked, each with its mask and its title.
PERSONAL_DATA = {
    "phone": (mask_phone, gettext_lazy("Phone")),
    "id_number": (mask_id_number, gettext_lazy("ID number")),
}


def personal_data(
    client, field: str, *, may_reveal: bool, revealed: bool = False
) -> dict:
    """One personal data fact of the client page: masked, or (revealed, by a user
    who may, with a reason already recorded) in full."""
    mask, title = PERSONAL_DATA[field]
    value = getattr(client, field)
    return {
        "client": client,
        "field": field,
        "title": title,
        "masked": mask(value),
        "value": value if revealed else "",
        "revealed": revealed,
        "may_reveal": may_reveal and bool(value),
    }


def client_context(user, pk) -> dict:
    # client_get reads the advisor and the branch with the client; the household is
    # read only for a client that has one.
    client = client_for(user, pk)
    score = client_score_latest(user=user, client=client)
    may_reveal = permissions.may_reveal_personal_data(user, client)
    _version, policy = policy_for(branch=client.branch_id)
    why = (
        explain(score, score.features or {}, policy, questionnaire=client.risk_level)
        if score
        else {}
    )
    badges = []
    if score:
        for key, title, attr, kind in BADGES:
            value = getattr(score, attr)
            if value is None or value == "":
                continue
            if key == "value":
                shown = f"{value:.1f}"
            elif key == "churn":
                shown = f"{value:.0f}"
            else:
                shown = code_label(value, kind)
            badges.append(
                {
                    "key": key,
                    "title": title,
                    "value": shown,
                    "code": value,
                    "why": why.get(key, []),
                }
            )
    positions, total = _positions(user, client, policy)
    can_work = permissions.may_work_client(user, client)
    timeline = client_timeline_context(user, client, score=score, can_work=can_work)
    flags = churn_flag_list(user=user, client=client, status=None)[:10]
    tasks = [task_row(t) for t in task_list(user=user, client=client)]
    household_members = (
        client.household.members.filter(pk__in=client_scope(user).values("pk")).count()
        if client.household_id
        else 0
    )
    history = _history(user, client)
    chart_data = {
        "charts": [
            {
                "canvas": "history-chart",
                "type": "line",
                "labels": [h["date"] for h in history],
                "axes": {"y": _("Value score"), "y2": _("Assets")},
                "datasets": [
                    {"label": _("Value score"), "data": [h["value"] for h in history]},
                    {
                        "label": _("Assets"),
                        "data": [h["assets"] for h in history],
                        "axis": "y2",
                        "color": "#2fb344",
                    },
                ],
            },
            {
                "canvas": "holdings-chart",
                "type": "doughnut",
                "labels": [
                    f"{r['p'].security.code} {r['p'].security.name}"
                    for r in positions[:10]
                ],
                "datasets": [
                    {
                        "label": _("Market value"),
                        "data": [
                            round(float(r["p"].market_value)) for r in positions[:10]
                        ],
                    }
                ],
            },
        ]
    }
    return {
        "chart_data": chart_data,
        "client": client,
        "score": score,
        "phone": mask_phone(client.phone),
        "personal_data": [
            personal_data(client, field, may_reveal=may_reveal)
            for field in PERSONAL_DATA
        ],
        "badges": badges,
        "why": why,
        "relationship": relationship_context(
            user, client, score=score, can_work=can_work
        )
        | {"why": why.get("relationship", [])},
        "suitability": bool(score and score.suitability_warning),
        "alerts": [code_label(a, "alert") for a in (score.alerts or "").split(";") if a]
        if score
        else [],
        "accounts": list(client.accounts.all()),
        "positions": positions,
        "total_positions": total,
        "holdings_chart": bool(positions),
        "history": history,
        "flags": flag_rows(flags),
        "tasks": tasks,
        "feedback": list(feedback_list(user=user, client=client)[:10]),
        "household_members": household_members,
        "household_form": HouseholdCreateForm(),
        "resolve_form": FlagResolveForm(),
        "complete_form": TaskCompleteForm(),
        "snooze_form": TaskSnoozeForm(initial={"until": _today() + timedelta(days=3)}),
        "task_form": TaskCreateForm(
            initial={"client": client.pk, "due_date": _today() + timedelta(days=7)}
        ),
        "can_work": can_work,
        "may_see_history": permissions.may_see_record_history(user),
        **{k: v for k, v in timeline.items() if k != "client"},
        "trades": client_section_context(user, client.pk, "trades", {}, client=client),
        "cash_flows": client_section_context(
            user, client.pk, "cash_flows", {}, client=client
        ),
    }


SECTIONS = {"trades": trade_list, "cash_flows": cash_flow_list}


def client_section_context(user, pk, section, params, *, client=None) -> dict:
    if section not in SECTIONS:
        raise Http404("No such section.")
    client = client or client_for(user, pk)
    rows = SECTIONS[section](user=user, client=client)
    if params.get("page") in (None, "", "1"):
        page = first_page(rows, 15)
    else:
        page = Paginator(rows, 15).get_page(params.get("page"))
    return {"client": client, "page": page, "section": section}


def first_page(rows, per_page: int):
    """Page 1 of `rows`, each row carrying how many there are (a window count): the
    rows and the pager's count in one query."""
    first = list(rows.annotate(of_all=Window(Count("pk")))[:per_page])
    paginator = Paginator(rows, per_page)
    paginator.count = first[0].of_all if first else 0
    page = paginator.page(1)
    page.object_list = first
    return page


# --- tasks ----------------------------------------------------------------------------------


TASK_VIEWS = ("mine", "due", "overdue", "all", "done")


def tasks_context(request) -> dict:
    user = request.user
    today = _today()
    view = request.GET.get("view", "due")
    if view not in TASK_VIEWS:
        view = "due"
    kind = request.GET.get("kind", "")
    show_branch = permissions.sees_every_branch(user)
    branch = request.GET.get("branch", "") if show_branch else ""
    tasks = (
        task_list(user=user, status=None)
        .select_related("client", "client__branch", "owner")
        .defer(*TASK_UNREAD)
    )
    if branch:
        tasks = tasks.filter(client__branch__code=branch)
    if view != "done":
        tasks = tasks.filter(status=TaskStatus.OPEN)
    else:
        tasks = tasks.exclude(status=TaskStatus.OPEN).order_by("-completed_at", "-id")
    if view == "mine":
        tasks = tasks.filter(owner__user=user)
    elif view == "due":
        tasks = tasks.filter(due_date__lte=today + timedelta(days=7))
    elif view == "overdue":
        tasks = tasks.filter(due_date__lt=today)
    if kind in TaskKind.values:
        tasks = tasks.filter(kind=kind)
    page = Paginator(tasks, 30).get_page(request.GET.get("page"))
    first = (page.number - 1) * page.paginator.per_page
    base = {"view": view, "kind": kind, **({"branch": branch} if branch else {})}
    return {
        "page": page,
        "rows": [
            task_row(t)
            for t in rows_by_ids(tasks, first, first + page.paginator.per_page)
        ],
        "view": view,
        "kind": kind,
        # Head office works across branches: each task names its branch, and the list
        # can be narrowed to one; a manager's list names the advisor who owns each task.
        "show_branch": show_branch,
        "branch": branch,
        "branch_choices": (branch_list() if show_branch else []),
        "show_owner": not user.is_advisor or show_branch,
        "views": [
            ("due", _("Due this week")),
            ("overdue", _("Overdue")),
            ("mine", _("Mine")),
            ("all", _("All open")),
            ("done", _("Closed")),
        ],
        "kinds": TaskKind.choices,
        "base_query": urlencode(base),
        "complete_form": TaskCompleteForm(),
        "snooze_form": TaskSnoozeForm(initial={"until": today + timedelta(days=3)}),
        "create_form": TaskCreateForm(initial={"due_date": today + timedelta(days=7)}),
    }


# --- households -------------------------------------------------------------------------


def household_context(user, household) -> dict:
    members = list(book_list(user=user).filter(household=household).order_by("name"))
    run_ids = current_run_ids({m.branch_id for m in members})
    commission = (
        ClientScore.objects.filter(
            run_id__in=run_ids or [0], client__in=[m.pk for m in members]
        )
        .annotate(c=Cast(KeyTextTransform("commission_365", "features"), FloatField()))
        .aggregate(total=Sum("c"))["total"]
        or 0.0
    )
    assets = sum(m.assets or 0 for m in members)
    return {
        "household": household,
        "members": [book_row(m) for m in members],
        "assets": assets,
        "commission": commission,
        "can_work": any(permissions.may_work_client(user, m) for m in members[:1]),
        "chart_data": {
            "charts": [
                {
                    "canvas": "household-chart",
                    "type": "doughnut",
                    "labels": [m.name for m in members],
                    "datasets": [
                        {
                            "label": _("Assets"),
                            "data": [round(m.assets or 0) for m in members],
                        }
                    ],
                }
            ]
        },
    }
