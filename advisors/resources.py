"""django-import-export resources of the advisors app: column mapping and widgets only."""

from import_export import fields, widgets

from imports.resources import BranchForeignKeyWidget, SafeResource

from .models import Advisor, BookShare, Branch, Team, User


def branch_field():
    return fields.Field(
        attribute="branch",
        column_name="branch",
        widget=widgets.ForeignKeyWidget(Branch, "code"),
    )


class BranchResource(SafeResource):
    class Meta:
        model = Branch
        fields = ("code", "name")
        import_id_fields = ("code",)


class TeamResource(SafeResource):
    branch = branch_field()

    class Meta:
        model = Team
        fields = ("branch", "name")
        import_id_fields = ("branch", "name")


class AdvisorResource(SafeResource):
    branch = branch_field()
    team = fields.Field(
        attribute="team",
        column_name="team",
        widget=BranchForeignKeyWidget(Team, "name"),
    )

    class Meta:
        model = Advisor
        fields = ("branch", "employee_no", "name", "team", "role", "email", "is_active")
        import_id_fields = ("branch", "employee_no")


class UserResource(SafeResource):
    """Users without their password hashes."""

    branch = branch_field()

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "branch",
            "is_active",
            "is_staff",
        )
        import_id_fields = ("username",)


class BookShareResource(SafeResource):
    user = fields.Field(
        attribute="user",
        column_name="user",
        widget=widgets.ForeignKeyWidget(User, "username"),
    )
    advisor = fields.Field(
        attribute="advisor",
        column_name="advisor",
        widget=widgets.ForeignKeyWidget(Advisor, "pk"),
    )

    class Meta:
        model = BookShare
        fields = ("user", "advisor")
        import_id_fields = ("user", "advisor")
