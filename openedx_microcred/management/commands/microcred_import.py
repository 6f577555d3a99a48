"""``manage.py microcred_import PATH... [--publish]``: import programme definitions (XML)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ... import api


class Command(BaseCommand):
    help = ("Import programme definitions (XML files) as drafts, in dependency order, all or "
            "nothing; --publish also publishes them and evaluates the learners who already "
            "completed their courses. A programme's org cannot change.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="XML definition files")
        parser.add_argument("--publish", action="store_true",
                            help="publish the imported definitions (learners are evaluated)")

    def handle(self, *args, paths, publish=False, **options):
        documents = [(path, _read(path)) for path in paths]
        problems = [f"{path}:{problem.line or 1}: {problem.message}"
                    for path, xml in documents
                    for problem in api.validate_definition(xml=xml, catalogue=False).errors]
        if problems:
            raise CommandError("invalid definitions:\n" + "\n".join(problems))
        try:
            imported = api.import_definitions([xml for _, xml in documents], publish=publish)
        except (api.ProgramDefinitionError, api.ProgramRetired) as error:
            raise CommandError(f"nothing imported: {error}") from error
        for item in imported:
            job = f" (evaluating learners: publish job {item.job_id})" if item.job_id else ""
            self.stdout.write(f"{item.program_id}: v{item.version} {item.status}{job}")
        self.stdout.write(self.style.SUCCESS(f"Imported {len(imported)} definitions."))


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from error
