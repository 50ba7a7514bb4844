from django.urls import path

from . import views

urlpatterns = [
    path("kpis/", views.KpiView.as_view(), name="api-kpis"),
    path("reassignments/", views.ReassignView.as_view(), name="api-reassign"),
    path("duplicates/", views.DuplicatesView.as_view(), name="api-duplicates"),
    path("duplicates/merge/", views.MergeView.as_view(), name="api-merge"),
]
