"""Writes to the branch's book that more than one door needs."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from .models import (
    CONTACT_CHANNELS,
    Channel,
    Client,
    Feedback,
    FeedbackTopic,
    Household,
    Interaction,
    RelationshipLevel,
    Security,
    Side,
    Task,
    TaskKind,
    TaskStatus,
    Trade,
    TradeChange,
    TradeDay,
    generated_task_title,
)


@transaction.atomic
def trade_days_refresh(
    *,
    branch_id: int,
    dates: Iterable[date] | None = None,
    added: Sequence[tuple] | None = None,
) -> int:
    """Rebuild the per-account daily trade totals of a branch for some (or all) dates.

    Call it in the same transaction that wrote the trades, with the dates they touched;
    the nightly pipeline trusts these totals. Returns the number of client-days written.

    `added` instead of `dates`, when the trades written were all new (none changed):
    their totals per account-day, rows of (account_id, date, trades, commission,
    amount, buy_amount). They are added onto the stored days, which hold the totals
    of every other trade, without re-reading the trades.
    """
    if added is not None:
        _trade_changes_record(branch_id, {row[1] for row in added})
        return _trade_days_add(added)
    day_list = sorted(set(dates)) if dates is not None else None
    if day_list is not None:
        _trade_changes_record(branch_id, day_list)
    else:
        _trade_changes_record(
            branch_id,
            Trade.objects.filter(branch_id=branch_id)
            .order_by()
            .values_list("trade_date", flat=True)
            .distinct(),
        )
    stale = TradeDay.objects.filter(account__branch_id=branch_id)
    trades = Trade.objects.filter(branch_id=branch_id)
    if day_list is not None:
        if not day_list:
            return 0
        stale = stale.filter(date__in=day_list)
        trades = trades.filter(trade_date__in=day_list)
    stale.delete()
    money = DecimalField(max_digits=18, decimal_places=2)
    totals = (
        trades.values("account_id", "trade_date")
        .order_by()
        .annotate(
            n=Count("id"),
            commission_sum=Sum("commission"),
            amount_sum=Sum("amount"),
            buy_sum=Sum(
                Case(
                    When(side=Side.BUY, then="amount"),
                    default=Value(0),
                    output_field=money,
                )
            ),
        )
    )
    if connection.vendor == "postgresql":
        sql, params = totals.values_list(
            "account_id", "trade_date", "n", "commission_sum", "amount_sum", "buy_sum"
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TradeDay._meta.db_table} "
                "(account_id, date, trades, commission, amount, buy_amount) " + sql,
                params,
            )
            return cursor.rowcount
    rows = [
        TradeDay(
            account_id=t["account_id"],
            date=t["trade_date"],
            trades=t["n"],
            commission=t["commission_sum"],
            amount=t["amount_sum"],
            buy_amount=t["buy_sum"],
        )
        for t in totals.iterator(chunk_size=5000)
    ]
    TradeDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _trade_changes_record(branch_id: int, dates: Iterable) -> None:
    """Log the trade dates just written (see `TradeChange`), one row per date."""
    days = sorted(
        {d if isinstance(d, date) else date.fromisoformat(str(d)) for d in dates}
    )
    TradeChange.objects.bulk_create(
        [TradeChange(branch_id=branch_id, date=day) for day in days], batch_size=2000
    )


def _trade_days_add(rows: Sequence[tuple]) -> int:
    """Add new trades' per account-day totals onto TradeDay (a missing day starts at 0)."""
    if not rows:
        return 0
    table = TradeDay._meta.db_table
    columns = "account_id, date, trades, commission, amount, buy_amount"
    adding = (
        f"ON CONFLICT (account_id, date) DO UPDATE SET "  # nosec B608 # identifiers from model _meta, values bound
        f"trades = {table}.trades + excluded.trades, "
        f"commission = {table}.commission + excluded.commission, "
        f"amount = {table}.amount + excluded.amount, "
        f"buy_amount = {table}.buy_amount + excluded.buy_amount"
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "  # nosec B608 # identifiers from model _meta, values bound
                + adding,
                [tuple(row) for row in rows],
            )
            return len(rows)
        accounts = sorted({int(row[0]) for row in rows})
        days = sorted({str(row[1]) for row in rows})
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE account_id = ANY(%s) "  # nosec B608 # identifiers from model _meta, values bound
            "AND date BETWEEN %s::date AND %s::date)",
            [accounts, days[0], days[-1]],
        )
        (stored,) = cursor.fetchone()
        # No stored day among them (a new day's file): COPY the days in as they are.
        into = "trade_day_added" if stored else table
        if stored:
            cursor.execute(
                "CREATE TEMP TABLE trade_day_added (account_id bigint, date date, "
                "trades integer, commission numeric, amount numeric, "
                "buy_amount numeric) ON COMMIT DROP"
            )
        text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        with cursor.copy(f"COPY {into} ({columns}) FROM STDIN") as copy:
            copy.write(text)
        if stored:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} "  # nosec B608 # identifiers from model _meta, values bound
                "FROM trade_day_added " + adding
            )
            cursor.execute("DROP TABLE trade_day_added")
        return len(rows)


# --- the advisor's work on one client (pages and API call the same functions) ----------


def _workable_client(*, user, client_id: int):
    """The client if `user` may work it; DoesNotExist outside the scope, else PermissionDenied."""
    from .permissions import may_work_client
    from .selectors import client_get

    client = client_get(user=user, pk=client_id)
    if not may_work_client(user, client):
        raise PermissionDenied(_("Your role may read but not change data."))
    return client


def _workable_task(*, user, task_id: int) -> Task:
    from .selectors import task_list

    try:
        task = task_list(user=user, status=None).get(pk=task_id)
    except (ValueError, TypeError) as exc:
        raise Task.DoesNotExist("No such task.") from exc
    _workable_client(user=user, client_id=task.client_id)
    return Task.objects.select_for_update().get(pk=task.pk)


def _contact_clears_cadence(*, user, client, day: date) -> int:
    """A contact closes the client's open overdue-contact task; returns how many closed."""
    return Task.objects.filter(
        client=client, kind=TaskKind.CADENCE, status=TaskStatus.OPEN
    ).update(
        status=TaskStatus.DONE,
        outcome=gettext("Contact logged on %(day)s.") % {"day": day.isoformat()},
        completed_at=timezone.now(),
        completed_by=user,
    )


@transaction.atomic
def interaction_log(
    *,
    user,
    client_id: int,
    channel: str,
    minutes: int,
    summary: str = "",
    recommended_codes: Sequence[str] = (),
    day: date | None = None,
) -> Interaction:
    """Log a contact (call, visit, email, message…) the user had with a client.

    A contact (not an activity or complaint) closes the open overdue-contact task.
    ValidationError names the field: an unknown channel, negative or absurd minutes,
    a date in the future, an unknown security code.
    """
    client = _workable_client(user=user, client_id=client_id)
    today = timezone.localdate()
    day = day or today
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if minutes is None or minutes < 0 or minutes > 24 * 60:
        errors["minutes"] = _("Minutes must be between 0 and 1440.")
    if day > today:
        errors["date"] = _("A contact cannot be dated in the future.")
    codes = [c.strip() for c in recommended_codes if c and c.strip()]
    securities = list(Security.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {s.code for s in securities})
    if unknown:
        errors["recommended"] = _("Unknown security code: %(codes)s.") % {
            "codes": ", ".join(unknown)
        }
    if errors:
        raise ValidationError(errors)
    advisor = getattr(user, "advisor", None) if user.role == "advisor" else None
    interaction = Interaction.objects.create(
        branch_id=client.branch_id,
        interaction_id=f"W{uuid.uuid4().hex[:20]}",
        date=day,
        client=client,
        advisor=advisor or client.advisor,
        channel=channel,
        minutes=minutes,
        summary=summary.strip(),
    )
    if securities:
        interaction.recommended.set(securities)
    if channel in CONTACT_CHANNELS:
        _contact_clears_cadence(user=user, client=client, day=day)
    return interaction


@transaction.atomic
def feedback_record(
    *,
    user,
    client_id: int,
    topic: str,
    score: int,
    comment: str = "",
    day: date | None = None,
) -> Feedback:
    """Record a client's feedback (a survey answer, a complaint's rating) on 1–5."""
    client = _workable_client(user=user, client_id=client_id)
    today = timezone.localdate()
    day = day or today
    errors = {}
    if topic not in FeedbackTopic.values:
        errors["topic"] = _("Unknown topic.")
    if score is None or not 1 <= score <= 5:
        errors["score"] = _("A score is from 1 to 5.")
    if day > today:
        errors["date"] = _("Feedback cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    return Feedback.objects.create(
        branch_id=client.branch_id,
        feedback_id=f"W{uuid.uuid4().hex[:20]}",
        date=day,
        client=client,
        topic=topic,
        score=score,
        comment=(comment or "").strip(),
    )


@transaction.atomic
def task_create(
    *, user, client_id: int, title: str, due_date: date, detail: str = ""
) -> Task:
    """A manual follow-up on a client, owned by the client's advisor."""
    client = _workable_client(user=user, client_id=client_id)
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Say what to follow up.")
    if due_date is None:
        errors["due_date"] = _("Give a due date.")
    if errors:
        raise ValidationError(errors)
    return Task.objects.create(
        branch_id=client.branch_id,
        client=client,
        owner=client.advisor,
        kind=TaskKind.MANUAL,
        title=title[:200],
        detail=detail,
        due_date=due_date,
        raised_on=timezone.localdate(),
        created_by=user,
    )


@transaction.atomic
def task_complete(*, user, task_id: int, outcome: str) -> Task:
    """Close an open task with what came of it (the outcome is required)."""
    task = _workable_task(user=user, task_id=task_id)
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what came of it.")})
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))
    task.status = TaskStatus.DONE
    task.outcome = outcome[:2000]
    task.completed_at = timezone.now()
    task.completed_by = user
    task.save(update_fields=["status", "outcome", "completed_at", "completed_by"])
    return task


@transaction.atomic
def task_snooze(*, user, task_id: int, until: date) -> Task:
    """Move an open task's due date to a later day."""
    task = _workable_task(user=user, task_id=task_id)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))
    if until is None or until <= timezone.localdate():
        raise ValidationError({"until": _("Snooze to a day after today.")})
    task.due_date = until
    task.save(update_fields=["due_date"])
    return task


@transaction.atomic
def relationship_level_set(*, user, client_id: int, level: str) -> Client:
    """The actual relationship level the advisor keeps with the client (SPEC §3.2)."""
    client = _workable_client(user=user, client_id=client_id)
    if level not in RelationshipLevel.values:
        raise ValidationError({"level": _("Unknown relationship level.")})
    client.relationship_level = level
    client.save(update_fields=["relationship_level", "updated_at"])
    return client


@transaction.atomic
def household_create(
    *, user, name: str, kind: str = Household.Kind.FAMILY, client_ids: Sequence[int]
) -> Household:
    """Group clients the user may work into a new household (at least one)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the household a name.")
    if kind not in Household.Kind.values:
        errors["kind"] = _("Unknown household kind.")
    if not client_ids:
        errors["clients"] = _("Choose at least one client.")
    if errors:
        raise ValidationError(errors)
    clients = [_workable_client(user=user, client_id=pk) for pk in client_ids]
    branches = {c.branch_id for c in clients}
    if len(branches) != 1:
        raise ValidationError({"clients": _("Members must be of one branch.")})
    household = Household.objects.create(
        branch_id=branches.pop(), name=name[:200], kind=kind
    )
    Client.objects.filter(pk__in=[c.pk for c in clients]).update(household=household)
    return household


def _visible_household(*, user, household_id: int) -> Household:
    from .selectors import household_get

    return household_get(user=user, pk=household_id)


@transaction.atomic
def household_add_member(*, user, household_id: int, client_id: int) -> Client:
    """Put a client the user may work into a household they can see."""
    household = _visible_household(user=user, household_id=household_id)
    client = _workable_client(user=user, client_id=client_id)
    if client.branch_id != household.branch_id:
        raise ValidationError({"client": _("Members must be of one branch.")})
    client.household = household
    client.save(update_fields=["household", "updated_at"])
    return client


@transaction.atomic
def household_remove_member(*, user, household_id: int, client_id: int) -> Client:
    """Take a client out of its household (an emptied household is deleted)."""
    household = _visible_household(user=user, household_id=household_id)
    client = _workable_client(user=user, client_id=client_id)
    if client.household_id != household.pk:
        raise ValidationError({"client": _("This client is not in the household.")})
    client.household = None
    client.save(update_fields=["household", "updated_at"])
    if not household.members.exists():
        household.delete()
    return client


# --- generated tasks (the nightly run's task step) -----------------------------------

GENERATED_KINDS = (
    TaskKind.CHURN,
    TaskKind.ALERT,
    TaskKind.CADENCE,
    TaskKind.SUITABILITY,
)


@dataclass(frozen=True)
class TaskCondition:
    """A condition some step of the nightly run found, that calls for a task.

    `holds`: the clients for whom it holds on D (their open task of this kind and code
    stays open; any other open one closes itself as cleared). `raise_for`: those who
    get a new task when none is open (None: every client in `holds`). `details`: the
    values shown under the title, per client (optional). `due_days`: the task is due
    that many days after D.
    """

    kind: str
    code: str
    holds: frozenset
    due_days: int
    raise_for: frozenset | None = None
    details: dict = field(default_factory=dict)


@dataclass
class TaskPlan:
    """What the task step will write when the run swaps in: new tasks, tasks to close."""

    new: list
    cleared: list


def tasks_plan(
    *, branch_id: int, as_of: date, conditions: Sequence[TaskCondition], owners
) -> TaskPlan:
    """Decide the generated tasks of a run: one per condition without an open task, and
    the open generated tasks whose condition no longer holds (closed as cleared).

    `owners`: the advisor id of each client (a mapping or pandas Series; missing or
    null: no owner). Titles are the clients app's own words (`Task.display_title`);
    the stored title is the same words in the default language.
    """
    open_tasks = {
        (client_id, kind, code): pk
        for pk, client_id, kind, code in Task.objects.filter(
            branch_id=branch_id, status=TaskStatus.OPEN, kind__in=GENERATED_KINDS
        ).values_list("pk", "client_id", "kind", "code")
    }
    holding: set[tuple] = set()
    new: list[Task] = []
    for condition in conditions:
        holds = condition.holds
        raise_for = holds if condition.raise_for is None else condition.raise_for
        holding.update((c, condition.kind, condition.code) for c in holds)
        title = generated_task_title(condition.kind, condition.code, default=True)
        for client_id in sorted(raise_for):
            if (client_id, condition.kind, condition.code) in open_tasks:
                continue
            owner = owners.get(client_id)
            new.append(
                Task(
                    branch_id=branch_id,
                    client_id=int(client_id),
                    owner_id=None if owner is None or owner != owner else int(owner),
                    kind=condition.kind,
                    code=condition.code,
                    title=title[:200],
                    detail=condition.details.get(client_id, ""),
                    due_date=as_of + timedelta(condition.due_days),
                    raised_on=as_of,
                )
            )
    cleared = sorted(pk for key, pk in open_tasks.items() if key not in holding)
    return TaskPlan(new=new, cleared=cleared)


def tasks_apply(plan: TaskPlan) -> dict:
    """Write a task plan (inside the run's swap transaction): raise and clear tasks."""
    # ignore_conflicts: a task opened since the plan read them is not doubled.
    Task.objects.bulk_create(plan.new, ignore_conflicts=True)
    cleared = 0
    now = timezone.now()
    for start in range(0, len(plan.cleared), 5000):
        cleared += Task.objects.filter(
            pk__in=plan.cleared[start : start + 5000], status=TaskStatus.OPEN
        ).update(status=TaskStatus.CLEARED, completed_at=now)
    return {"tasks_created": len(plan.new), "tasks_cleared": cleared}
