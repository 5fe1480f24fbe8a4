"""The product history page: everything the audit trail recorded about a product
and what belongs to it, filterable, for those who may read the product."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tracker.audit import selectors as audit_selectors
from tracker.audit.filters import AuditEventFilter
from tracker.lib.views import paginate
from tracker.products.selectors import product_get_for_user

PER_PAGE = 50


@require_safe
@login_required
def product_history(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    history_filter = AuditEventFilter(
        request.GET, queryset=audit_selectors.product_history(product_id=product.pk)
    )
    page = paginate(request, history_filter.qs, PER_PAGE)
    return render(
        request,
        "audit/product_history.html",
        {
            "product": product,
            "filter": history_filter,
            "page": page,
            "history": audit_selectors.entries(page),
        },
    )
