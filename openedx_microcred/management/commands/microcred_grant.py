"""``manage.py microcred_grant USERNAME ORG [--role author|viewer] [--revoke]``."""
from django.core.management.base import BaseCommand, CommandError

from ... import api
from ...conf import setting

STANDALONE = "openedx_microcred.platform.standalone"


class Command(BaseCommand):
    help = ("Give a user a course-team role for an org's programmes (author: create, edit, "
            "publish, retire, revoke; viewer: read), or take it away with --revoke. Used by "
            "the standalone platform backend; inside Open edX the platform's org roles decide.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("org")
        parser.add_argument("--role", choices=[api.AUTHOR, api.VIEWER], default=api.AUTHOR)
        parser.add_argument("--revoke", action="store_true", help="remove the user's role")

    def handle(self, *args, username, org, role, revoke=False, **options):
        if setting("MICROCRED_PLATFORM_BACKEND") != STANDALONE:
            self.stderr.write("Note: this platform backend uses the platform's own org roles; "
                              "the role recorded here is not read.")
        if revoke:
            removed = api.revoke_org_role(username=username, org=org)
            self.stdout.write(f"{username} {'no longer has a role' if removed else 'had no role'}"
                              f" for {org}.")
            return
        try:
            api.grant_org_role(username=username, org=org, role=role)
        except (LookupError, ValueError) as error:
            raise CommandError(str(error.args[0] if error.args else error)) from error
        self.stdout.write(self.style.SUCCESS(f"{username} is {role} of {org}."))
