from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("", views.kpi_home, name="home"),
    path("branch/", views.branch_overview, name="branch"),
    path("advisors/<int:pk>/", views.scorecard, name="scorecard"),
    path("ranking/", views.ranking, name="ranking"),
    path("branches/", views.branches, name="branches"),
    path("reassign/", views.reassign, name="reassign"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/merge/", views.merge_preview, name="merge"),
    path("duplicates/merge/confirm/", views.merge_confirm, name="merge-confirm"),
]
