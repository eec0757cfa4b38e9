from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.backup import BackupError, backup, describe


class Command(BaseCommand):
    help = (
        "Back the whole site up to PATH: lessons with their parts and history, topics, users, groups "
        "and the admin log. PATH ending in .sqlite3 makes a copy of an SQLite database (safe while the "
        "site runs); .json or .json.gz makes a portable dump that restores onto any database. "
        "Lesson images (MEDIA_ROOT) are files: back them up separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", type=Path, help="the backup file: .sqlite3, .json or .json.gz")

    def handle(self, *args, path, **options):
        try:
            counts = backup(path=path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = f" ({describe(counts)})" if counts else ""
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path}{rows}."))
