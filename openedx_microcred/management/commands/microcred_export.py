"""``manage.py microcred_export ID [--version N]``: print a programme definition as XML."""
from django.core.management.base import BaseCommand, CommandError

from ... import api


class Command(BaseCommand):
    help = ("Print the canonical XML of a programme: its draft, else its published version, "
            "or version N.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Django's own --version (its release) gives way to the programme version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("program_id", metavar="ID", help="programme id (the XML id)")
        parser.add_argument("--version", type=int, help="version number (default: the latest)")

    def handle(self, *args, program_id, version=None, **options):
        try:
            definition = api.get_definition(program_id=program_id, version=version)
        except api.ProgramNotFound as error:
            raise CommandError(f"unknown programme or version: {error}") from error
        self.stdout.write(definition.xml, ending="")
