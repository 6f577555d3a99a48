"""Django admin: operators inspect programmes, completions, progress and credentials."""
from typing import Any

import django
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import delivery, encryption, issuance, registries, tasks
from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    Delivery,
    ExternalAchievement,
    IssuerKey,
    OrgRole,
    Program,
    ProgramProgress,
    ProgramVersion,
    PublishJob,
    RegistryConnection,
    RegistryProgramMapping,
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
    list_display = ("program_id", "org", "published_version", "retired_at", "created")
    search_fields = ("program_id", "org")


@admin.register(ProgramVersion)
class ProgramVersionAdmin(ReadOnlyAdmin):
    list_display = ("program", "number", "status", "title", "credits", "published_at")
    list_filter = ("status",)
    search_fields = ("program__program_id", "title")


@admin.register(OrgRole)
class OrgRoleAdmin(admin.ModelAdmin):
    """Course-team roles of the standalone platform backend (inside Open edX: the platform's)."""

    list_display = ("user", "org", "role", "created")
    list_filter = ("role",)
    search_fields = ("user__username", "org")
    raw_id_fields = ("user",)


@admin.register(PublishJob)
class PublishJobAdmin(ReadOnlyAdmin):
    list_display = ("program", "version", "status", "learners_done", "learners_total", "issued",
                    "created", "finished_at")
    list_filter = ("status",)


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
        revoked_ids = [credential.pk for credential in queryset
                       if issuance.revoke(credential, reason=reason)]
        tasks.dispatch_deliveries(revoked_ids)
        revoked = len(revoked_ids)
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


# Django 5 asks URL fields to say which scheme a bare host means; Django 4.2 has no such option.
_ASSUME_HTTPS: dict[str, Any] = {"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}


class RegistryConnectionForm(forms.ModelForm):
    """The secret is write-only: never rendered back; left blank, the stored one is kept."""

    base_url = forms.URLField(required=False, max_length=500, **_ASSUME_HTTPS,
                              help_text=_("API root; empty for the registry's default host."))

    secret = forms.CharField(
        required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text=_("API token, OAuth client secret (JSON for Parchment) or webhook signing key. "
                    "Stored encrypted; leave blank to keep the current one."))

    class Meta:
        model = RegistryConnection
        fields = ["name", "kind", "base_url", "secret", "options", "all_programs", "active",
                  "rate_limit"]

    def save(self, commit=True):
        connection = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            connection.encrypted_secret = encryption.encrypt_text(self.cleaned_data["secret"])
        if commit:
            connection.save()
        return connection


class RegistryProgramMappingInline(admin.TabularInline):
    model = RegistryProgramMapping
    extra = 0
    raw_id_fields = ("program",)


@admin.register(RegistryConnection)
class RegistryConnectionAdmin(admin.ModelAdmin):
    form = RegistryConnectionForm
    list_display = ("name", "kind", "active", "all_programs", "rate_limit", "created")
    list_filter = ("kind", "active")
    inlines = [RegistryProgramMappingInline]
    actions = ["test_connection"]

    @admin.action(description=_("Test the selected connections"))
    def test_connection(self, request, queryset):
        """A cheap authenticated request per connection; the result as a message."""
        for connection in queryset:
            try:
                with delivery.build_client(connection) as client:
                    client.test_connection()
            except registries.RegistryError as error:
                self.message_user(request, f"{connection.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{connection.name}: OK", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "credential", "connection", "action", "status", "attempts",
                    "next_attempt_at", "last_status_code", "short_error")
    list_filter = ("status", "action", "connection")
    search_fields = ("credential__uuid", "external_id", "last_error")
    actions = ["redeliver"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    @admin.action(description=_("Redeliver the selected dead letters"))
    def redeliver(self, request, queryset):
        """Dead letters go back to the queue with a fresh attempt budget."""
        ids = list(queryset.filter(status=Delivery.DEAD).values_list("pk", flat=True))
        count = delivery.redeliver(ids)
        for delivery_id in ids:
            tasks.deliver.apply_async(args=(delivery_id,))
        self.message_user(request, ngettext("%d delivery queued again.",
                                            "%d deliveries queued again.", count) % count,
                          messages.SUCCESS)
