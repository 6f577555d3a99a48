"""Django admin: operators inspect programmes, completions, progress and credentials.

Every action declares the permission its effect needs (``@admin.action(permissions=…)``):
Django then hides it from, and refuses it to, staff without that permission (a view-only
operator can inspect but not revoke, re-send or make a signed outbound request). Rows the
plugin writes are neither added, changed nor deleted by hand: deleting a credential, a key, a
status list or an outbox row would break what was signed or promised to a registry.
"""
from typing import Any

import django
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import api, delivery, encryption, evaluation, eventtime, monitoring, registries, tasks
from .models import (
    BackfillCheckpoint,
    CourseCompletion,
    Credential,
    Delivery,
    EmailOptOut,
    ExternalAchievement,
    IssuerKey,
    Notification,
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

# Django 5 asks URL fields to say which scheme a bare host means; Django 4.2 has no such option.
_ASSUME_HTTPS: dict[str, Any] = {"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}

#: The reason an admin revocation publishes (verification page, registries): no staff identity.
PUBLIC_REVOCATION_REASON = "revoked by the issuer"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the plugin itself: visible, not hand-edited nor deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _has_model_permission(request, action: str, model) -> bool:
    """Whether the user holds Django's ``<action>_<model>`` permission (superusers hold all)."""
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


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


class WithdrawForm(forms.Form):
    """The reason staff give when withdrawing external achievements."""

    reason = forms.CharField(label=_("Reason"), max_length=255)


class ExternalAchievementForm(forms.ModelForm):
    """Staff-entered achievements meet the rules events do: a plausible date (``eventtime``)."""

    evidence_url = forms.URLField(required=False, max_length=1000, **_ASSUME_HTTPS)

    class Meta:
        model = ExternalAchievement
        fields = ["user", "external_id", "achieved_at", "evidence_url", "source"]

    def clean_achieved_at(self):
        when = self.cleaned_data["achieved_at"]
        try:
            return eventtime.check(when)
        except eventtime.ImplausibleTime as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(ExternalAchievement)
class ExternalAchievementAdmin(admin.ModelAdmin):
    form = ExternalAchievementForm
    list_display = ("user_id", "external_id", "achieved_at", "source", "withdrawn_at")
    list_filter = ("source", ("withdrawn_at", admin.EmptyFieldListFilter))
    search_fields = ("external_id", "user__username")
    raw_id_fields = ("user",)
    readonly_fields = ("withdrawn_at", "withdrawn_by", "withdrawal_reason")
    actions = ["withdraw_selected"]

    def has_delete_permission(self, request, obj=None):
        # Withdraw instead: the row is the audit trail, and withdrawing re-evaluates.
        return False

    @admin.action(description=_("Withdraw the selected achievements"), permissions=["change"])
    def withdraw_selected(self, request, queryset):
        """Ask for a reason, then withdraw each achievement (audit trail, re-evaluation)."""
        form = WithdrawForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(request, "admin/openedx_microcred/withdraw.html", {
                **self.admin_site.each_context(request), "title": _("Withdraw achievements"),
                "form": form, "queryset": queryset, "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME})
        withdrawn = sum(
            api.withdraw_external_achievement(
                user_id=row.user_id, external_id=row.external_id,
                reason=form.cleaned_data["reason"], withdrawn_by=request.user.get_username())
            for row in queryset)
        self.message_user(request, ngettext("%d achievement withdrawn.",
                                            "%d achievements withdrawn.", withdrawn) % withdrawn,
                          messages.SUCCESS)
        return None


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
        """Revoke each awarded credential: status-list bit set, list re-signed, programmes
        stacking on it re-evaluated.

        The public reason (page, registries) names no one; who revoked it is the internal note.
        """
        note = f"revoked by {request.user.get_username()} in the Django admin"
        outcomes = [evaluation.revoke_credential(credential.pk, reason=PUBLIC_REVOCATION_REASON,
                                                 note=note)
                    for credential in queryset]
        # Stacked credentials revoked with them are dispatched too.
        revoked_ids = [pk for outcome in outcomes for pk in outcome.credential_ids]
        # After the request's transaction (ATOMIC_REQUESTS) commits, when there is one.
        transaction.on_commit(lambda: tasks.dispatch_credential_work(revoked_ids))
        revoked = sum(bool(outcome.credential_ids) for outcome in outcomes)
        self.message_user(request, ngettext("%d credential revoked.", "%d credentials revoked.",
                                            revoked) % revoked, messages.SUCCESS)
        for org in sorted(set(StatusList.objects.filter(
                signature_pending=True, credentials__pk__in=revoked_ids)
                .values_list("org", flat=True))):
            self.message_user(request, _(
                "The revocation is recorded, but the status list of %(org)s awaits its "
                "signature: %(problem)s. The periodic sweep signs it once the key is "
                "available.") % {"org": org, "problem": str(encryption.DecryptionError(
                    IssuerKey(org=org).secret_label))}, messages.WARNING)

    def has_revoke_permission(self, request):
        """Revoking changes the credential (and tells every registry): ``change_credential``."""
        return _has_model_permission(request, "change", Credential)


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
    has_delete_permission = admin.ModelAdmin.has_delete_permission  # clearing them is harmless


@admin.register(BackfillCheckpoint)
class BackfillCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_user_id", "updated")
    has_delete_permission = admin.ModelAdmin.has_delete_permission  # deleting restarts a backfill




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

    @admin.action(description=_("Test the selected connections"), permissions=["change"])
    def test_connection(self, request, queryset):
        """A cheap authenticated request per connection; the result as a message.

        It sends a request signed with the stored secret: only staff who may change the
        connection (``change_registryconnection``) may make it.
        """
        for connection in queryset:
            try:
                with delivery.build_client(connection) as client:
                    client.test_connection()
            except (registries.RegistryError, encryption.DecryptionError) as error:
                self.message_user(request, f"{connection.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{connection.name}: OK", messages.SUCCESS)


#: Who may open the operations overview: what it shows, they may view anyway.
OVERVIEW_PERMISSIONS = ("openedx_microcred.view_delivery", "openedx_microcred.view_rejectedevent",
                        "openedx_microcred.view_issuerkey", "openedx_microcred.view_statuslist")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Deliveries, and the operations overview page (``…/delivery/overview/``)."""

    list_display = ("pk", "credential", "connection", "action", "status", "attempts",
                    "next_attempt_at", "last_status_code", "short_error")
    list_filter = ("status", "action", "connection")
    search_fields = ("credential__uuid", "external_id", "last_error")
    actions = ["redeliver"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        """The error and the start of the registry's reason (the row's page shows all of it)."""
        text = obj.last_error
        return text if len(text) <= 240 else text[:240] + "…"

    @admin.action(description=_("Redeliver the selected dead letters"),
                  permissions=["redeliver"])
    def redeliver(self, request, queryset):
        """Dead letters go back to the queue with a fresh attempt budget."""
        ids = list(queryset.filter(status=Delivery.DEAD).values_list("pk", flat=True))
        count = delivery.redeliver(ids)
        for delivery_id in ids:
            tasks.deliver.apply_async(args=(delivery_id,))
        self.message_user(request, ngettext("%d delivery queued again.",
                                            "%d deliveries queued again.", count) % count,
                          messages.SUCCESS)

    def get_urls(self):
        overview = path("overview/", self.admin_site.admin_view(self.overview_view),
                        name="openedx_microcred_overview")
        return [overview, *super().get_urls()]

    def overview_view(self, request):
        """Staff with every permission in OVERVIEW_PERMISSIONS: the ``microcred_status`` data."""
        if not request.user.has_perms(OVERVIEW_PERMISSIONS):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request),
                   "title": _("Micro-credentials: operations overview"),
                   "overview": monitoring.overview(), "opts": self.model._meta}
        return TemplateResponse(request, "admin/openedx_microcred/overview.html", context)

    def has_redeliver_permission(self, request):
        """Re-sending a credential to a registry changes the outbox row: ``change_delivery``."""
        return _has_model_permission(request, "change", Delivery)

@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What each learner was emailed, and when (the address and text are not stored)."""

    list_display = ("pk", "credential", "kind", "status", "attempts", "language", "sent_at",
                    "last_error")
    list_filter = ("status", "kind")
    search_fields = ("credential__uuid",)


@admin.register(EmailOptOut)
class EmailOptOutAdmin(ReadOnlyAdmin):
    """Learners who unsubscribed through an email's link (delete a row to subscribe again)."""

    list_display = ("user", "created")
    raw_id_fields = ("user",)
    search_fields = ("user__username",)
