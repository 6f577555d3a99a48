"""``manage.py microcred_status [--json]``: what needs an operator's attention."""
import json

from django.core.management.base import BaseCommand

from ... import monitoring

#: Exit status when something needs attention (``Overview.attention`` is not empty).
NEEDS_ATTENTION = 1


class Command(BaseCommand):
    help = ("Show pending and dead registry deliveries, rejected events, the last delivery "
            "sweep, issuer keys and their age, unreadable secrets and status lists awaiting "
            "their signature. Exits 1 when something needs attention (for monitoring probes), "
            "0 otherwise.")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="print one JSON object")

    def handle(self, *args, as_json=False, **options):
        data = monitoring.overview()
        if as_json:
            self.stdout.write(_dumps(data.as_json()))
        else:
            self._print(data)
        if data.attention:
            raise SystemExit(NEEDS_ATTENTION)

    def _print(self, data: monitoring.Overview) -> None:
        out = self.stdout.write
        out(f"Checked at {data.checked_at:%Y-%m-%d %H:%M:%S} UTC")
        out(f"Deliveries: {data.deliveries_pending} pending ({data.deliveries_overdue} overdue), "
            f"{data.deliveries_sending} sending, {data.deliveries_dead} dead letters")
        out(f"Rejected events: {data.rejected_events_recent} in the last 24 hours, "
            f"{data.rejected_events} in all")
        sweep = (f"{data.last_sweep_at:%Y-%m-%d %H:%M:%S} UTC" if data.last_sweep_at
                 else "never")
        out(f"Last delivery sweep: {sweep}")
        out(f"Encryption key: from {data.encryption_key_source}; {data.secrets} stored secrets, "
            f"{data.secrets_not_current} not under the first key, "
            f"{len(data.secrets_unreadable)} unreadable")
        out("Issuer keys:")
        for key in data.keys:
            state = "active" if key.active else "retired"
            readable = "" if key.readable else ", CANNOT BE DECRYPTED"
            out(f"  {key.org}  {key.public_key[:20]}…  {state}, {key.age_days} days old"
                f"{readable}")
        if not data.keys:
            out("  (none yet)")
        if data.attention:
            out(self.style.WARNING("Needs attention:"))
            for note in data.attention:
                out(self.style.WARNING(f"  - {note}"))
        else:
            out(self.style.SUCCESS("Nothing needs attention."))


def _dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
