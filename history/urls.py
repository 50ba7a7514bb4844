from django.urls import path

from . import views

app_name = "history"
urlpatterns = [path("", views.trail_view, name="trail")]
