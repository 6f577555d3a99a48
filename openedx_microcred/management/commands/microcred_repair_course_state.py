"""``manage.py microcred_repair_course_state USER_ID [--course KEY] [--dry-run]``."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ... import repair, tasks


class Command(BaseCommand):
    help = ("Repair a learner's course state from the events that remain: clear what implausibly "
            "dated events recorded (outside MICROCRED_EVENT_TIME_FLOOR .. now + "
            "MICROCRED_EVENT_MAX_FUTURE_SKEW), then re-evaluate the learner.")

    def add_arguments(self, parser):
        parser.add_argument("user_id", type=int, help="the learner's user id")
        parser.add_argument("--course", help="only this course run (course key)")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would change, change nothing")

    def handle(self, *args, user_id, course=None, dry_run=False, **options):
        if not get_user_model().objects.filter(pk=user_id).exists():
            raise CommandError(f"no user has id {user_id}")
        result = repair.repair_learner(user_id, course_key=course, dry_run=dry_run)
        tasks.dispatch_deliveries(list(result.credential_ids))
        verb = "Would clear" if dry_run else "Cleared"
        for facet in result.cleared:
            self.stdout.write(f"{verb} {facet} (implausible event time)")
        for facet in result.redated:
            self.stdout.write(f"{'Would re-date' if dry_run else 'Re-dated'} {facet} "
                              "to its event's time")
        for external_id in result.removed:
            self.stdout.write(f"{'Would remove' if dry_run else 'Removed'} external achievement "
                              f"{external_id} (implausible date)")
        if not (result.cleared or result.redated or result.removed):
            self.stdout.write("Nothing to repair: every recorded event time is plausible.")
            return
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"Re-evaluated learner {user_id}: issued {', '.join(result.issued) or 'nothing'}; "
                f"revoked {', '.join(result.revoked) or 'nothing'}."))
