from pathlib import Path

import reversion
from django.core.management.base import BaseCommand, CommandError

from events.importer import LessonDocumentError, import_lesson, parse_lesson_document, read_lesson_file
from events.models import Lesson


class Command(BaseCommand):
    help = (
        "Import lesson documents: plain text, or JSON exported from the site. Each file imports "
        "in its own transaction: a bad file is reported and skipped, and the others still import. "
        "Re-importing a lesson with the same address (made from its title) updates it."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="lesson documents (.txt or .json, UTF-8)")
        parser.add_argument(
            "--publish",
            action="store_true",
            help=(
                "publish the lessons (new lessons are drafts otherwise); "
                "each of their readings needs an ISBN, DOI or URL"
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds lessons (used by `make run`)",
        )

    def handle(self, *args, files, publish, if_empty, **options):
        if if_empty and Lesson.objects.exists():
            self.stdout.write("The database already holds lessons; nothing imported.")
            return

        created = updated = 0
        failed = []
        for name in files:
            try:
                document = parse_lesson_document(read_lesson_file(name))
                # Recorded in the lesson's history, like a save in the admin.
                with reversion.create_revision():
                    lesson, is_new = import_lesson(document=document, publish=publish)
                    reversion.set_comment(f"Imported from {Path(name).name}.")
            except LessonDocumentError as error:
                failed.append(name)
                self.stderr.write(f"{name}: {error}")
                continue
            created += is_new
            updated += not is_new
            status = lesson.get_status_display().lower()
            self.stdout.write(f"{name}: {'created' if is_new else 'updated'} '{lesson.title}' ({status})")

        summary = f"Imported {created + updated} of {len(files)} lessons ({created} created, {updated} updated)."
        if failed:
            raise CommandError(f"{summary} Failed: {', '.join(failed)}.")
        self.stdout.write(self.style.SUCCESS(summary))
