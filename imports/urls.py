from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list_view, name="list"),
    path("upload/", views.upload_view, name="upload"),
    path("<int:pk>/", views.batch_detail_view, name="detail"),
    path("<int:pk>/confirm/", views.confirm_view, name="confirm"),
    path("<int:pk>/progress/", views.progress_view, name="progress"),
    path("<int:pk>/report.csv", views.report_view, name="report"),
]
