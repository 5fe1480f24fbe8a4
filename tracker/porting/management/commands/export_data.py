import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.porting.selectors import export_instance, export_product, product_by_slug


class Command(BaseCommand):
    help = (
        "Write all data, or one product's, as a JSON export document "
        "(docs/porting.md) to standard output or a file. Streamed: the instance "
        "is never held in memory whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("--product", metavar="SLUG", help="only this product")
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="write here (default: stdout)"
        )

    def handle(self, *args, product: str | None, output: str | None, **options):
        if product is None:
            pieces = export_instance()
        else:
            found = product_by_slug(product)
            if found is None:
                raise CommandError(f"No product has the slug {product!r}.")
            pieces = export_product(product=found, personal=True)
        if output is None:
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        # Written aside and renamed at the end: FILE is never half an export.
        target = Path(output)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as file:
                for piece in pieces:
                    file.write(piece)
            os.replace(partial, target)
        except OSError as error:
            raise CommandError(f"Could not write {output}: {error}") from error
        self.stderr.write(f"Wrote {output} ({target.stat().st_size:,} bytes).")
