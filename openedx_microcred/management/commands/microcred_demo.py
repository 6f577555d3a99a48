"""
``manage.py microcred_demo [--learners N] [--seed S] [--addrport HOST:PORT] [--no-serve]``

Loads the sample programmes, creates a deterministic synthetic cohort, replays its events through
the real openedx-events signals (so receivers, tasks and issuance all run), prints a per-programme
summary and one learner login, and serves the sandbox at ``--addrport`` (unless ``--no-serve``).

Signed URLs (credential ids, did:web issuers, verification links, emails) use the address the
demo serves on: ``LMS_ROOT_URL`` is ``http://<addrport>`` for the whole run. The local webhook
receiver lives only as long as the command: its registry connection is switched off when the
command ends, so nothing is left pointing at a closed port.
"""
import secrets
import signal
import sys

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from ... import api, delivery
from ...conf import setting
from ...demo import cohort
from ...demo.webhook import WebhookReceiver
from ...models import (
    Credential,
    Delivery,
    Notification,
    Program,
    ProgramProgress,
    RegistryConnection,
)

DEMO_WEBHOOK_SECRET = "demo-webhook-signing-secret"  # noqa: S105 (a local demo receiver)
DEMO_WEBHOOK = "demo-webhook"
CHINESE_EVERY = 3  # every third demo learner prefers Chinese (``pref-lang`` zh-cn)


class Command(BaseCommand):
    help = "Load sample programmes, replay a synthetic cohort's events, summarise, serve."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=100, help="cohort size (default 100)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--no-serve", action="store_true", help="do not start the web server")
        parser.add_argument("--addrport", default="127.0.0.1:8000",
                            help="HOST:PORT to serve on; signed URLs use http://HOST:PORT")

    def handle(self, *args, learners, seed, no_serve, addrport, **options):
        if learners < 1:
            raise CommandError("--learners must be at least 1")
        host, _, port = addrport.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("--addrport must be HOST:PORT, e.g. 127.0.0.1:8000")
        root = f"http://{addrport}"
        hosts = [*settings.ALLOWED_HOSTS, host.strip("[]")]
        with override_settings(LMS_ROOT_URL=root, ALLOWED_HOSTS=hosts):
            self._run(learners=learners, seed=seed, no_serve=no_serve, addrport=addrport,
                      root=root)

    def _run(self, *, learners: int, seed: int, no_serve: bool, addrport: str,
             root: str) -> None:
        self._warn_if_signed_elsewhere(root)
        xmls = cohort.sample_program_xmls()
        loaded = api.import_programs(list(xmls.values()))
        self.stdout.write(f"Loaded {len(loaded)} programmes.")
        with WebhookReceiver(DEMO_WEBHOOK_SECRET) as receiver:
            try:
                self._replay(xmls, learners=learners, seed=seed, receiver=receiver, root=root)
                if not no_serve:  # the receiver keeps listening while the sandbox serves
                    self.stdout.write(f"Serving the sandbox at {root}/ (Ctrl-C to stop).")
                    # A terminated demo (kill, docker stop) cleans up as Ctrl-C does.
                    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
                    call_command("runserver", addrport, use_reloader=False)
            finally:
                # Its port closes with the command: no connection may keep pointing at it.
                RegistryConnection.objects.filter(name=DEMO_WEBHOOK).update(active=False)

    def _replay(self, xmls: dict, *, learners: int, seed: int, receiver: WebhookReceiver,
                root: str) -> None:
        api.configure_registry(kind="webhook", name=DEMO_WEBHOOK, base_url=receiver.url,
                               secret=DEMO_WEBHOOK_SECRET)
        RegistryConnection.objects.filter(name=DEMO_WEBHOOK).update(active=True)
        self.stdout.write(f"Registry: a local webhook receiver at {receiver.url}")
        people = self._learners(learners)
        events = cohort.cohort_events(people, cohort.course_keys(xmls), seed=seed)
        self.stdout.write(f"Replaying {len(events)} events for {len(people)} learners…")
        cohort.send(events)
        drained = delivery.drain(until_idle=True, timeout=120)
        self._summary()
        delivered = Delivery.objects.filter(status=Delivery.DELIVERED).count()
        verified = receiver.events["credential.issued"]
        self.stdout.write(
            f"Webhook deliveries: {delivered} delivered, {drained.dead} dead, "
            f"{drained.pending} pending; the receiver verified {verified} issued credentials "
            f"({receiver.rejected} bad signatures).")
        self._emails()
        sample = Credential.objects.order_by("pk").first()
        if sample is not None:
            self.stdout.write(f"Verify one: {root}/microcred/verify/{sample.uuid}/")
        self.stdout.write(f"Public programme pages: {root}/microcred/programmes/")
        self._login(root)

    def _login(self, root: str) -> None:
        """Give the learner with the most credentials a fresh random password; print it."""
        best = self._best_learner()
        if best is None:
            return
        password = secrets.token_urlsafe(12)
        best.set_password(password)
        best.save(update_fields=["password"])
        self.stdout.write(f"Learner login ({root}/accounts/login/): "
                          f"username {best.get_username()}  password {password}")

    def _best_learner(self):
        """The demo learner holding the most credentials (the first learner if none does)."""
        counts = (Credential.objects.filter(user__username__startswith="learner")
                  .values("user_id").annotate(held=Count("pk")).order_by("-held", "user_id"))
        row = counts.first()
        users = get_user_model().objects.filter(username__startswith="learner")
        return users.filter(pk=row["user_id"]).first() if row else users.order_by("pk").first()

    def _emails(self) -> None:
        sent = Notification.objects.filter(status=Notification.SENT).count()
        where = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
        path = getattr(settings, "EMAIL_FILE_PATH", "") if where == "filebased" else ""
        self.stdout.write(f"Learner emails: {sent} sent ({where} mail backend"
                          f"{f', in {path}' if path else ''}).")

    def _warn_if_signed_elsewhere(self, root: str) -> None:
        """Credentials already in the database keep the URLs they were signed with."""
        old = (Credential.objects.exclude(document__isnull=True).order_by("pk")
               .values_list("document", flat=True).first())
        if old and not str(old.get("id", "")).startswith(f"{root}/"):
            self.stderr.write(f"Note: credentials already in this database were signed for "
                              f"another address ({old.get('id')}); they keep it. Remove "
                              "sandbox/db.sqlite3 (make clean) for a fresh demo at " + root)

    def _learners(self, count: int) -> list[cohort.Learner]:
        users = get_user_model().objects
        people = []
        with transaction.atomic():
            for index in range(1, count + 1):
                username = f"learner{index:05d}"
                user, _ = users.get_or_create(username=username, defaults={
                    "email": f"{username}@example.com", "first_name": "Learner",
                    "last_name": f"{index:05d}"})
                people.append(cohort.Learner(user.pk, username, user.email, user.get_full_name()))
                if index % CHINESE_EVERY == 0:
                    _prefer(user.pk, "zh-cn")
        return people

    def _summary(self) -> None:
        header = f"{'programme':32} {'in progress':>11} {'complete':>9} {'credentials':>12}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for program in Program.objects.order_by("program_id"):
            progress = ProgramProgress.objects.filter(program=program)
            self.stdout.write(
                f"{program.program_id:32} {progress.filter(complete=False).count():>11} "
                f"{progress.filter(complete=True).count():>9} "
                f"{Credential.objects.filter(program=program, active=True).count():>12}")


def _prefer(user_id: int, language: str) -> None:
    """Store a learner's language preference where the standalone backend reads it."""
    label = setting("MICROCRED_STANDALONE_PREFERENCE_MODEL")
    if label:
        apps.get_model(label).objects.update_or_create(
            user_id=user_id, key="pref-lang", defaults={"value": language})
