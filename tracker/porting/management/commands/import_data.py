import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.porting.reader import DocumentError, document_parse
from tracker.porting.services import data_import


class Command(BaseCommand):
    help = (
        "Import a JSON export document (docs/porting.md): checked whole, written "
        "all or nothing. Prints what was created."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an export document; - reads stdin")
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="keep products and teams whose slug exists here (and integrations "
            "of the same name and kind) and import the rest; without it such a "
            "clash stops the import",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, write nothing"
        )

    def handle(self, *args, file: str, skip_existing: bool, dry_run: bool, **options):
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Could not read {file}: {error}") from error
        try:
            summary = data_import(
                document=document_parse(raw),
                skip_existing=skip_existing,
                dry_run=dry_run,
                label=f"import_data {file}",
            )
        except DocumentError as error:
            for line in error.lines:
                self.stderr.write(line)
            hint = "Use --skip-existing to keep them and import the rest."
            message = f"Nothing was imported. {hint if error.conflict else ''}"
            raise CommandError(message.strip()) from None
        for line in summary.lines:
            self.stdout.write(line)
