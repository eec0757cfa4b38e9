from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.backup import BackupError, describe, restore


class Command(BaseCommand):
    help = (
        "Restore the site from a backup made by `manage.py backup`, in one transaction. The file is "
        "checked first: a damaged or foreign file, or one from a newer version of the site, is refused "
        "and nothing changes. Restores into an empty database (migrated, with no lessons or users) "
        "unless --replace is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", type=Path, help="the backup file: .sqlite3, .json or .json.gz")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the lessons, users and history this database already holds with the backup's",
        )

    def handle(self, *args, path, replace, **options):
        try:
            counts = restore(path=path, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = f" ({describe(counts)})" if counts else ""
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}{rows}."))
