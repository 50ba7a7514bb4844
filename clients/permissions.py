"""Who may do what (SPEC §1): one named predicate per question, no role checks elsewhere.

Which rows a user reaches is `clients.selectors.client_scope(user)`; these predicates
answer "may this user do this". Head office reads every branch and writes nothing; a
branch admin writes inside their own branch only and grants at most the manager role;
rows that belong to no branch (catalogue items offered everywhere) are written by a
superuser only.
"""

from advisors.models import Role

# The roles a branch admin may give to the branch's users.
BRANCH_GRANTABLE_ROLES = (Role.ADVISOR, Role.MANAGER)
# The roles that work inside one branch.
BRANCH_ROLES = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def sees_every_branch(user) -> bool:
    """Reads every branch's rows (a superuser, head office)."""
    return _signed_in(user) and (user.is_superuser or user.role == Role.HEAD_OFFICE)


def may_write(user) -> bool:
    """Changes anything at all: head office (and anyone without a branch) only reads."""
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    return user.role in BRANCH_ROLES and user.branch_id is not None


def may_edit_branch_row(user, branch_id) -> bool:
    """Writes a row of branch `branch_id` (None: a row every branch shares)."""
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    return branch_id is not None and branch_id == user.branch_id


def may_grant_role(user, role) -> bool:
    """Gives `role` to a user: a branch admin at most the manager role."""
    if not may_write(user):
        return False
    if user.is_superuser:
        return True
    return user.role == Role.ADMIN and role in BRANCH_GRANTABLE_ROLES


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
