"""
A deterministic synthetic cohort, sent through the real openedx-events signals.

Used by ``manage.py microcred_demo`` and by tests: the same seed gives the same learners, the same
events and the same outcome. The stream is deliberately unfriendly — duplicates (re-sent with the
same metadata, as the event bus does), out-of-order deliveries, failing grades that later pass,
CCX runs, certificates — because the product must be correct under exactly that.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from ccx_keys.locator import CCXLocator
from opaque_keys.edx.keys import CourseKey
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import (
    CcxCourseData,
    CcxCoursePassingStatusData,
    CertificateData,
    CourseData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    CCX_COURSE_PASSING_STATUS_UPDATED,
    CERTIFICATE_CREATED,
    COURSE_PASSING_STATUS_UPDATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)
from openedx_events.tooling import OpenEdxPublicSignal

from .. import rules
from ..definitions.parser import parse_program

START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)  # the last events fall before 2026-10


def sample_program_xmls() -> dict[str, bytes]:
    """The bundled sample programmes, by file name."""
    folder = resources.files("openedx_microcred.demo") / "programs"
    return {item.name: item.read_bytes() for item in sorted(folder.iterdir(), key=lambda p: p.name)
            if item.name.endswith(".xml")}


@dataclass(frozen=True)
class Learner:
    """A synthetic learner (``user_id`` is assigned by the caller, who creates the user)."""

    user_id: int
    username: str
    email: str
    name: str


@dataclass(frozen=True)
class Event:
    """One signal to send: ``signal.send_event_with_custom_metadata(metadata, **data)``."""

    signal: OpenEdxPublicSignal
    metadata: EventsMetadata
    data: dict


def course_keys(xmls: dict[str, bytes]) -> list[str]:
    """Every course key the programmes name, sorted."""
    keys: set[str] = set()
    for xml in xmls.values():
        for leaf in rules.iter_leaves(parse_program(xml).requirements):
            if isinstance(leaf, rules.CourseLeaf):
                keys.add(leaf.key)
    return sorted(keys)


def cohort_events(learners: list[Learner], keys: list[str], *, seed: int) -> list[Event]:
    """The cohort's event stream, deterministic for ``seed``."""
    rng = random.Random(seed)
    events: list[Event] = []
    for learner in learners:
        diligence = rng.choice([0.25, 0.6, 0.9, 1.0])
        for number, key in enumerate(keys):
            if rng.random() < diligence:
                events.extend(_course_events(rng, learner, CourseKey.from_string(key), number))
    # Delivery order is not event order: shuffle a window of neighbours, duplicate some.
    rng.shuffle(events)
    duplicates = [event for event in events if rng.random() < 0.1]
    return events + duplicates


def _course_events(rng: random.Random, learner: Learner, key: CourseKey,
                   number: int) -> Iterator[Event]:
    when = START + timedelta(days=rng.randint(0, 300), seconds=number)
    user = _user(learner)
    course = CourseData(course_key=key, display_name=str(key))
    if rng.random() < 0.2:  # failed first, passed a month later (delivered in either order)
        yield _passing(user, course, False, when)
        when += timedelta(days=30)
    if rng.random() < 0.1:  # took it as a CCX of the master course
        ccx = CCXLocator.from_course_locator(key, str(rng.randint(1, 9)))
        yield _event(CCX_COURSE_PASSING_STATUS_UPDATED, when, course_passing_status=(
            CcxCoursePassingStatusData(is_passing=True, user=user, course=CcxCourseData(
                ccx_course_key=ccx, master_course_key=key, display_name=str(ccx)))))
    else:
        yield _passing(user, course, True, when)
    grade = round(rng.uniform(0.6, 1.0), 2)
    yield _event(PERSISTENT_GRADE_SUMMARY_CHANGED, when, grade=PersistentCourseGradeData(
        user_id=learner.user_id, course=course, course_edited_timestamp=when, course_version="1",
        grading_policy_hash="demo", percent_grade=grade, letter_grade="Pass",
        passed_timestamp=when))
    if rng.random() < 0.5:
        yield _event(CERTIFICATE_CREATED, when + timedelta(hours=1), certificate=CertificateData(
            user=user, course=course, mode=rng.choice(["verified", "honor"]), grade=str(grade),
            download_url="", name=learner.name, current_status="downloadable"))


def _passing(user: UserData, course: CourseData, passing: bool, when: datetime) -> Event:
    status = CoursePassingStatusData(is_passing=passing, user=user, course=course)
    return _event(COURSE_PASSING_STATUS_UPDATED, when, course_passing_status=status)


def _event(signal, when: datetime, **data) -> Event:
    return Event(signal, signal.generate_signal_metadata(time=when), data)


def _user(learner: Learner) -> UserData:
    return UserData(id=learner.user_id, is_active=True, pii=UserPersonalData(
        username=learner.username, email=learner.email, name=learner.name))


def send(events: list[Event]) -> None:
    """Send ``events`` through their signals, in list order."""
    for event in events:
        event.signal.send_event_with_custom_metadata(event.metadata, **event.data)
