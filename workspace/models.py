"""What the workspace keeps of its own: each user's saved book filters."""

from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A named set of the book's filters (the query string), one user's own."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], name="saved_filter_unique_name"
            )
        ]

    def __str__(self):
        return self.name
