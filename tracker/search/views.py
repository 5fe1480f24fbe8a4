"""The search results page, /search/?q=…"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tracker.search.forms import SearchForm
from tracker.search.selectors import global_search


@login_required
def search_results(request: HttpRequest) -> HttpResponse:
    """Everything the reader may read that matches, grouped by kind. No words
    yet: the empty form; a bad one (too long): its message, and a 400."""
    form = SearchForm(request.GET) if "q" in request.GET else SearchForm()
    results = None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        results = global_search(
            user=request.user,
            text=form.cleaned_data["q"],
            kinds=[kind] if kind else None,
        )
    return render(
        request,
        "search/results.html",
        {"form": form, "results": results},
        status=400 if form.errors else 200,
    )
