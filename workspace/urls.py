from django.urls import path

from . import views

urlpatterns = [
    path("", views.today, name="home"),
    path("book/", views.book, name="book"),
    path("book/export.<str:fmt>", views.book_export, name="book-export"),
    path("book/filters/", views.saved_filter_create, name="saved-filter-create"),
    path(
        "book/filters/<int:pk>/delete/",
        views.saved_filter_remove,
        name="saved-filter-delete",
    ),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path(
        "clients/<int:pk>/reveal/<str:field>/",
        views.client_reveal,
        name="client-reveal",
    ),
    path(
        "clients/<int:pk>/section/<str:section>/",
        views.client_section,
        name="client-section",
    ),
    path(
        "clients/<int:pk>/interactions/",
        views.interaction_create,
        name="interaction-create",
    ),
    path(
        "clients/<int:pk>/relationship/",
        views.relationship_set,
        name="relationship-set",
    ),
    path(
        "clients/<int:pk>/household/", views.household_create, name="household-create"
    ),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("tasks/<int:pk>/snooze/", views.task_snooze, name="task-snooze"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag-resolve"),
    path("households/", views.households, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/members/", views.household_add, name="household-add"),
    path(
        "households/<int:pk>/members/<int:client_pk>/remove/",
        views.household_remove,
        name="household-remove",
    ),
]
