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


def test_demo_as_a_newcomer_meets_it(settings, client):
    """Signed URLs follow --addrport, one printed login works, the home page links to every
    page, and --no-serve leaves no registry connection pointing at the closed receiver."""
    import re

    from django.core import mail

    from openedx_microcred.models import Notification, RegistryConnection

    settings.MICROCRED_VERIFY_RATE_LIMIT = "100000/m"
    before = settings.LMS_ROOT_URL
    out = io.StringIO()
    call_command("microcred_demo", "--learners", "12", "--seed", "5", "--no-serve",
                 "--addrport", "127.0.0.1:8765", stdout=out)
    text = out.getvalue()
    assert before == settings.LMS_ROOT_URL  # the address was the command's, not the process's
    documents = list(Credential.objects.values_list("document", flat=True))
    assert documents
    for document in documents:
        assert document["id"].startswith("http://127.0.0.1:8765/microcred/credentials/")
        assert document["issuer"]["id"].startswith("did:web:127.0.0.1%3A8765:microcred:")
        assert document["credentialSubject"]["achievement"]["id"].startswith(
            "http://127.0.0.1:8765/microcred/programmes/")
    assert "Verify one: http://127.0.0.1:8765/microcred/verify/" in text
    assert not RegistryConnection.objects.filter(active=True).exists()
    assert RegistryConnection.objects.get(name="demo-webhook").active is False

    # Learner emails went out once per credential, some in Chinese.
    assert Notification.objects.filter(status="sent").count() == len(documents)
    assert len(mail.outbox) == len(documents)
    assert f"Learner emails: {len(documents)} sent" in text
    assert any("您已获得证书" in message.subject for message in mail.outbox)

    match = re.search(r"username (\S+)  password (\S+)", text)
    assert match, text
    username, password = match.groups()
    held = Credential.objects.filter(user__username=username).count()
    assert held == max(Credential.objects.filter(user__username=other).count()
                       for other in Credential.objects.values_list("user__username", flat=True))
    assert client.get("/microcred/").status_code == 302  # a login is needed
    assert client.post("/accounts/login/", {"username": username, "password": "wrong"}
                       ).status_code == 200
    signed_in = client.post("/accounts/login/", {"username": username, "password": password})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/microcred/"
    assert client.get("/microcred/").status_code == 200

    home = client.get("/").content.decode()
    for href in ("/microcred/", "/microcred/programmes/", "/admin/",
                 "/microcred/programmes/pku-programming-algorithms/"):
        assert f'href="{href}"' in home, href
    sample = Credential.objects.order_by("pk").first()
    assert f'href="/microcred/verify/{sample.uuid}/"' in home
    assert "signed in as " + username in home


def test_demo_refuses_a_bad_address():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="HOST:PORT"):
        call_command("microcred_demo", "--no-serve", "--addrport", "8000", stdout=io.StringIO())
