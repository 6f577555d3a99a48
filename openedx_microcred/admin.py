"""Django admin: operators inspect programmes, completions, progress and credentials."""
from django.contrib import admin

from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    ExternalAchievement,
    Program,
    ProgramProgress,
    ProgramVersion,
    RejectedEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the plugin itself: visible, not hand-edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ("program_id", "org", "published_version", "created")
    search_fields = ("program_id", "org")


@admin.register(ProgramVersion)
class ProgramVersionAdmin(ReadOnlyAdmin):
    list_display = ("program", "number", "status", "title", "credits", "published_at")
    list_filter = ("status",)
    search_fields = ("program__program_id", "title")


@admin.register(CourseCompletion)
class CourseCompletionAdmin(ReadOnlyAdmin):
    list_display = ("user_id", "course_key", "passing", "passed_at", "grade", "certificate_status")
    search_fields = ("course_key", "user__username")
    raw_id_fields = ("user",)


@admin.register(ExternalAchievement)
class ExternalAchievementAdmin(admin.ModelAdmin):
    list_display = ("user_id", "external_id", "achieved_at", "source")
    search_fields = ("external_id", "user__username")
    raw_id_fields = ("user",)


@admin.register(ProgramProgress)
class ProgramProgressAdmin(ReadOnlyAdmin):
    list_display = ("user_id", "program", "complete", "credits_earned", "evaluated_at")
    list_filter = ("complete",)
    raw_id_fields = ("user",)


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "user_id", "program", "status", "issued_at", "credits_earned")
    list_filter = ("status",)
    search_fields = ("uuid", "program__program_id", "user__username")
    raw_id_fields = ("user",)


@admin.register(RejectedEvent)
class RejectedEventAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "event_id", "reason", "received_at")
    list_filter = ("event_type",)


@admin.register(BackfillCheckpoint)
class BackfillCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_user_id", "updated")
