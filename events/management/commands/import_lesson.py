from pathlib import Path

import reversion
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from events.importer import (
    LessonDocumentError,
    ParsedLesson,
    import_lesson,
    link_related_lessons,
    parse_lesson_document,
    read_lesson_file,
    record_in_revision,
)
from events.models import Lesson
from events.rendering import rendered_together


class Command(BaseCommand):
    help = (
        "Import lesson documents: plain text, or JSON exported from the site. Each file imports "
        "in its own transaction: a bad file is reported and skipped, and the others still import. "
        "Re-importing a lesson with the same address (made from its title) updates it. Related "
        "lessons are linked once all the files are in; one still missing is reported, not a failure."
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

        with rendered_together():
            self._import(files, publish)

    def _import(self, files: list[str], publish: bool) -> None:
        created = updated = 0
        failed = []
        imported: list[tuple[str, Lesson, ParsedLesson]] = []
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
            imported.append((name, lesson, document))
            created += is_new
            updated += not is_new
            status = lesson.get_status_display().lower()
            self.stdout.write(f"{name}: {'created' if is_new else 'updated'} '{lesson.title}' ({status})")

        self._link_related_lessons(imported)

        summary = f"Imported {created + updated} of {len(files)} lessons ({created} created, {updated} updated)."
        if failed:
            raise CommandError(f"{summary} Failed: {', '.join(failed)}.")
        self.stdout.write(self.style.SUCCESS(summary))

    def _link_related_lessons(self, imported: list[tuple[str, Lesson, ParsedLesson]]) -> None:
        """
        The second pass: link the related lessons that did not exist yet when their file was
        imported, and warn about any that still do not.
        """
        for name, lesson, document in imported:
            relations = document.lists.relations
            if not relations:  # most documents name none: no queries for them
                continue
            existing = set(Lesson.objects.filter(slug__in=[r.slug for r in relations]).values_list("slug", flat=True))
            if len(existing) > lesson.relations.count():
                with transaction.atomic(), reversion.create_revision():
                    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
                    link_related_lessons(lesson=lesson, relations=relations)
                    record_in_revision(lesson)
                    reversion.set_comment(f"Linked the related lessons named in {Path(name).name}.")
            for relation in relations:
                if relation.slug not in existing:
                    where = f"line {relation.line}: " if relation.line else ""
                    self.stderr.write(
                        f"{name}: {where}warning: no lesson '{relation.title or relation.slug}' ({relation.slug}) "
                        "to link to; imported without that related lesson"
                    )
