import time

from django.core.management.base import BaseCommand

from events.models import Lesson
from events.rendering import render_many


class Command(BaseCommand):
    help = (
        "Render every lesson's page now and keep it, as saving each lesson would. Pages do this by "
        "themselves on their first visit after an upgrade or a restore; this spares those first visitors "
        "the wait."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        lesson_ids = list(Lesson.objects.order_by("pk").values_list("pk", flat=True))
        render_many(lesson_ids)
        self.stdout.write(
            self.style.SUCCESS(f"Rendered {len(lesson_ids)} lessons. ({time.monotonic() - started:.1f} s)")
        )
