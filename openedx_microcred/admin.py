"""Django admin: operators inspect programmes, completions, progress and credentials."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import issuance
from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    ExternalAchievement,
    IssuerKey,
    Program,
    ProgramProgress,
    ProgramVersion,
    RejectedEvent,
    StatusList,
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
    exclude = ("document", "clr_document")  # public anyway, but too long to show here
    actions = ["revoke_selected"]

    @admin.action(description=_("Revoke the selected credentials"),
                  permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        """Revoke each awarded credential: status-list bit set, list re-signed."""
        reason = f"revoked by {request.user.get_username()}"
        revoked = sum(issuance.revoke(credential, reason=reason) for credential in queryset)
        self.message_user(request, ngettext("%d credential revoked.", "%d credentials revoked.",
                                            revoked) % revoked, messages.SUCCESS)

    def has_revoke_permission(self, request):
        return request.user.has_perm("openedx_microcred.change_credential")


@admin.register(IssuerKey)
class IssuerKeyAdmin(ReadOnlyAdmin):
    """Public halves only: the encrypted private key is never shown."""

    list_display = ("org", "public_key", "active", "created", "retired_at")
    exclude = ("encrypted_private_key",)


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdmin):
    list_display = ("list_id", "org", "purpose", "next_index", "size", "updated")
    exclude = ("bits", "document")


@admin.register(RejectedEvent)
class RejectedEventAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "event_id", "reason", "received_at")
    list_filter = ("event_type",)


@admin.register(BackfillCheckpoint)
class BackfillCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_user_id", "updated")
