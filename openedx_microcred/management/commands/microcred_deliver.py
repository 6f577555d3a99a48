"""``manage.py microcred_deliver [--until-idle]``: drain the registry outbox synchronously."""
from django.core.management.base import BaseCommand, CommandError

from ... import delivery, tasks


class Command(BaseCommand):
    help = ("Attempt every due registry delivery in this process. With --until-idle, keep going "
            "(waiting out backoffs) until nothing is pending, or --timeout seconds pass. Also "
            "signs status lists whose signature is pending, and records the sweep for "
            "microcred_status.")

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true",
                            help="wait for pending deliveries whose next attempt is later")
        parser.add_argument("--timeout", type=float, default=300.0,
                            help="seconds --until-idle may wait (default 300)")

    def handle(self, *args, until_idle=False, timeout=300.0, **options):
        if timeout <= 0:
            raise CommandError("--timeout must be positive")
        result = delivery.drain(until_idle=until_idle, timeout=timeout)
        tasks.finish_sweep(f"{result.attempted} deliveries attempted")
        self.stdout.write(
            f"Attempted {result.attempted} deliveries: {result.delivered} delivered, "
            f"{result.dead} dead letters, {result.pending} still pending.")
        if until_idle and result.pending:
            raise CommandError(f"{result.pending} deliveries still pending after {timeout:g}s")
