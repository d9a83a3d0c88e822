from django.core.management.base import BaseCommand

from accounts.models import User
from demo import seed


class Command(BaseCommand):
    help = "Fill the database with the demo community (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=["small", "large"],
            default="small",
            help="small: a lively demo; large: the benchmark data set (100,000+ posts).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has members (used by `make run`).",
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="Print the demo logins at the end."
        )

    def handle(self, *args, size: str, if_empty: bool, print_logins: bool, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has members: demo data left as it is.")
        else:
            seed.seed(size=size, progress=lambda msg: self.stdout.write(f"  · {msg}"))
            self.stdout.write(self.style.SUCCESS("Demo community ready."))
        if print_logins:
            self.stdout.write("")
            self.stdout.write(f"Demo logins (password for all: {seed.DEMO_PASSWORD}):")
            for username, role in seed.demo_logins():
                self.stdout.write(f"  {username:<10} {role}")
