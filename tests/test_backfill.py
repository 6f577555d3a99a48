"""microcred_backfill: re-evaluates learners in resumable batches."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openedx_microcred import api, backfill, completions
from openedx_microcred.models import BackfillCheckpoint, Credential
from openedx_microcred.testutils import utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"


def _passed(user_id, key):
    org, number = key.split(":")[1].split("+")[:2]
    completions.record_passing(user_id=user_id, course_key=key, counted_key=key, org=org,
                               number=number, passing=True, event_time=utc(2026, 2, 1))


@pytest.fixture
def learners_who_finished_before_the_programme_existed(make_user):
    users = [make_user(f"u{i}") for i in range(7)]
    for user in users:
        _passed(user.pk, A)
    for user in users[:5]:
        _passed(user.pk, B)
    api.import_program(program_xml("late", f'<course key="{A}">A</course>'
                                           f'<course key="{B}">B</course>'))
    return users


def test_backfill_issues_what_was_already_earned(
        learners_who_finished_before_the_programme_existed):
    out = io.StringIO()
    call_command("microcred_backfill", "--program", "late", "--batch-size", "2", "--no-progress",
                 stdout=out)
    assert Credential.objects.filter(program__program_id="late").count() == 5
    assert "Re-evaluated 7 learners: 5 credentials issued" in out.getvalue()
    assert not BackfillCheckpoint.objects.exists()  # finished runs leave no checkpoint


def test_backfill_resumes_after_an_interruption(learners_who_finished_before_the_programme_existed):
    users = learners_who_finished_before_the_programme_existed
    batches = []

    def interrupt(size, result):
        batches.append(size)
        if len(batches) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill.run_backfill("late", batch_size=2, on_batch=interrupt)
    checkpoint = BackfillCheckpoint.objects.get(name=backfill.checkpoint_name("late"))
    assert checkpoint.last_user_id == users[3].pk  # two batches of two committed
    assert backfill.count_learners("late", after=checkpoint.last_user_id) == 3
    result = backfill.run_backfill("late", batch_size=2)
    assert result.learners == 3  # only the rest
    assert Credential.objects.filter(program__program_id="late").count() == 5


def test_backfill_all_programmes_and_stacked_ones(make_user):
    user = make_user("stacker")
    _passed(user.pk, A)
    api.import_program(program_xml("child", f'<course key="{A}">A</course>'))
    api.import_program(program_xml("parent", '<program ref="child"/>'))
    result = backfill.run_backfill()
    assert result.learners == 1
    assert set(Credential.objects.values_list("program__program_id", flat=True)) == {
        "child", "parent"}


def test_backfill_unknown_programme():
    with pytest.raises(CommandError, match="unknown programme"):
        call_command("microcred_backfill", "--program", "nope", "--no-progress")
