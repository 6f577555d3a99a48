"""``manage.py microcred_bootstrap``: signing keys for every issuing org (idempotent).

Run at install and after every upgrade (Tutor runs it in ``tutor local do init``). It never
changes an existing key; ``microcred_rotate_key`` does that.
"""
from django.core.management.base import BaseCommand

from ... import api


class Command(BaseCommand):
    help = ("Create a signing key for every org that has a programme and has none yet; print each "
            "org's DID and where its DID document is served. Safe to run again.")

    def handle(self, *args, **options):
        identities = api.bootstrap_issuers()
        if not identities:
            self.stdout.write("No programmes yet: no issuer to set up.")
        for identity in identities:
            verb = "created" if identity.created else "exists "
            where = identity.did_document_url or "(did:key: no DID document to serve)"
            self.stdout.write(f"{verb} {identity.org}: {identity.did} {where}")
        created = sum(identity.created for identity in identities)
        self.stdout.write(self.style.SUCCESS(
            f"{created} issuer key(s) created, {len(identities) - created} already present."))
