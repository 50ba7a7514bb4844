"""The advisor's pages: Today, the book, the client page, tasks and households.

Thin doors: reads come from the selectors (every one through client_scope), writes
from the services (clients.services, churn.services, workspace.services), which the
API calls too. In-page actions answer htmx with the fragment they replace.
"""

from __future__ import annotations

import csv
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from advisors.selectors import reads_shared_books
from churn.selectors import churn_flag_get
from churn.services import churn_flag_resolve
from clients import permissions
from clients import services as client_services
from clients.selectors import client_scope, household_get, household_list, task_list
from history.services import reveal_record
from kpis.selectors import kpi_advisor_get

from . import exports, pages
from .filters import ClientFilterSet
from .forms import (
    FlagResolveForm,
    HouseholdCreateForm,
    HouseholdMemberForm,
    InteractionForm,
    RelationshipForm,
    SavedFilterForm,
    TaskCompleteForm,
    TaskCreateForm,
    TaskSnoozeForm,
)
from .models import SavedFilter
from .selectors import LIST_COLUMNS, book_list, book_page, sort_parse
from .services import clean_query, saved_filter_delete, saved_filter_save


def found_or_404(view):
    """A selector's or service's DoesNotExist (not found, or not yours) is a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc

    return wrapped


def attempt(service, /, **kwargs) -> tuple[object, str | None, int]:
    """Call a service for an in-page action, turning its refusal into words.

    Returns (the service's result, None, 200), or when the service refuses: (None, its
    message, 200) for a ValidationError (htmx swaps the fragment with the message in)
    and (None, its message, 403) for a PermissionDenied. Not found is `found_or_404`'s.
    """
    try:
        return service(**kwargs), None, 200
    except ValidationError as exc:
        return None, " ".join(exc.messages), 200
    except PermissionDenied as exc:
        return None, str(exc), 403


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Today -----------------------------------------------------------------------------


@login_required
@found_or_404
def today(request):
    """The advisor's home; managers, admins and head office start on the book."""
    if permissions.may_see_branch_kpis(request.user):
        return book(request)
    return render(request, "workspace/today.html", pages.today_context(request.user))


@login_required
@found_or_404
def advisor_today(request, pk: int):
    """A manager reads an advisor's Today as the advisor sees it (read-only)."""
    if not permissions.may_see_branch_kpis(request.user):
        raise Http404
    advisor = kpi_advisor_get(user=request.user, pk=pk)
    if advisor.user is None or not advisor.user.is_active:
        context = {"today": timezone.localdate(), "no_user": True}
    else:
        context = pages.today_context(advisor.user)
    context.update({"read_only": True, "advisor": advisor})
    return render(request, "workspace/today.html", context)


# --- tasks -----------------------------------------------------------------------------


def _task_item(request, task, *, error=None, status=200, done=False):
    return render(
        request,
        "workspace/_task_item.html",
        {"t": pages.task_row(task), "error": error, "just_done": done},
        status=status,
    )


@login_required
@found_or_404
@require_POST
def task_complete(request, pk: int):
    form = TaskCompleteForm(request.POST)
    task = get_object_or_404(task_list(user=request.user, status=None), pk=pk)
    if not form.is_valid():
        return _task_item(request, task, error=_("Say what came of it."))
    done, error, status = attempt(
        client_services.task_complete,
        user=request.user,
        task_id=pk,
        outcome=form.cleaned_data["outcome"],
    )
    if error:
        return _task_item(request, task, error=error, status=status)
    task = done
    if not _htmx(request):
        messages.success(request, _("Task completed."))
        return redirect(request.POST.get("next") or "tasks")
    return _task_item(request, task, done=True)


@login_required
@found_or_404
@require_POST
def task_snooze(request, pk: int):
    form = TaskSnoozeForm(request.POST)
    task = get_object_or_404(task_list(user=request.user, status=None), pk=pk)
    if not form.is_valid():
        return _task_item(request, task, error=" ".join(form.errors.get("until", [])))
    snoozed, error, status = attempt(
        client_services.task_snooze,
        user=request.user,
        task_id=pk,
        until=form.cleaned_data["until"],
    )
    if error:
        return _task_item(request, task, error=error, status=status)
    task = snoozed
    if not _htmx(request):
        messages.success(request, _("Task snoozed."))
        return redirect(request.POST.get("next") or "tasks")
    return _task_item(request, task)


@login_required
@found_or_404
def tasks(request):
    """Every task of the user's scope: mine / due / overdue / all, by kind."""
    return render(request, "workspace/tasks.html", pages.tasks_context(request))


@login_required
@found_or_404
@require_POST
def task_create(request):
    form = TaskCreateForm(request.POST)
    back = request.POST.get("next") or reverse("tasks")
    if not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errs)}")
        return redirect(back)
    client_id = form.cleaned_data.get("client")
    if not client_id:
        number = (form.cleaned_data.get("client_no") or "").strip()
        found = client_scope(request.user).filter(client_no=number).first()
        if found is None:
            messages.error(
                request,
                _("Client number: no client %(no)s in your book.") % {"no": number},
            )
            return redirect(back)
        client_id = found.pk
    _done, error, _status = attempt(
        client_services.task_create,
        user=request.user,
        client_id=client_id,
        title=form.cleaned_data["title"],
        due_date=form.cleaned_data["due_date"],
    )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Follow-up added."))
    return redirect(back)


# --- churn flags -------------------------------------------------------------------------


@login_required
@found_or_404
@require_POST
def flag_resolve(request, pk: int):
    flag = churn_flag_get(user=request.user, pk=pk)
    form = FlagResolveForm(request.POST)
    error = None
    if form.is_valid():
        resolved, error, _status = attempt(
            churn_flag_resolve,
            user=request.user,
            flag_id=flag.pk,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        flag = resolved or flag
    else:
        error = _("Outcome: choose what happened.")
    if not _htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Flag resolved."))
        return redirect("client-detail", pk=flag.client_id)
    row = pages.flag_rows([flag])[0]
    return render(request, "workspace/_flag_item.html", {"f": row, "error": error})


# --- the book ---------------------------------------------------------------------------


def _book_query(request):
    data = request.GET.copy()
    ordering = data.pop("ordering", [None])[-1]
    data.pop("cursor", None)
    data.pop("format", None)
    filterset = ClientFilterSet(
        data, queryset=book_list(user=request.user), request=request
    )
    return filterset, ordering


@login_required
@found_or_404
def book(request):
    filterset, ordering = _book_query(request)
    if not filterset.is_valid():
        rows, next_cursor, total = [], None, 0
    else:
        qs = filterset.qs
        rows, next_cursor = book_page(
            qs.only(*LIST_COLUMNS),
            ordering=ordering,
            cursor=request.GET.get("cursor"),
            size=50,
        )
        total = qs.order_by().count()
    column, descending = sort_parse(ordering)
    show_branch = permissions.sees_every_branch(request.user)
    query = clean_query(request.GET.urlencode())
    base = {k: v for k, v in request.GET.lists() if k not in ("cursor", "format")}
    filters = pages.filter_groups(filterset)
    context = {
        "filterset": filterset,
        "rows": [pages.book_row(r) for r in rows],
        "total": total,
        "next_url": (
            reverse("book")
            + "?"
            + urlencode({**base, "cursor": next_cursor}, doseq=True)
            if next_cursor
            else None
        ),
        "first_url": reverse("book") + "?" + urlencode(base, doseq=True)
        if request.GET.get("cursor")
        else None,
        "sort_column": column,
        "sort_desc": descending,
        "sort_links": pages.sort_links(base, column, descending),
        "query": query,
        "saved": SavedFilter.objects.filter(user=request.user),
        "saved_form": SavedFilterForm(initial={"query": query}),
        "export_query": urlencode(
            {k: v for k, v in base.items() if k != "cursor"}, doseq=True
        ),
        "filters": filters,
        "search": request.GET.get("q", ""),
        "sort_options": pages.sort_options(),
        "show_advisor": not request.user.is_advisor or reads_shared_books(request.user),
        "sort_value": f"{'-' if descending else ''}{column}",
        "show_branch": show_branch,
        "branch_choices": (
            filterset.form.fields["branch"].queryset.order_by("code")
            if show_branch
            else []
        ),
        "advisor_choices": (
            list(filterset.form.fields["advisor"].queryset.order_by("name"))
            if permissions.may_see_branch_kpis(request.user) and not show_branch
            else []
        ),
        "active_filters": sum(1 for g in filters if g["active"]),
    }
    return render(request, "workspace/book.html", context)


@login_required
@found_or_404
def book_export(request, fmt: str):
    """The filtered book as CSV or XLSX: scoped, formula-safe, personal data masked."""
    filterset, ordering = _book_query(request)
    if not filterset.is_valid():
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    column, descending = sort_parse(ordering)
    rows = filterset.qs.order_by(f"{'-' if descending else ''}{column}", "pk")
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_lines(rows, csv), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="book-{stamp}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="book-{stamp}.xlsx"'
        return response
    return HttpResponse(_("Unknown export format."), status=404)


@login_required
@found_or_404
@require_POST
def saved_filter_create(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        saved, error, _status = attempt(
            saved_filter_save,
            user=request.user,
            name=form.cleaned_data["name"],
            query=form.cleaned_data["query"],
        )
        if error is None:
            messages.success(
                request, _("Filter “%(name)s” saved.") % {"name": saved.name}
            )
            return redirect(
                reverse("book") + (f"?{saved.query}" if saved.query else "")
            )
        messages.error(request, error)
    else:
        messages.error(request, _("Name: give the filter a name."))
    query = request.POST.get("query", "")
    return redirect(reverse("book") + (f"?{clean_query(query)}" if query else ""))


@login_required
@found_or_404
@require_POST
def saved_filter_remove(request, pk: int):
    saved_filter_delete(user=request.user, filter_id=pk)
    messages.success(request, _("Filter deleted."))
    return redirect("book")


# --- the client page -----------------------------------------------------------------------


@login_required
@found_or_404
def client_detail(request, pk: int):
    context = pages.client_context(request.user, pk)
    return render(request, "workspace/client.html", context)


#: The shortest reason accepted for showing a full ID or phone number.
REVEAL_REASON_MIN = 4


@login_required
@found_or_404
@require_POST
@never_cache
def client_reveal(request, pk: int, field: str):
    """A client's full phone or ID number, for a user allowed to see it who says why;
    recorded in the history (who, which client, which field, the reason)."""
    if field not in pages.PERSONAL_DATA:
        raise Http404
    client = pages.client_for(request.user, pk)
    if not permissions.may_reveal_personal_data(request.user, client):
        raise PermissionDenied
    reason = " ".join((request.POST.get("reason") or "").split())[:200]
    revealed = len(reason) >= REVEAL_REASON_MIN
    pd = pages.personal_data(client, field, may_reveal=True, revealed=revealed)
    if revealed:
        reveal_record(
            user=request.user, obj=client, field=field, reason=reason, request=request
        )
    else:
        pd["error"] = _("Say why you need the full value (at least 4 characters).")
    if request.headers.get("HX-Request"):
        return render(request, "workspace/_personal_data.html", {"pd": pd})
    # Without htmx: the whole client page, with this one value shown.
    context = pages.client_context(request.user, pk)
    context["personal_data"] = [
        pd if other["field"] == field else other for other in context["personal_data"]
    ]
    return render(request, "workspace/client.html", context)


@login_required
@found_or_404
def client_section(request, pk: int, section: str):
    """A paged section of the client page (trades, cash flows), for htmx."""
    context = pages.client_section_context(request.user, pk, section, request.GET)
    return render(request, f"workspace/_client_{section}.html", context)


@login_required
@found_or_404
@require_POST
def interaction_create(request, pk: int):
    client = pages.client_for(request.user, pk)
    form = InteractionForm(request.POST)
    error = None
    if form.is_valid():
        _done, error, _status = attempt(
            client_services.interaction_log,
            user=request.user,
            client_id=client.pk,
            channel=form.cleaned_data["channel"],
            minutes=form.cleaned_data["minutes"],
            summary=form.cleaned_data["summary"],
            recommended_codes=form.cleaned_data["recommended"],
            day=form.cleaned_data["date"],
        )
        if error is None:
            form = InteractionForm()
    if not _htmx(request):
        if error or form.errors:
            messages.error(request, error or _("Check the contact's fields."))
        else:
            messages.success(request, _("Contact logged."))
        return redirect("client-detail", pk=client.pk)
    context = pages.client_timeline_context(request.user, client)
    context.update({"form": form, "error": error, "oob": True})
    return render(request, "workspace/_client_timeline.html", context)


@login_required
@found_or_404
@require_POST
def relationship_set(request, pk: int):
    client = pages.client_for(request.user, pk)
    form = RelationshipForm(request.POST)
    error = None
    if form.is_valid():
        changed, error, _status = attempt(
            client_services.relationship_level_set,
            user=request.user,
            client_id=client.pk,
            level=form.cleaned_data["level"],
        )
        client = changed or client
    else:
        error = _("Relationship level: choose a level.")
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect("client-detail", pk=client.pk)
    context = pages.relationship_context(request.user, client)
    context.update({"error": error, "saved": error is None})
    return render(request, "workspace/_client_relationship.html", context)


# --- households -----------------------------------------------------------------------------


@login_required
@found_or_404
def households(request):
    rows = household_list(user=request.user).annotate(
        members_n=Count("members", filter=Q(members__in=client_scope(request.user)))
    )
    return render(request, "workspace/households.html", {"households": rows})


@login_required
@found_or_404
def household_detail(request, pk: int):
    household = household_get(user=request.user, pk=pk)
    context = pages.household_context(request.user, household)
    context["member_form"] = HouseholdMemberForm()
    return render(request, "workspace/household.html", context)


@login_required
@found_or_404
@require_POST
def household_create(request, pk: int):
    """A new household grouping the client `pk` (more members are added on its page)."""
    client = pages.client_for(request.user, pk)
    form = HouseholdCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Household name: give it a name."))
        return redirect("client-detail", pk=client.pk)
    household, error, _status = attempt(
        client_services.household_create,
        user=request.user,
        name=form.cleaned_data["name"],
        kind=form.cleaned_data["kind"],
        client_ids=[client.pk],
    )
    if error:
        messages.error(request, error)
        return redirect("client-detail", pk=client.pk)
    return redirect("household-detail", pk=household.pk)


@login_required
@found_or_404
@require_POST
def household_add(request, pk: int):
    household = household_get(user=request.user, pk=pk)
    form = HouseholdMemberForm(request.POST)
    number = form.data.get("client_no", "").strip()
    client = client_scope(request.user).filter(client_no=number).first()
    if client is None:
        messages.error(
            request, _("Client number: no client %(no)s in your book.") % {"no": number}
        )
        return redirect("household-detail", pk=household.pk)
    _done, error, _status = attempt(
        client_services.household_add_member,
        user=request.user,
        household_id=household.pk,
        client_id=client.pk,
    )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("%(name)s added.") % {"name": client.name})
    return redirect("household-detail", pk=household.pk)


@login_required
@found_or_404
@require_POST
def household_remove(request, pk: int, client_pk: int):
    household = household_get(user=request.user, pk=pk)
    _done, error, _status = attempt(
        client_services.household_remove_member,
        user=request.user,
        household_id=household.pk,
        client_id=client_pk,
    )
    if error:
        messages.error(request, error)
        return redirect("household-detail", pk=household.pk)
    if household_list(user=request.user).filter(pk=household.pk).exists():
        return redirect("household-detail", pk=household.pk)
    return redirect("households")
