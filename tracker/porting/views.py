"""Export and import pages: a product's JSON download for anyone who may read
the product, and the whole instance's export and import for staff."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker.porting import selectors
from tracker.porting.forms import ImportForm
from tracker.porting.reader import DocumentError
from tracker.porting.services import data_import
from tracker.products.selectors import product_get_for_user

CONFLICT_HINT = (
    "Nothing was imported. Tick “Keep what exists” to keep them and import the rest."
)


def json_download(pieces, name: str) -> StreamingHttpResponse:
    """A streamed JSON file download (the API's export endpoints use it too)."""
    response = StreamingHttpResponse(pieces, content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.json"'
    return response


@require_safe
@login_required
def product_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    personal = selectors.user_may_port(request.user)
    return json_download(
        selectors.export_product(product=product, personal=personal), product.slug
    )


def _require_staff(request: HttpRequest) -> None:
    if not selectors.user_may_port(request.user):
        raise PermissionDenied("Only staff can export or import the whole instance.")


@require_safe
@login_required
def instance_export(request: HttpRequest) -> StreamingHttpResponse:
    _require_staff(request)
    return json_download(selectors.export_instance(), "tracker")


@login_required
def data_page(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    summary = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            summary = data_import(
                document=data["document"],
                skip_existing=data["skip_existing"],
                dry_run=data["dry_run"],
                actor=request.user,
            )
        except DocumentError as error:
            hint = [CONFLICT_HINT] if error.conflict else []
            form.add_error("document", [*error.lines, *hint])
        else:
            form = ImportForm()  # done: the next import starts afresh
    return render(request, "porting/data.html", {"form": form, "summary": summary})
