"""``manage.py microcred_backfill [--program ID]``: re-evaluate learners in resumable batches."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ... import backfill, tasks
from ...models import BackfillCheckpoint
from ...programs import ProgramNotFound


class Command(BaseCommand):
    help = ("Re-evaluate every learner with completions in a programme's courses (all programmes "
            "by default), issuing what is earned. Streams in batches; an interrupted run resumes.")

    def add_arguments(self, parser):
        parser.add_argument("--program", help="programme id (the XML id); default: all")
        parser.add_argument("--batch-size", type=int, help="learners per batch and checkpoint")
        parser.add_argument("--restart", action="store_true",
                            help="ignore the checkpoint of an interrupted run and start over")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, program=None, batch_size=None, restart=False, no_progress=False,
               **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        name = backfill.checkpoint_name(program)
        after = 0 if restart else (BackfillCheckpoint.objects.filter(name=name)
                                   .values_list("last_user_id", flat=True).first() or 0)
        if after:
            self.stdout.write(f"Resuming after learner {after}.")
        bar = tqdm(total=backfill.count_learners(program, after=after), unit="learner",
                   disable=no_progress, file=self.stderr._out)
        try:
            result = backfill.run_backfill(program, batch_size=batch_size, restart=restart,
                                           on_batch=lambda count, _: bar.update(count),
                                           on_credentials=tasks.dispatch_credential_work)
        except ProgramNotFound as error:
            raise CommandError(f"unknown programme: {error}") from error
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"Re-evaluated {result.learners} learners: {result.issued} credentials issued, "
            f"{result.revoked} revoked."))
