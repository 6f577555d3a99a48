"""
Stand-ins for the few LMS tables the plugin's standalone backend reads.

``UserPreference`` has the shape of edx-platform's ``user_api.UserPreference``: the LMS language
selector stores the learner's language there under ``pref-lang`` (``zh-cn``, ``en``…).
"""
from django.conf import settings
from django.db import models


class UserPreference(models.Model):
    """A learner's preference, by key (edx-platform's table shape)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="preferences")
    key = models.CharField(max_length=255)
    value = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="sandbox_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}={self.value}"
