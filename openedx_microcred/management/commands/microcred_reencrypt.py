"""``manage.py microcred_reencrypt``: move every stored secret under the first encryption key."""
from django.core.management.base import BaseCommand, CommandError

from ... import rekeying


class Command(BaseCommand):
    help = ("Encrypt every stored secret (issuer signing keys, registry connection secrets) again "
            "with the first of MICROCRED_KEY_ENCRYPTION_KEYS (or the key derived from SECRET_KEY "
            "when that setting is empty). Run it after prepending a new key or rotating "
            "SECRET_KEY; afterwards the old key can be removed. Idempotent: secrets already "
            "under the first key are left alone. Exits non-zero when a secret cannot be "
            "decrypted with any configured key.")

    def add_arguments(self, parser):
        parser.add_argument("--progress-every", type=int, default=100,
                            help="print a progress line every N secrets (default 100)")

    def handle(self, *args, progress_every=100, **options):
        if progress_every < 1:
            raise CommandError("--progress-every must be at least 1")
        total = rekeying.count()
        self.stdout.write(f"{total} stored secrets to check.")

        def progress(done: int, outcome: str) -> None:
            if done % progress_every == 0 or done == total:
                self.stdout.write(f"{done}/{total} checked")

        result = rekeying.reencrypt_all(progress=progress)
        self.stdout.write(
            f"Re-encrypted {result.reencrypted} secrets; {result.current} were already under the "
            f"first key; {len(result.unreadable)} cannot be decrypted.")
        if result.unreadable:
            raise CommandError(
                "These secrets cannot be decrypted with the configured keys (restore the key "
                "that encrypted them, or enter the registry secret again in the admin): "
                + "; ".join(result.unreadable))
