"""Managers' and head office's pages: thin doors onto the kpis selectors and services.

Every page asks `clients.permissions` first (advisors get 404 or 403) and reads the
branch through `kpi_branch_get`, so a manager of one branch never reaches another.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from advisors.models import Advisor, Branch
from churn.models import FlagCode, FlagOutcome
from clients import permissions
from clients.masking import mask_id_number, mask_phone
from clients.models import Client
from clients.selectors import client_scope, task_list

from . import selectors, services
from .exports import safe_text
from .labels import CHURN_REFERENCE, FIGURE_LABELS, FIGURES, MINUTE_TARGETS
from .models import BRANCH_ROW


def _require_kpis(user) -> None:
    if not permissions.may_see_branch_kpis(user):
        raise Http404


def _month(request) -> date | None:
    value = request.GET.get("month", "")
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _branch(request) -> Branch:
    _require_kpis(request.user)
    try:
        return selectors.kpi_branch_get(
            user=request.user, code=request.GET.get("branch") or None
        )
    except Branch.DoesNotExist as exc:
        raise Http404 from exc


def _months(branch_id: int) -> list[date]:
    return selectors.kpi_months(branch_id=branch_id)


def _previous(month: date) -> date:
    return (
        date(month.year - 1, 12, 1)
        if month.month == 1
        else month.replace(month=month.month - 1)
    )


def _url_or_none(name: str, query: str = "") -> str | None:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


def _url_or_none_args(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _figures(row, before) -> list[dict]:
    """Each figure with its value, rank and the change since the previous month."""
    out = []
    for name, label, kind, rank_column in FIGURES:
        value = getattr(row, name) if row else None
        old = getattr(before, name) if before else None
        change = value - old if value is not None and old is not None else None
        out.append(
            {
                "name": name,
                "label": label,
                "kind": kind,
                "value": value,
                "rank": getattr(row, rank_column) if row and rank_column else None,
                "change": change,
            }
        )
    return out


def _chart_number(value):
    return None if value is None else float(value)


def _trend(history, names) -> dict:
    return {
        "labels": [row.month.strftime("%Y-%m") for row in history],
        "series": {
            name: [_chart_number(getattr(row, name)) for row in history]
            for name in names
        },
        "names": {name: str(FIGURE_LABELS[name]) for name in names},
    }


def _minute_shares(row) -> dict:
    total = sum(getattr(row, name) for name, *_ in MINUTE_TARGETS) if row else 0
    return {
        "labels": [str(label) for _name, label, _target in MINUTE_TARGETS],
        "actual": [
            round(100 * getattr(row, name) / total, 1) if total else 0
            for name, *_ in MINUTE_TARGETS
        ],
        "target": [target for *_, target in MINUTE_TARGETS],
        "actual_label": _("Actual share (%)"),
        "target_label": _("Target share (%)"),
        "total": total,
    }


def _row_and_before(request, branch, month, history, *, advisor=None, rows=None):
    """The month's row and the previous month's, for an advisor or the branch.

    Both usually sit in the 12 months of `history` (the trend's stored rows, read
    anyway); an older month picked by hand is read from its run.
    """
    if month is None:
        return None, None
    by_month = {h.month: h for h in history}
    found = []
    for wanted in (month, _previous(month)):
        if wanted in by_month:
            found.append(by_month[wanted])
            continue
        month_rows = selectors.kpi_month_rows(
            user=request.user, branch=branch, month=wanted
        )
        month_rows = (
            month_rows.filter(advisor=advisor)
            if advisor is not None
            else month_rows.filter(employee_no=BRANCH_ROW)
        )
        found.append(month_rows.first())
    return found[0], found[1]


def _month_context(request, branch):
    months = _months(branch.pk)
    month = _month(request) or (months[0] if months else None)
    return months, month


@login_required
def kpi_home(request):
    """Head office lands on the comparison, a manager on the branch overview."""
    _require_kpis(request.user)
    if permissions.may_compare_branches(request.user):
        return redirect("kpis:branches")
    return redirect("kpis:branch")


@login_required
def branch_overview(request):
    """The branch's roll-up, churn rate, mix, flows, funnel, movers and flags."""
    branch = _branch(request)
    months, month = _month_context(request, branch)
    rows = (
        list(selectors.kpi_month_rows(user=request.user, branch=branch, month=month))
        if month
        else []
    )
    row = next((r for r in rows if r.employee_no == BRANCH_ROW), None)
    history = list(selectors.kpi_history(branch_id=branch.pk, employee_no=BRANCH_ROW))
    _row, before = _row_and_before(request, branch, month, history, rows=rows)
    mix = row.mix if row else {}
    movers = _movers(request.user, mix)
    context = {
        "branch": branch,
        "branches": selectors.kpi_branch_list(user=request.user),
        "months": months,
        "month": month,
        "row": row,
        "advisor_rows": [r for r in rows if r.employee_no != BRANCH_ROW],
        "figures": _figures(row, before),
        "reference": CHURN_REFERENCE,
        "mix": mix,
        "funnel": _funnel(mix),
        "movers": movers,
        "mover_titles": [
            ("movers_value", _("Top movers: value score")),
            ("movers_assets", _("Top movers: assets")),
        ],
        "flag_rows": [
            (FlagCode(code).label if code in FlagCode.values else code, n)
            for code, n in sorted(mix.get("flags_open", {}).items())
        ],
        "outcome_rows": [
            (FlagOutcome(code).label if code in FlagOutcome.values else code, n)
            for code, n in sorted(mix.get("outcomes", {}).items())
        ],
        "trend": _trend(
            history, ["aum", "net_new_assets", "new_clients", "lost_clients"]
        ),
        "history": history,
    }
    return render(request, "kpis/branch.html", context)


STAGES = ["potential", "target", "current"]


def _funnel(mix: dict) -> dict:
    counts = mix.get("maturity_stage", {})
    flow = mix.get("maturity_flow", {})
    return {
        "stages": [(stage, counts.get(stage, 0)) for stage in STAGES],
        "moves": [
            (before, after, flow.get(before, {}).get(after, 0))
            for before, after in (
                ("potential", "target"),
                ("target", "current"),
                ("potential", "current"),
                ("current", "target"),
                ("current", "potential"),
                ("target", "potential"),
            )
        ],
        "has_previous": bool(flow),
    }


def _movers(user, mix: dict) -> dict:
    ids = {m[0] for key in ("movers_value", "movers_assets") for m in mix.get(key, [])}
    clients = {
        c.pk: c for c in client_scope(user).filter(pk__in=ids).select_related("advisor")
    }
    return {
        key: [
            {"client": clients[pk], "before": a, "after": b, "change": b - a}
            for pk, a, b in mix.get(key, [])
            if pk in clients
        ]
        for key in ("movers_value", "movers_assets")
    }


@login_required
def scorecard(request, pk: int):
    """One advisor's month: every figure with its rank and change, trends, drill-down."""
    _require_kpis(request.user)
    try:
        advisor = selectors.kpi_advisor_get(user=request.user, pk=pk)
    except Advisor.DoesNotExist as exc:
        raise Http404 from exc
    branch = advisor.branch
    months, month = _month_context(request, branch)
    history = list(
        selectors.kpi_history(branch_id=branch.pk, employee_no=advisor.employee_no)
    )
    row, before = _row_and_before(request, branch, month, history, advisor=advisor)
    query = f"?advisor={advisor.pk}"
    context = {
        "advisor": advisor,
        "branch": branch,
        "months": months,
        "month": month,
        "row": row,
        "figures": _figures(row, before),
        "trend": _trend(
            history,
            ["aum", "commission", "net_new_assets", "clients", "contact_coverage"],
        ),
        "minutes": _minute_shares(row),
        "book_url": _url_or_none("book", query),
        "today_url": _url_or_none_args("advisor-today", advisor.pk),
        "clients": client_scope(request.user)
        .filter(advisor=advisor)
        .order_by("client_no")[:20],
        "client_count": client_scope(request.user).filter(advisor=advisor).count(),
        "tasks": task_list(user=request.user)
        .filter(owner=advisor)
        .select_related("client")[:20],
        "advisors": selectors.advisor_list(user=request.user, branch=branch),
    }
    return render(request, "kpis/scorecard.html", context)


SORTABLE = {name for name, *_ in FIGURES} | {"employee_no"}


def _ranking_rows(request, branch, month, sort: str, descending: bool):
    rows = [
        r
        for r in selectors.kpi_month_rows(user=request.user, branch=branch, month=month)
        if r.employee_no != BRANCH_ROW
    ]

    def key(row):
        value = getattr(row, sort)
        # nulls last whatever the direction
        return (value is None, value if value is not None else 0)

    rows.sort(key=key, reverse=False)
    present = [r for r in rows if getattr(r, sort) is not None]
    missing = [r for r in rows if getattr(r, sort) is None]
    if descending:
        present.reverse()
    return present + missing


@login_required
def ranking(request):
    """Every advisor of the branch side by side on every figure; sortable, exportable."""
    branch = _branch(request)
    months, month = _month_context(request, branch)
    sort = request.GET.get("sort", "aum")
    if sort not in SORTABLE:
        sort = "aum"
    descending = request.GET.get("dir", "desc") != "asc"
    rows = _ranking_rows(request, branch, month, sort, descending) if month else []
    export = request.GET.get("format")
    if export in ("csv", "xlsx") and month:
        return _ranking_export(branch, month, rows, export)
    columns = [(name, label, kind) for name, label, kind, _rank in FIGURES]
    context = {
        "branch": branch,
        "branches": selectors.kpi_branch_list(user=request.user),
        "months": months,
        "month": month,
        "sort": sort,
        "descending": descending,
        "keep": [("sort", sort), ("dir", "desc" if descending else "asc")],
        "columns": columns,
        "rows": [
            (row, [(name, kind, getattr(row, name)) for name, _l, kind in columns])
            for row in rows
        ],
    }
    return render(request, "kpis/ranking.html", context)


def _ranking_table(rows) -> list[list]:
    header = [_("Employee no."), _("Advisor")] + [
        str(label) for _n, label, *_r in FIGURES
    ]
    header += [_("Rank: AUM"), _("Rank: commission"), _("Rank: net new assets")]
    header += [_("Rank: contact coverage")]
    table = [header]
    for row in rows:
        name = row.advisor.name if row.advisor else ""
        values = [safe_text(row.employee_no), safe_text(name)]
        for figure, *_rest in FIGURES:
            value = getattr(row, figure)
            values.append(None if value is None else float(value))
        values += [
            row.rank_aum,
            row.rank_commission,
            row.rank_net_new_assets,
            row.rank_contact_coverage,
        ]
        table.append(values)
    return table


def _ranking_export(branch, month, rows, kind: str) -> HttpResponse:
    table = _ranking_table(rows)
    name = f"ranking-{branch.code}-{month:%Y-%m}"
    if kind == "csv":
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        for line in table:
            writer.writerow(["" if v is None else v for v in line])
        response = HttpResponse(
            "\ufeff" + stream.getvalue(), content_type="text/csv; charset=utf-8"
        )
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = f"{month:%Y-%m}"
        for line in table:
            sheet.append(line)
        stream = io.BytesIO()
        book.save(stream)
        response = HttpResponse(
            stream.getvalue(),
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
def branches(request):
    """Head office: every branch side by side on the same figures, read-only."""
    if not permissions.may_compare_branches(request.user):
        raise PermissionDenied
    all_branches = list(selectors.kpi_branch_list(user=request.user))
    months = selectors.kpi_months_any(branch_ids=[b.pk for b in all_branches])
    month = _month(request) or (months[0] if months else None)
    code = request.GET.get("branch", "")
    shown = [b for b in all_branches if not code or b.code == code]
    rows = selectors.kpi_branch_rows(branches=shown, month=month)
    context = {
        "month": month,
        "months": months,
        "branches": all_branches,
        "code": code,
        "columns": [(n, label, kind) for n, label, kind, _r in FIGURES],
        "rows": [
            (
                branch,
                row,
                [
                    (n, kind, getattr(row, n) if row else None)
                    for n, _l, kind, _r in FIGURES
                ],
            )
            for branch, row in rows
        ],
        "reference": CHURN_REFERENCE,
    }
    return render(request, "kpis/branches.html", context)


# --- bulk reassignment ---------------------------------------------------------------


def _require_reassign(user) -> None:
    if not permissions.may_reassign_clients(user):
        if permissions.may_see_branch_kpis(user):
            raise PermissionDenied
        raise Http404


#: Clients listed for ticking; more than that move with "all matching".
SHOWN = 100


@login_required
def reassign(request):
    """Select clients (a whole book, a filter, or by number) and move them in one go."""
    _require_reassign(request.user)
    user = request.user
    advisors = selectors.reassign_advisor_list(user=user)
    params = request.POST if request.method == "POST" else request.GET
    from_id = params.get("from_advisor", "")
    segment = params.get("segment", "")
    tier = params.get("tier", "")
    numbers = params.get("client_nos", "")
    candidates = selectors.reassign_candidates(
        user=user,
        from_advisor_id=from_id or None,
        segment=segment or None,
        tier=tier or None,
        client_nos=numbers.split(),
    )
    if request.method == "POST":
        try:
            records = services.clients_reassign(
                user=user,
                client_ids=(
                    list(candidates.values_list("pk", flat=True))
                    if request.POST.get("all_matching")
                    else [int(v) for v in request.POST.getlist("client") if v.isdigit()]
                ),
                to_advisor_id=int(request.POST.get("to_advisor") or 0),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(count)s clients moved.") % {"count": len(records)},
            )
            return redirect("kpis:reassign")
    shown = list(candidates[:SHOWN])
    context = {
        "advisors": advisors,
        "from_advisor": from_id,
        "segment": segment,
        "tier": tier,
        "client_nos": numbers,
        "clients": shown,
        "total": candidates.count() if len(shown) == SHOWN else len(shown),
        "shown": SHOWN,
        "filtered": bool(from_id or segment or tier or numbers.strip()),
        "segments": ["core", "dormant", "maintaining", "precipitating"],
        "tiers": ["special", "large", "medium", "small"],
        "to_advisor": params.get("to_advisor", ""),
        "reason": params.get("reason", ""),
    }
    return render(request, "kpis/reassign.html", context)


# --- duplicates and merge ------------------------------------------------------------


def _require_merge(user) -> None:
    if not permissions.may_merge_clients(user):
        if permissions.may_see_branch_kpis(user):
            raise PermissionDenied
        raise Http404


#: Groups of likely duplicates listed at once; merging them brings up the next.
DUPLICATES_SHOWN = 30


@login_required
def duplicates(request):
    """Likely duplicates: clients sharing an ID number, or a phone and a name."""
    _require_merge(request.user)
    groups = selectors.duplicate_groups(user=request.user, limit=DUPLICATES_SHOWN)
    reason_labels = {
        "id_number": _("Same ID number"),
        "phone_name": _("Same phone and name"),
    }
    keep = _("Keep this, merge %(no)s")
    merge_url = reverse("kpis:merge")
    # Rows are built here, not in template loops: a long list renders in one pass.
    rows = []
    for reasons, members in groups[:DUPLICATES_SHOWN]:
        rows.append(
            {
                "reasons": [(r, reason_labels[r]) for r in reasons],
                "members": [
                    {
                        "client": c,
                        "id_number": mask_id_number(c.id_number),
                        "phone": mask_phone(c.phone),
                        "merges": [
                            (
                                f"{merge_url}?keep={c.pk}&merge={other.pk}",
                                keep % {"no": other.client_no},
                            )
                            for other in members
                            if other.pk != c.pk
                        ],
                    }
                    for c in members
                ],
            }
        )
    return render(
        request,
        "kpis/duplicates.html",
        {"groups": rows, "more": len(groups) >= DUPLICATES_SHOWN},
    )


def _merge_pair(request, params):
    try:
        kept = selectors.merge_client_get(user=request.user, pk=params.get("keep"))
        merged = selectors.merge_client_get(user=request.user, pk=params.get("merge"))
    except (Client.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    return kept, merged


@login_required
def merge_preview(request):
    """What a merge would move, before it is confirmed."""
    _require_merge(request.user)
    kept, merged = _merge_pair(request, request.GET)
    preview = services.client_merge_preview(kept=kept, merged=merged)
    return render(
        request,
        "kpis/merge.html",
        {
            "kept": kept,
            "merged": merged,
            "preview": preview,
            "rows": [
                ("accounts", _("Accounts")),
                ("trades", _("Trades")),
                ("balances", _("Balances")),
                ("positions", _("Positions")),
                ("cash_flows", _("Cash flows")),
                ("interactions", _("Interactions")),
                ("feedback", _("Feedback")),
                ("tasks", _("Tasks")),
                ("churn_flags", _("Churn flags")),
                ("assignments", _("Advisor history")),
                ("referrals", _("Referred clients")),
                ("points", _("Points balance")),
            ],
            "masked": {
                c.pk: (mask_id_number(c.id_number), mask_phone(c.phone))
                for c in (kept, merged)
            },
        },
    )


@login_required
@require_POST
def merge_confirm(request):
    _require_merge(request.user)
    kept, merged = _merge_pair(request, request.POST)
    try:
        record = services.client_merge(user=request.user, kept=kept, merged=merged)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("kpis:merge") + f"?keep={kept.pk}&merge={merged.pk}")
    moved = sum(record.moved.values())
    messages.success(
        request,
        _("%(merged)s merged into %(kept)s: %(count)s records moved.")
        % {"merged": merged.client_no, "kept": kept.client_no, "count": moved},
    )
    return redirect("kpis:duplicates")
