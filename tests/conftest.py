"""Shared fixtures: real openedx-events signals enabled, users, small programmes."""
import pytest
from django.contrib.auth import get_user_model
from openedx_events.tests.utils import EventsIsolationMixin

from openedx_microcred import programs

MICROCRED_EVENT_TYPES = [
    "org.openedx.learning.course.passing.status.updated.v1",
    "org.openedx.learning.ccx.course.passing.status.updated.v1",
    "org.openedx.learning.certificate.created.v1",
    "org.openedx.learning.certificate.changed.v1",
    "org.openedx.learning.certificate.revoked.v1",
    "org.openedx.learning.course.persistent_grade_summary.changed.v1",
    "org.openedx.learning.badge.awarded.v1",
    "org.openedx.learning.badge.revoked.v1",
]


@pytest.fixture(autouse=True)
def _events_enabled():
    """Only the events the plugin consumes, and receiver exceptions propagate (none may occur)."""
    EventsIsolationMixin.disable_all_events()
    EventsIsolationMixin.enable_events_by_type(*MICROCRED_EVENT_TYPES)
    EventsIsolationMixin.allow_send_events_failure(*MICROCRED_EVENT_TYPES)
    yield


@pytest.fixture(autouse=True)
def _fresh_definition_cache():
    """Version ids are reused across test databases: start each test with an empty cache."""
    programs._DEFINITIONS.clear()
    yield
    programs._DEFINITIONS.clear()


@pytest.fixture
def make_user(db):
    """``make_user(name)`` creates a learner."""
    def make(username: str = "learner", **extra):
        return get_user_model().objects.create_user(
            username=username, email=f"{username}@example.com", password=None, **extra)
    return make


@pytest.fixture
def learner(make_user):
    return make_user("alice", first_name="Alice", last_name="Liddell")


def program_xml(program_id: str, requirements: str, **attributes: str) -> str:
    """A minimal programme definition around ``requirements``."""
    attrs = {"org": "DemoX", "completion": "passing", **attributes}
    window = attrs.pop("window", "")
    valid = attrs.pop("valid_months", "")
    rendered = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    extra = window + (f'<credential valid-months="{valid}"/>' if valid else "")
    return (f'<program id="{program_id}" {rendered}><title>{program_id} title</title>'
            f'<issuer name="Demo University" url="https://demo.example" country="CN"/>{extra}'
            f"<requirements>{requirements}</requirements></program>")
