"""The advisor's book: clients in scope, each with its scores of the branch's current run.

The current run of a branch is its latest finished scoring run. Its per-client row is
joined in once (a filtered LEFT JOIN, not a subquery per column), so the book filters
and sorts on scores as cheaply as on the client's own columns, for one advisor's 2,000
clients or a manager's 50,000.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, timedelta

from django.db.models import (
    DateField,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from clients import permissions
from clients.models import CONTACT_CHANNELS, Client, Interaction
from clients.selectors import client_scope
from tiers.selectors import run_latest_key

from .models import SavedFilter

#: Score columns of the current run exposed on every book row, as `<name>`.
SCORE_FIELDS = (
    "tier",
    "value_score",
    "contribution_score",
    "maturity_stage",
    "segment",
    "relationship_recommended",
    "relationship_fit",
    "contact_overdue",
    "risk_appetite",
    "suitability_warning",
    "trading_ability",
    "loyalty_type",
    "experience",
    "churn_risk",
)

#: Score columns whose names are taken on Client by a relation: (annotation, column).
RENAMED_SCORE_FIELDS = (("flag_codes", "churn_flags"), ("alert_codes", "alerts"))


#: The client columns a list row shows (pages.book_row: the book's table, Today's
#: lists): the others, the encrypted ID number above all, stay unread.
LIST_COLUMNS = (
    "client_no",
    "name",
    "phone",
    "branch",
    "branch__name",
    "advisor",
    "advisor__name",
)


#: The scores Today reads from the book: its lists' rows (book_row), their filters and
#: the counts by segment and tier.
TODAY_FIELDS = (
    "tier",
    "value_score",
    "segment",
    "contact_overdue",
    "suitability_warning",
    "churn_risk",
)


def current_runs(branch_ids) -> list[tuple[int, int | None]]:
    """(id, policy version) of the latest finished run of each branch (branches never
    scored are left out)."""
    runs = (
        run_latest_key(branch_id=branch_id) for branch_id in sorted(set(branch_ids))
    )
    return [run for run in runs if run is not None]


def current_run_ids(branch_ids) -> list[int]:
    """The latest finished run of each branch (branches never scored are left out)."""
    return [pk for pk, _version in current_runs(branch_ids)]


def scope_branch_ids(user, clients=None) -> list[int]:
    """The branches of the user's scope: their own branch (no query) unless they read
    every branch, then the branches that have clients in scope."""
    branch_id = getattr(user, "branch_id", None)  # none for an anonymous user
    if branch_id is not None and not permissions.sees_every_branch(user):
        return [branch_id]
    clients = client_scope(user) if clients is None else clients
    return list(clients.order_by().values_list("branch_id", flat=True).distinct())


def book_list(
    *, user, branch_ids=None, run_ids=None, fields=SCORE_FIELDS
) -> QuerySet[Client]:
    """Every client `user` may see, annotated with the current run's scores.

    Annotations: each of `fields` (default SCORE_FIELDS; a page that reads fewer
    names them, and its queries are shorter to build and read), `flag_codes` and
    `alert_codes` (the run's open churn flags and alerts, `;`-joined codes), `assets`
    (the run's features) and `last_contact` (the latest call, visit, email or message).
    A client with no row in the current run (a new client, or a branch never scored)
    has them all null.
    """
    clients = client_scope(user)
    if run_ids is None:
        if branch_ids is None:
            branch_ids = scope_branch_ids(user, clients)
        run_ids = current_run_ids(branch_ids)
    # An empty IN () would make the whole LEFT JOIN's query empty; no run has id 0.
    run_ids = list(run_ids) or [0]
    last_contact = (
        Interaction.objects.filter(client=OuterRef("pk"), channel__in=CONTACT_CHANNELS)
        .order_by("-date")
        .values("date")[:1]
    )
    return (
        clients.select_related("advisor", "branch")
        .annotate(
            current=FilteredRelation("scores", condition=Q(scores__run_id__in=run_ids))
        )
        .annotate(
            **{name: F(f"current__{name}") for name in fields},
            **{name: F(f"current__{col}") for name, col in RENAMED_SCORE_FIELDS},
            assets=Cast(KeyTextTransform("assets", "current__features"), FloatField()),
            last_contact=Subquery(last_contact),
        )
    )


# --- the book's pages: sort on any column, keyset pagination --------------------------

#: Sortable columns: name -> (expression kind, sentinel for nulls placed last).
SORT_KINDS = {
    "client_no": "str",
    "name": "str",
    "value_score": "num",
    "contribution_score": "num",
    "assets": "num",
    "churn_risk": "num",
    "last_contact": "date",
    "opened_at": "date",
}
DEFAULT_SORT = "-value_score"
_LOW = {"num": -1e18, "date": date(1900, 1, 1)}
_HIGH = {"num": 1e18, "date": date(9999, 12, 31)}


def sort_parse(value: str | None) -> tuple[str, bool]:
    """`-assets` → ("assets", descending); unknown columns fall back to the default."""
    value = (value or "").strip()
    column = value.lstrip("-")
    if column not in SORT_KINDS:
        value, column = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    return column, value.startswith("-")


def _sort_expression(column: str, descending: bool):
    kind = SORT_KINDS[column]
    if kind == "str":
        return F(column)
    # Nulls last either way: the sentinel sorts after every real value.
    sentinel = _LOW[kind] if descending else _HIGH[kind]
    field = FloatField() if kind == "num" else DateField()
    return Coalesce(F(column), Value(sentinel, output_field=field), output_field=field)


def encode_cursor(value, pk: int, *, before: bool = False) -> str:
    """A page's position: after (or, `before=True`, before) the row (value, pk)."""
    if isinstance(value, date):
        value = value.isoformat()
    position = [value, pk, 1] if before else [value, pk]
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, kind: str):
    """(value, pk, before) of a cursor, or None when it does not decode."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk, *rest = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if rest not in ([], [1]):
            return None
        pk = int(pk)
        if kind == "num":
            value = float(value)
        elif kind == "date":
            value = date.fromisoformat(value)
        else:
            value = str(value)
        return value, pk, bool(rest)
    except (ValueError, TypeError, json.JSONDecodeError, binascii.Error):
        return None


def cursor_valid(cursor: str, *, ordering: str | None) -> bool:
    """Whether a book cursor decodes for this ordering (the API refuses one that does not)."""
    column, _descending = sort_parse(ordering)
    return _decode_cursor(cursor, SORT_KINDS[column]) is not None


def book_page(queryset, *, ordering: str | None, cursor: str | None, size: int = 50):
    """One page of the book after `cursor`, sorted by `ordering` then id (keyset).

    Returns (rows, next_cursor or None). No OFFSET: a deep page costs what the first
    does. A cursor that does not decode starts from the first page.
    """
    rows, following, _previous = book_window(
        queryset, ordering=ordering, cursor=cursor, size=size
    )
    return rows, following


def book_window(queryset, *, ordering: str | None, cursor: str | None, size: int = 50):
    """(rows, next_cursor, previous_cursor) of the page at `cursor`, in either direction.

    A cursor from `next` opens the rows after its row, one from `previous` the rows
    before it (read backwards, then put back in order): both by the keyset, so a
    page back costs what a page forward does. None where there is no such page.
    """
    column, descending = sort_parse(ordering)
    rows = queryset.annotate(sort_key=_sort_expression(column, descending))
    position = _decode_cursor(cursor, SORT_KINDS[column]) if cursor else None
    before = position is not None and position[2]
    if position is not None:
        value, pk, _before = position
        # Forward on a descending sort, or back on an ascending one: smaller keys.
        if descending != before:
            rows = rows.filter(Q(sort_key__lt=value) | Q(sort_key=value, pk__lt=pk))
        else:
            rows = rows.filter(Q(sort_key__gt=value) | Q(sort_key=value, pk__gt=pk))
    order = ("-sort_key", "-pk") if descending != before else ("sort_key", "pk")
    # The page's ids first, sorted on the key alone, then their whole rows: sorting a
    # manager's 50,000 whole rows (each with its scores' features) to keep 51 spilled
    # the sort to disk. One query all the same (the ids are a subquery).
    ids = rows.order_by(*order).values("pk")[: size + 1]
    page = list(rows.filter(pk__in=ids).order_by(*order))
    more = len(page) > size
    page = page[:size]
    if before:
        page.reverse()
    if not page:
        return page, None, None
    first, last = page[0], page[-1]
    following = encode_cursor(last.sort_key, last.pk) if (more or before) else None
    previous = (
        encode_cursor(first.sort_key, first.pk, before=True)
        if (more if before else position is not None)
        else None
    )
    return page, following, previous


def cursor_after(queryset, *, ordering: str | None, offset: int) -> str | None:
    """The cursor that opens the page starting `offset` rows in (for the benchmark and
    links to a known position; one query)."""
    column, descending = sort_parse(ordering)
    rows = queryset.annotate(sort_key=_sort_expression(column, descending))
    order = ("-sort_key", "-pk") if descending else ("sort_key", "pk")
    row = rows.order_by(*order).values_list("sort_key", "pk")[offset - 1 : offset]
    row = list(row)
    return encode_cursor(*row[0]) if row else None


# --- Today ---------------------------------------------------------------------------

#: The segments' groups and their target share of contact minutes (SPEC §3.2).
MINUTE_GROUPS = (
    ("core_dormant", ("core", "dormant"), "target_share_core_dormant"),
    ("maintaining", ("maintaining",), "target_share_maintaining"),
    ("precipitating", ("precipitating",), "target_share_precipitating"),
)


def contact_minutes_by_segment(
    *, user, days: int = 30, today: date | None = None, run_ids=None
):
    """Minutes of calls, visits, emails and messages with the user's clients in the
    last `days` days, by the client's current segment: {segment or None: minutes}."""
    today = today or timezone.localdate()
    clients = client_scope(user)
    if run_ids is None:
        run_ids = current_run_ids(scope_branch_ids(user, clients))
    run_ids = list(run_ids) or [0]
    rows = (
        Interaction.objects.filter(
            client__in=clients.values("pk"),
            channel__in=CONTACT_CHANNELS,
            date__gt=today - timedelta(days=days),
            date__lte=today,
        )
        .annotate(
            cur=FilteredRelation(
                "client__scores", condition=Q(client__scores__run_id__in=run_ids)
            )
        )
        .values("cur__segment")
        .annotate(total=Sum("minutes"))
        .order_by()
    )
    return {row["cur__segment"]: row["total"] or 0 for row in rows}


def overdue_condition(
    book, *, today: date | None = None, cadences=None
) -> tuple[QuerySet, Q]:
    """The book annotated with `cadence_days`, and the condition of a row past its
    contact cadence now: overdue in the run and no contact logged since within the
    cadence (a contact logged today clears it at once). One query (the cadences),
    none when the caller knows every cadence the runs can hold (`cadences`)."""
    today = today or timezone.localdate()
    book = book.annotate(cadence_days=F("current__cadence_days"))
    if cadences is None:
        cadences = (
            book.filter(contact_overdue=True)
            .order_by()
            .values_list("cadence_days", flat=True)
            .distinct()[:20]
        )
    late = Q(last_contact__isnull=True)
    for days in cadences:
        if days:
            late |= Q(cadence_days=days, last_contact__lt=today - timedelta(days=days))
    return book, Q(contact_overdue=True) & late


def saved_filter_list(*, user):
    """The user's own saved filters of the book, by name."""
    return SavedFilter.objects.filter(user=user).order_by("name", "id")
