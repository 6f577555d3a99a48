"""microcred_demo: sample programmes and a synthetic cohort through the real signals."""
import io

import pytest
from django.core.management import call_command

from openedx_microcred.models import Credential, Program, ProgramProgress

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_loads_replays_and_summarises(settings):
    settings.MICROCRED_VERIFY_RATE_LIMIT = "100000/m"  # one client opens every page below
    out = io.StringIO()
    call_command("microcred_demo", "--learners", "25", "--seed", "3", "--no-serve", stdout=out)
    text = out.getvalue()
    assert Program.objects.count() == 11
    assert "Loaded 11 programmes." in text
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines()
             if line.split() and Program.objects.filter(program_id=line.split()[0]).exists()}
    assert set(lines) == set(Program.objects.values_list("program_id", flat=True))
    for program_id, (in_progress, complete, issued) in lines.items():
        progress = ProgramProgress.objects.filter(program__program_id=program_id)
        assert int(complete) == progress.filter(complete=True).count()
        assert int(in_progress) == progress.filter(complete=False).count()
        assert int(issued) == Credential.objects.filter(program__program_id=program_id).count()
    assert Credential.objects.count() > 0
    # every credential reached the local webhook registry exactly once, verified by signature
    from openedx_microcred.models import Delivery
    issues = Delivery.objects.filter(action=Delivery.ISSUE)
    assert issues.count() == Credential.objects.count()
    assert set(issues.values_list("status", flat=True)) == {Delivery.DELIVERED}
    credentials = Credential.objects.count()
    assert (f"verified {credentials} issued credentials (0 bad signatures)") in text
    # every demo credential opens at its verification page and verifies
    from django.test import Client

    from openedx_microcred import api

    client = Client()
    for credential in Credential.objects.all():
        assert api.get_verification(credential.uuid).verdict == "valid"
        page = client.get(f"/microcred/verify/{credential.uuid}/")
        assert page.status_code == 200 and b"Valid" in page.content
    # every complete programme has its credential, and only one
    for row in ProgramProgress.objects.filter(complete=True):
        assert Credential.objects.filter(user_id=row.user_id, program=row.program).count() == 1


def test_demo_is_deterministic():
    call_command("microcred_demo", "--learners", "15", "--seed", "9", "--no-serve",
                 stdout=io.StringIO())
    first = sorted(Credential.objects.values_list("user__username", "program__program_id"))
    Credential.objects.all().delete()
    ProgramProgress.objects.all().delete()
    from openedx_microcred.models import CourseCompletion
    CourseCompletion.objects.all().delete()
    call_command("microcred_demo", "--learners", "15", "--seed", "9", "--no-serve",
                 stdout=io.StringIO())
    second = sorted(Credential.objects.values_list("user__username", "program__program_id"))
    assert first == second and first
