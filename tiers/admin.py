"""Admin pages: scoring policy versions (edited with validation), runs, scores."""

from django.contrib import admin

from brokercrm.admin import BranchScopedAdmin

from .forms import ScoringPolicyForm
from .models import ClientScore, ScoreRun, ScoringPolicy
from .services import runs_expire, scoring_policy_save


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(BranchScopedAdmin):
    """Saving, whether adding or changing, writes the branch's next version."""

    form = ScoringPolicyForm
    list_display = ["branch", "version", "note", "created_by", "created_at"]
    list_filter = ["branch"]
    readonly_fields = ["version", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        saved = scoring_policy_save(
            branch=obj.branch, data=obj.data, user=request.user, note=obj.note
        )
        # The admin's messages and log entry then name the new version.
        obj.pk, obj.version, obj.created_at = saved.pk, saved.version, saved.created_at
        obj.created_by = saved.created_by

    def has_delete_permission(self, request, obj=None):
        return False  # runs name the version they used: keep every one


@admin.register(ScoreRun)
class ScoreRunAdmin(BranchScopedAdmin):
    list_display = [
        "branch",
        "date",
        "status",
        "policy_version",
        "clients",
        "open_clients",
        "flags_raised",
        "alerts",
        "tasks_created",
        "duration_s",
        "started_at",
    ]
    list_filter = ["status", "branch"]
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        runs_expire()  # a run whose process died shows as failed, to run again
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClientScore)
class ClientScoreAdmin(BranchScopedAdmin):
    list_display = [
        "client",
        "date",
        "tier",
        "value_score",
        "segment",
        "maturity_stage",
        "churn_flags",
        "alerts",
    ]
    list_filter = ["tier", "segment", "maturity_stage"]
    search_fields = ["client__client_no", "client__name"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "run"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
