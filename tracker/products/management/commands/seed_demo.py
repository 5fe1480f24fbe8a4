from django.core.management.base import BaseCommand

from tracker.products.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load realistic demo data (teams, people, products at every stage)."

    def handle(self, *args, **options):
        created = seed_demo()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            f"Sign in as alice / {DEMO_PASSWORD} (admin), or bob, dan, leader …"
        )
