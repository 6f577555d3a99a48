"""The admin's operations overview in a real headless Chromium: a staff member with the view
permissions signs in, follows the link from the app index and reads what needs attention."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from openedx_microcred import api, delivery
from openedx_microcred.models import Delivery, IssuerKey, RejectedEvent
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from ..registries.fakes import WEBHOOK_SECRET, FakeWebhookReceiver, rejected
from .support import shot
from .test_verify_chromium import page  # noqa: F401  (shared fixture)

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+OPS1+2026"
PASSWORD = "a-long-test-password-9"  # noqa: S105


@pytest.fixture
def troubled(site, make_user, settings):  # noqa: F811
    """A dead letter, a rejected event, a year-old key and a sweep that never ran."""
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0
    delivery._CLIENTS.clear()
    api.import_program(program_xml("ops", f'<course key="{A}" credits="2">Operations</course>'))
    with FakeWebhookReceiver().running() as receiver:
        api.configure_registry(kind="webhook", name="partner-hook", base_url=receiver.url,
                               secret=WEBHOOK_SECRET)
        receiver.fail_next(rejected(422))
        send_passing(make_user("mei").pk, A, time=utc(2026, 3, 1))
    RejectedEvent.objects.create(event_type="org.openedx.learning.badge.awarded.v1",
                                 reason="the badge template id is longer than 255 characters")
    IssuerKey.objects.update(created=timezone.now() - timedelta(days=380))
    assert Delivery.objects.get().status == Delivery.DEAD
    delivery._CLIENTS.clear()


def test_staff_with_view_permissions_reads_the_overview(page, site, troubled,  # noqa: F811
                                                        make_user):
    staff = make_user("operator", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="openedx_microcred",
        codename__in=["view_delivery", "view_rejectedevent", "view_issuerkey",
                      "view_statuslist"]))
    page.goto(f"{site}/admin/login/?next=/admin/openedx_microcred/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/openedx_microcred/")
    shot(page, "admin-app-index-overview-link")
    page.get_by_role("link", name="Operations overview").click()
    page.wait_for_url("**/admin/openedx_microcred/delivery/overview/")
    title = page.get_by_role("heading", name="Micro-credentials: operations overview")
    expect(title).to_be_visible()
    notes = page.locator("ul.messagelist li")
    expect(notes.filter(has_text="1 registry delivery is a dead letter")).to_have_count(1)
    expect(notes.filter(has_text="The delivery sweep has never run")).to_have_count(1)
    expect(notes.filter(has_text="1 event was rejected")).to_have_count(1)
    expect(page.get_by_role("table", name="Issuer signing keys")).to_contain_text("380")
    expect(page.get_by_role("table", name="Issuer signing keys")).to_contain_text("DemoX")
    assert WEBHOOK_SECRET not in page.content()
    shot(page, "admin-operations-overview")
