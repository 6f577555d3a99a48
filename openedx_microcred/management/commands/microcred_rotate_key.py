"""``manage.py microcred_rotate_key ORG``: give an issuing org a new signing key."""
from django.core.management.base import BaseCommand, CommandError

from ... import api


class Command(BaseCommand):
    help = ("Retire ORG's signing key and create a new one. Credentials signed with the old key "
            "still verify: retired public keys stay in the org's DID document.")

    def add_arguments(self, parser):
        parser.add_argument("org", help="the issuing organisation (the programme's org)")

    def handle(self, *args, org, **options):
        org = org.strip()
        if not org:
            raise CommandError("ORG must not be empty")
        public_key = api.rotate_issuer_key(org)
        self.stdout.write(self.style.SUCCESS(f"{org} now signs with {public_key}."))
