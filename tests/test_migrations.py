"""Data migrations fill the new columns of rows written before them."""
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

APP = "openedx_microcred"


def _migrate(target: str):
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, target)])
    executor.loader.build_graph()
    return executor.loader.project_state([(APP, target)]).apps


@pytest.fixture
def _back_to_latest():
    """Whatever happens, leave the schema at the latest migration for the other tests."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes(APP))


def test_0006_fills_org_keys_list_issuers_and_completion_dates(make_user, _back_to_latest):
    learner = make_user("early")
    old = _migrate("0005_keys_ops")
    old.get_model(APP, "IssuerKey").objects.create(org="ExampleX", public_key="z6Mkold",
                                                   encrypted_private_key="x")
    old.get_model(APP, "StatusList").objects.create(
        list_id="examplex-revocation-1", org="ExampleX", size=8, bits=b"\0",
        document={"issuer": "did:key:z6Mkold"})
    old.get_model(APP, "CourseCompletion").objects.create(
        user_id=learner.pk, course_key="course-v1:ExampleX+1+2025",
        counted_key="course-v1:ExampleX+1+2025", org="ExampleX", number="1", grade=0.9,
        grade_event_at="2025-03-01T00:00:00Z", certificate_status="downloadable",
        certificate_at="2025-03-02T00:00:00Z")
    new = _migrate("0006_faults_rules")
    digest = hashlib.sha256(b"ExampleX").hexdigest()
    assert new.get_model(APP, "IssuerKey").objects.get().org_key == digest
    status_list = new.get_model(APP, "StatusList").objects.get()
    assert (status_list.org_key, status_list.issuer) == (digest, "did:key:z6Mkold")
    row = new.get_model(APP, "CourseCompletion").objects.get()
    assert row.grade_at == row.grade_event_at
    assert row.certificate_mode_at == row.certificate_at
