"""
The in-LMS half of the delivery tests, run as a subprocess against MariaDB and Redis (the same
environment as ``driver.py``)::

    python -m tests.integration.delivery_driver SPEC OUT

SPEC is a JSON document; every key is optional and the steps run in this order:

* ``xmls``, ``learners``: import the programmes, create the learners (``driver._setup``);
* ``connections``: ``api.configure_registry(**connection)`` for each (``rate_limit``, when given,
  is then set on the row as an operator would in the admin);
* ``events``: passing-status events ``{"learner", "course", "time"}`` sent through the real
  openedx-events signals from ``threads`` threads released together. The receivers enqueue the
  evaluations on commit, the workers evaluate, issue, and dispatch the deliveries — unless
  ``inline`` is true: then the enqueue is switched off and each learner is evaluated here, in
  this process, so the credentials and their outbox rows are written but no delivery task is
  sent (the race test sends them itself);
* ``revoke``: ``{"credentials": [[learner, program_id], …], "after": [...], "reason", "timeout"}``:
  waits (bounded) until those credentials and the ``after`` ones exist, then
  ``api.revoke_credential`` each (its revocations are dispatched on commit).

OUT receives ``{"users", "connections": {name: id}, "credentials": [...], "revoked": [uuid…]}``.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from unittest import mock


def main(argv: list[str]) -> int:
    if os.environ.get("MICROCRED_DB") != "mysql" or not os.environ.get("MICROCRED_BROKER_URL"):
        print("delivery_driver: MICROCRED_DB=mysql and MICROCRED_BROKER_URL are required",
              file=sys.stderr)
        return 1
    spec = json.loads(Path(argv[0]).read_text("utf-8"))
    out = Path(argv[1])
    import django

    django.setup()
    from django.conf import settings

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "the driver must use the real broker"
    from .driver import _setup

    report: dict = {"users": {}, "connections": {}, "revoked": []}
    if spec.get("xmls") or spec.get("learners"):
        report["users"] = _setup({"xmls": spec.get("xmls", []),
                                  "learners": spec.get("learners", [])})
    users = _users(spec)
    for connection in spec.get("connections", []):
        report["connections"][connection["name"]] = _configure(connection)
    if spec.get("events"):
        _send_events(spec, users)
    if spec.get("revoke"):
        report["revoked"] = _revoke(spec["revoke"], users)
    report["credentials"] = _credentials(users)
    out.write_text(json.dumps(report, indent=1), "utf-8")
    return 0


def _users(spec: dict) -> dict[str, int]:
    from django.contrib.auth import get_user_model

    names = set(spec.get("learners", []))
    names |= {event["learner"] for event in spec.get("events", [])}
    revoke = spec.get("revoke", {})
    names |= {learner for learner, _ in revoke.get("credentials", []) + revoke.get("after", [])}
    return dict(get_user_model().objects.filter(username__in=names)
                .values_list("username", "pk"))


def _configure(connection: dict) -> int:
    from openedx_microcred import api
    from openedx_microcred.models import RegistryConnection

    connection = dict(connection)
    rate_limit = connection.pop("rate_limit", None)
    connection_id = api.configure_registry(**connection)
    if rate_limit is not None:
        RegistryConnection.objects.filter(pk=connection_id).update(rate_limit=rate_limit)
    return connection_id


def _send_events(spec: dict, users: dict[str, int]) -> None:
    from openedx_microcred import evaluation, tasks

    from .driver import _build, _send, _threads

    built = [_build({"type": "passing", "passing": True, **event}, users)
             for event in spec["events"]]
    threads = max(1, min(spec.get("threads", 4), len(built)))
    lanes = [built[i::threads] for i in range(threads)]
    if not spec.get("inline"):
        _threads(lanes, _send)
        return
    with mock.patch.object(tasks, "enqueue_evaluation"):  # the receivers' on-commit enqueue
        _threads(lanes, _send)
    for name in sorted({event["learner"] for event in spec["events"]}):
        evaluation.evaluate_learner(users[name])  # issues; dispatches nothing (that is the task's)


def _revoke(revoke: dict, users: dict[str, int]) -> list[str]:
    from openedx_microcred import api
    from openedx_microcred.models import Credential

    wanted = [(users[learner], program_id) for learner, program_id in revoke["credentials"]]
    needed = wanted + [(users[learner], program_id)
                       for learner, program_id in revoke.get("after", [])]
    deadline = time.monotonic() + revoke.get("timeout", 60)
    found: dict[tuple[int, str], str] = {}
    while True:
        rows = Credential.objects.filter(
            user_id__in=[user for user, _ in needed], status=Credential.AWARDED,
        ).values_list("user_id", "program__program_id", "uuid")
        found = {(user, program): str(uuid) for user, program, uuid in rows}
        missing = [item for item in needed if item not in found]
        if not missing:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"credentials to revoke never issued: {missing}")
        time.sleep(0.1)
    revoked = []
    for item in wanted:
        if api.revoke_credential(found[item], reason=revoke.get("reason", "revoked in a test")):
            revoked.append(found[item])
    return revoked


def _credentials(users: dict[str, int]) -> list[dict]:
    from openedx_microcred.models import Credential

    names = {pk: name for name, pk in users.items()}
    return [{"learner": names[c.user_id], "program_id": c.program.program_id, "pk": c.pk,
             "uuid": str(c.uuid), "status": c.status}
            for c in Credential.objects.filter(user_id__in=list(names))
            .select_related("program").order_by("pk")]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
