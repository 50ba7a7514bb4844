"""Branches, the people who sign in, and the advisors whose books the clients are in."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class BranchManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Branch(models.Model):
    """A brokerage branch (营业部): the unit every piece of client data belongs to."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BranchManager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "branches"

    def __str__(self):
        return f"{self.code} {self.name}"

    def natural_key(self):
        """`loaddata` finds a branch by its code (fixtures/)."""
        return (self.code,)


class Role(models.TextChoices):
    ADVISOR = "advisor", _("Advisor")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")
    HEAD_OFFICE = "head_office", _("Head office")


class User(AbstractUser):
    """A person who signs in; the role and branch decide what they may see."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADVISOR)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="head_office") | models.Q(branch__isnull=False),
                name="user_branch_required_unless_head_office",
            )
        ]

    @property
    def is_advisor(self) -> bool:
        return self.role == Role.ADVISOR

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_branch_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_head_office(self) -> bool:
        return self.role == Role.HEAD_OFFICE


class Team(models.Model):
    """A team of advisors within a branch (团队)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["branch", "name"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="team_unique_name")
        ]

    def __str__(self):
        return self.name


class Advisor(models.Model):
    """An employee of the branch (客户经理/经纪人) as the back office knows them."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="advisors"
    )
    employee_no = models.CharField(max_length=32)
    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="advisors"
    )
    role = models.CharField(
        max_length=16,
        choices=[
            (Role.ADVISOR, Role.ADVISOR.label),
            (Role.MANAGER, Role.MANAGER.label),
            (Role.ADMIN, Role.ADMIN.label),
        ],
        default=Role.ADVISOR,
    )
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="advisor"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["branch", "employee_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "employee_no"], name="advisor_unique_employee_no"
            )
        ]

    def __str__(self):
        return f"{self.employee_no} {self.name}"


class BookShare(models.Model):
    """Lets a user (an assistant) work a colleague's book of clients."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="book_shares")
    advisor = models.ForeignKey(
        Advisor, on_delete=models.CASCADE, related_name="shared_with"
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "advisor"], name="book_share_unique"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.advisor}"


class ApiToken(models.Model):
    """A named key a user made for another system to call the API as them.

    Only a SHA-256 of the key is stored: the key itself is shown once, when made.
    A revoked token, or any token of a deactivated user, is refused at once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
