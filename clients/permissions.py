"""May this user do this? Every door (page, API, admin, template) asks this module.

One named predicate per decision, each a plain function of the user (and the object it
is about). Which *rows* a user reaches is decided elsewhere, once: by
`clients.selectors.client_scope`; a predicate about one client asks that scope too, so
the two can never disagree. Roles (SPEC §1):

- advisor: their own book (and books shared with them); works it.
- manager: every client and advisor of the branch; judges, reassigns, approves.
- admin: the branch's data, imports, policy and users (at most manager rights to grant).
- head office: every branch, read-only.
"""

from __future__ import annotations

from advisors.models import Role

from .selectors import in_scope

#: The roles a branch admin may give (never head office, never admin rights above theirs).
BRANCH_GRANTABLE_ROLES = (Role.ADVISOR, Role.MANAGER)
#: The roles that work inside one branch.
BRANCH_ROLES = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _role(user, *roles) -> bool:
    return _active(user) and getattr(user, "role", None) in roles


def _in_branch(user, branch_id) -> bool:
    return branch_id is not None and user.branch_id == branch_id


# --- the user as such ------------------------------------------------------------------


def sees_every_branch(user) -> bool:
    """Reads every branch's rows (a superuser, head office)."""
    return _active(user) and (user.is_superuser or user.role == Role.HEAD_OFFICE)


def is_read_only(user) -> bool:
    """Head office reads every branch and writes nothing (SPEC §1)."""
    return _active(user) and not user.is_superuser and user.role == Role.HEAD_OFFICE


def may_write(user) -> bool:
    """Changes anything at all: head office (and anyone without a branch) only reads."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.role in BRANCH_ROLES and user.branch_id is not None


def may_see_branch_kpis(user) -> bool:
    """Advisor KPIs, rankings, the branch overview, loyalty analytics, the churn model."""
    return _active(user) and (
        user.is_superuser or user.role in (Role.MANAGER, Role.ADMIN, Role.HEAD_OFFICE)
    )


def may_compare_branches(user) -> bool:
    """Head office's side-by-side of every branch."""
    return _active(user) and (user.is_superuser or user.role == Role.HEAD_OFFICE)


def may_import(user) -> bool:
    """Feeding the back office's files in is the branch admin's job (and the superuser's)."""
    return _active(user) and (
        user.is_superuser or (user.role == Role.ADMIN and user.branch_id is not None)
    )


#: Kinds of file whose rows every branch shares (issue #8): a branch may not write them.
SHARED_IMPORT_KINDS = frozenset({"securities", "prices"})


def may_import_kind(user, kind: str) -> bool:
    """Imports a file of `kind`: a branch's own data for whoever may import; securities
    and prices, shared by every branch, only for whoever may edit shared reference data.
    `user` None is the operator's command line (`manage.py import_file`)."""
    if user is None:
        return True
    if kind in SHARED_IMPORT_KINDS:
        return may_edit_shared_reference(user)
    return may_import(user)


def may_see_imports(user) -> bool:
    """The import history: the branch admin's own, head office's every branch."""
    return _active(user) and (
        user.is_superuser
        or user.role == Role.HEAD_OFFICE
        or (user.role == Role.ADMIN and user.branch_id is not None)
    )


def may_reassign_clients(user) -> bool:
    """Moving clients between advisors (one or a whole book) is the manager's call."""
    return _active(user) and (
        user.is_superuser or (user.role == Role.MANAGER and user.branch_id is not None)
    )


def may_merge_clients(user) -> bool:
    """Seeing likely duplicates and merging them: managers and admins of the branch."""
    return _active(user) and (
        user.is_superuser
        or (user.role in (Role.MANAGER, Role.ADMIN) and user.branch_id is not None)
    )


def may_reveal_personal_data(user, client=None) -> bool:
    """Seeing a full ID or phone number (with a typed reason, recorded in the history).

    Of `client`: its own advisor (to call them), a manager of its branch, or someone of
    its branch granted `clients.reveal_personal_data` (an admin fixing a record);
    never head office, nor a colleague the book is merely shared with. Without a
    client: whether the user may reveal anyone's (the reveal control is shown).
    """
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    # The permission is read last, when the role alone does not decide (it costs the
    # user's and their groups' permissions: two queries on the client page).
    if client is None:
        return user.role in (Role.ADVISOR, Role.MANAGER) or user.has_perm(
            "clients.reveal_personal_data"
        )
    if not _in_branch(user, client.branch_id) or not may_see_client(user, client):
        return False
    if user.role == Role.MANAGER:
        return True
    advisor = client.advisor
    if user.role == Role.ADVISOR and advisor is not None and advisor.user_id == user.pk:
        return True
    return user.has_perm("clients.reveal_personal_data")


def may_see_record_history(user) -> bool:
    """A record's history on its page: managers, admins and head office, not advisors."""
    return _active(user) and (
        user.is_superuser or user.role in (Role.MANAGER, Role.ADMIN, Role.HEAD_OFFICE)
    )


def may_search_audit_trail(user) -> bool:
    """The whole audit trail, searched by user, record and date: admins."""
    return _active(user) and (user.is_superuser or user.role == Role.ADMIN)


def may_edit_policy(user) -> bool:
    """The scoring policy, points rules and catalogue of the branch."""
    return _active(user) and (
        user.is_superuser or (user.role == Role.ADMIN and user.branch_id is not None)
    )


def may_edit_shared_reference(user) -> bool:
    """Securities and prices, shared by every branch: only a superuser writes them.

    Branch admins and head office view them; a branch's change would be every
    branch's (issue #8).
    """
    return _active(user) and user.is_superuser


def may_grant_role(user, role) -> bool:
    """Gives `role` to a user: a branch admin at most the manager role."""
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    return user.role == Role.ADMIN and role in BRANCH_GRANTABLE_ROLES


def may_edit_branch_row(user, branch_id) -> bool:
    """Writes a row of branch `branch_id` (None: a row every branch shares).

    Only inside the admin's own branch; rows with no branch (shared by every branch,
    such as head office's catalogue items) are the superuser's alone.
    """
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    return branch_id is not None and branch_id == user.branch_id


def may_manage_user(user, target) -> bool:
    """Edits `target`'s account (role, password, details) or deletes it.

    A branch admin manages the advisors and managers of their own branch: never
    a superuser, another admin (themselves included), head office or another branch.
    """
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.ADMIN
        and not target.is_superuser
        and target.pk != user.pk
        and target.branch_id == user.branch_id
        and target.role in BRANCH_GRANTABLE_ROLES
    )


def may_import_in_admin(user) -> bool:
    """Imports rows through the admin's import action (still confined to the branch)."""
    return may_write(user) and (user.is_superuser or user.role == Role.ADMIN)


# --- the user and one client ------------------------------------------------------------


def may_see_client(user, client) -> bool:
    """The client is in the user's scope (the rule itself lives in client_scope).

    Asked once per user and client object: a page asks several questions about the
    client it shows, each needing this one answer.
    """
    return _active(user) and in_scope(user, client)


def may_work_client(user, client) -> bool:
    """Log a contact, handle a task or flag, set the relationship level, group households."""
    return (
        may_write(user)
        and user.role in (Role.ADVISOR, Role.MANAGER, Role.ADMIN)
        and may_see_client(user, client)
    ) or (_active(user) and user.is_superuser)


def may_redeem_for(user, client) -> bool:
    """Redeem points for a client: the advisor of the book, or the branch's manager/admin."""
    return _role(user, Role.ADVISOR, Role.MANAGER, Role.ADMIN) and may_see_client(
        user, client
    )


def may_adjust_points(user, client) -> bool:
    """Manual points corrections (adjust, reverse) are a manager's of the client's branch."""
    return _role(user, Role.MANAGER) and _in_branch(user, client.branch_id)


def may_approve_adjustment(user, adjustment) -> bool:
    """A large adjustment needs a second manager: never the one who asked for it."""
    return (
        may_adjust_points(user, adjustment.client)
        and adjustment.requested_by_id != user.pk
    )


def may_merge_points(user, client) -> bool:
    """Carrying a duplicate's points over happens in a merge, by the branch's people."""
    return _role(user, Role.MANAGER, Role.ADMIN) and _in_branch(user, client.branch_id)


# --- for templates -----------------------------------------------------------------------


class UserPermissions:
    """`can.<predicate>` in templates for the predicates about the user alone."""

    _NAMES = (
        "sees_every_branch",
        "is_read_only",
        "may_write",
        "may_see_branch_kpis",
        "may_compare_branches",
        "may_import",
        "may_see_imports",
        "may_reassign_clients",
        "may_merge_clients",
        "may_reveal_personal_data",
        "may_edit_policy",
        "may_see_record_history",
        "may_search_audit_trail",
    )

    def __init__(self, user):
        self._user = user
        self._cache: dict[str, bool] = {}

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        key = name if name.startswith(("may_", "is_", "sees_")) else f"may_{name}"
        if key not in self._NAMES:
            raise AttributeError(name)
        if key not in self._cache:
            self._cache[key] = globals()[key](self._user)
        return self._cache[key]
