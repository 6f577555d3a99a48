"""
``manage.py microcred_demo [--learners N] [--seed S] [--no-serve]``

Loads the sample programmes, creates a deterministic synthetic cohort, replays its events through
the real openedx-events signals (so receivers, tasks and issuance all run), prints a per-programme
summary and serves the sandbox at http://127.0.0.1:8000 (unless ``--no-serve``).
"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ... import api, delivery
from ...demo import cohort
from ...demo.webhook import WebhookReceiver
from ...models import Credential, Delivery, Program, ProgramProgress

DEMO_WEBHOOK_SECRET = "demo-webhook-signing-secret"  # noqa: S105 (a local demo receiver)


class Command(BaseCommand):
    help = "Load sample programmes, replay a synthetic cohort's events, summarise, serve."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=100, help="cohort size (default 100)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--no-serve", action="store_true", help="do not start the web server")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")

    def handle(self, *args, learners, seed, no_serve, addrport, **options):
        if learners < 1:
            raise CommandError("--learners must be at least 1")
        xmls = cohort.sample_program_xmls()
        loaded = api.import_programs(list(xmls.values()))
        self.stdout.write(f"Loaded {len(loaded)} programmes.")
        receiver = WebhookReceiver(DEMO_WEBHOOK_SECRET).__enter__()
        api.configure_registry(kind="webhook", name="demo-webhook", base_url=receiver.url,
                               secret=DEMO_WEBHOOK_SECRET)
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
        sample = Credential.objects.order_by("pk").first()
        if sample is not None:
            self.stdout.write(f"Verify one: http://{addrport}/microcred/verify/{sample.uuid}/")
        if no_serve:
            receiver.close()
        else:  # the receiver keeps listening while the sandbox serves
            self.stdout.write(f"Serving the sandbox at http://{addrport}/ (Ctrl-C to stop).")
            call_command("runserver", addrport, use_reloader=False)

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
