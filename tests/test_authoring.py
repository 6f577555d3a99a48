"""Drafts, publishing, retiring, org roles and the operator commands (below the REST layer)."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from openedx_microcred import api, platform
from openedx_microcred.models import Credential, OrgRole, Program, ProgramVersion, PublishJob
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"


def xml(program_id="p1", credits="2", org="DemoX"):
    return program_xml(program_id, f'<course key="{A}" credits="{credits}">A</course>', org=org)


def test_a_draft_is_edited_in_place_until_published():
    api.import_program(xml(), publish=False)
    api.import_program(xml(credits="3"), publish=False)
    api.import_program(xml(credits="4"), publish=False)
    assert list(ProgramVersion.objects.values_list("number", "status")) == [(1, "draft")]
    assert 'credits="4"' in api.export_program("p1")
    api.publish_program(program_id="p1")
    api.import_program(xml(credits="5"), publish=False)
    assert list(ProgramVersion.objects.values_list("number", "status")) == [
        (1, "published"), (2, "draft")]
    assert Program.objects.get().published_version.number == 1


def test_import_with_publish_keeps_working_for_existing_callers():
    assert api.import_program(xml()) == "p1"
    assert Program.objects.get().status == "published"
    assert not PublishJob.objects.exists()  # the Python API publishes without a job


def test_reimporting_under_another_org_is_refused():
    api.import_program(xml())
    with pytest.raises(api.ProgramDefinitionError) as error:
        api.import_program(xml(credits="3", org="OtherX"))
    assert "belongs to org 'DemoX'" in str(error.value)
    assert error.value.path == "/org"
    program = Program.objects.get()
    assert program.org == "DemoX" and program.versions.count() == 1


def test_a_retired_programme_issues_nothing_new(make_user):
    api.import_program(program_xml("p1", f'<course key="{A}">A</course>'
                                         f'<course key="{B}">B</course>'))
    earned, late = make_user("earned"), make_user("late")
    for user in (earned, late):
        send_passing(user.pk, A, time=utc(2026, 1, 5))
    send_passing(earned.pk, B, time=utc(2026, 1, 6))
    api.retire_program(program_id="p1")
    send_passing(late.pk, B, time=utc(2026, 1, 7))
    call_command("microcred_backfill", "--program", "p1", "--no-progress", stdout=StringIO())
    assert list(Credential.objects.values_list("user__username", flat=True)) == ["earned"]
    assert Credential.objects.get().status == Credential.AWARDED
    with pytest.raises(api.ProgramRetired):
        api.import_program(xml(credits="9"))


def test_org_roles_in_the_standalone_backend(make_user):
    author, viewer, staff = make_user("a"), make_user("v"), make_user("s", is_staff=True)
    OrgRole.objects.create(user=author, org="DemoX", role="author")
    OrgRole.objects.create(user=viewer, org="DemoX", role="viewer")
    assert [platform.org_role(u, "DemoX") for u in (author, viewer, staff)] == [
        "author", "viewer", "author"]
    assert platform.org_role(author, "OtherX") is None
    assert platform.can_write_course(author, A) and not platform.can_write_course(viewer, A)
    assert not platform.can_write_course(author, "course-v1:OtherX+Z+1")
    author.is_active = False
    assert platform.org_role(author, "DemoX") is None


def test_microcred_grant(make_user):
    make_user("carol")
    out = StringIO()
    call_command("microcred_grant", "carol", "DemoX", stdout=out)
    assert "carol is author of DemoX" in out.getvalue()
    call_command("microcred_grant", "carol", "DemoX", "--role", "viewer", stdout=StringIO())
    assert OrgRole.objects.get().role == "viewer"
    call_command("microcred_grant", "carol", "DemoX", "--revoke", stdout=StringIO())
    assert not OrgRole.objects.exists()
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("microcred_grant", "nobody", "DemoX", stdout=StringIO())


def test_microcred_import_and_export(tmp_path, make_user):
    learner = make_user("early")
    send_passing(learner.pk, A, time=utc(2026, 1, 5))
    base = tmp_path / "base.xml"
    base.write_text(xml("base"))
    stacked = tmp_path / "stacked.xml"
    stacked.write_text(program_xml("stacked", '<program ref="base"/>'))
    out = StringIO()
    call_command("microcred_import", str(stacked), str(base), stdout=out)
    assert "base: v1 draft" in out.getvalue() and "stacked: v1 draft" in out.getvalue()
    assert not Credential.objects.exists()
    out = StringIO()
    call_command("microcred_import", str(stacked), str(base), "--publish", stdout=out)
    assert "publish job" in out.getvalue()
    assert set(Credential.objects.values_list("program__program_id", flat=True)) == {
        "base", "stacked"}
    assert PublishJob.objects.filter(status="done").count() == 2
    out = StringIO()
    call_command("microcred_export", "base", "--version", "1", stdout=out)
    assert out.getvalue() == api.export_program("base")
    with pytest.raises(CommandError, match="unknown programme"):
        call_command("microcred_export", "base", "--version", "7", stdout=StringIO())


def test_microcred_import_reports_every_error_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(program_xml("p", f'\n<course key="{A}" credits="-1"/>\n<course runs="x"/>'))
    with pytest.raises(CommandError) as error:
        call_command("microcred_import", str(bad), stdout=StringIO())
    assert f"{bad}:2: credits '-1' on <course> must not be negative" in str(error.value)
    assert f"{bad}:3:" in str(error.value)
    assert not Program.objects.exists()


def test_a_publish_job_runs_once_whatever_the_redeliveries(make_user):
    from openedx_microcred import backfill

    learner = make_user("early")
    send_passing(learner.pk, A, time=utc(2026, 1, 5))
    api.import_program(xml(), publish=False)
    job = api.publish_program(program_id="p1")
    done = PublishJob.objects.get(pk=job.id)
    assert (done.status, done.learners_total, done.learners_done, done.issued) == \
        ("done", 1, 1, 1)
    backfill.run_publish_job(job.id)  # a redelivered task message
    again = PublishJob.objects.get(pk=job.id)
    assert (again.learners_done, again.issued, again.finished_at) == \
        (1, 1, done.finished_at)
    assert Credential.objects.count() == 1
