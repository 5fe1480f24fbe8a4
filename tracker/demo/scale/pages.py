"""The page kinds a reader visits, on the scale data (`seed_demo --scale N`):
one address per kind, the same objects whatever N is (the first generated
product and what hangs off it), read by benchmarks/pages.py and by the test
that holds each page's statement count fixed as the organisation grows.

A page whose URL the site does not serve (yet) is left out: page_urls() says
which, so that the benchmark can print it as absent.
"""

from django.urls import Resolver404, resolve

from tracker.accounts.models import User
from tracker.incidents.models import Incident
from tracker.postmortems.models import Postmortem

PRODUCT = "scale-0"  # the first generated product: the same at every size
READER = "scale-user-0"  # a member of its team, one of its owners; not staff
WORD = "drift"  # searched for in the library and the global search


def reader() -> User:
    return User.objects.get(username=READER)


def page_urls() -> dict[str, str]:
    """{page kind: URL}, HTML pages first, then the API's main lists; every
    kind is listed, served or not (see served())."""
    incident = (
        Incident.objects.filter(product__slug=PRODUCT, postmortems__isnull=False)
        .order_by("pk")
        .first()
    )
    postmortem = Postmortem.objects.filter(product__slug=PRODUCT).order_by("pk").first()
    product = f"/products/{PRODUCT}"
    return {
        "product list": "/products/",
        "product page": f"{product}/",
        "product metrics": f"{product}/metrics/",
        "product delivery": f"{product}/delivery/",
        "product work": f"{product}/work/",
        "survey": f"{product}/survey/",
        "history": f"{product}/history/",
        "incident list": "/incidents/",
        "incident page": f"/incidents/{incident.pk}/",
        "postmortem list": "/postmortems/",
        "library search": f"/postmortems/library/?q={WORD}",
        "postmortem page": f"/postmortems/{postmortem.pk}/",
        "my action items": "/me/",
        "action items": "/action-items/",
        "notifications": "/notifications/",
        "data contracts": f"{product}/contracts/",
        "follow-up policies": "/postmortems/policies/",
        "insights": "/insights/",
        "portfolio": "/reports/portfolio/",
        "global search": f"/search/?q={WORD}",
        "API products": "/api/v1/products/",
        "API incidents": "/api/v1/incidents/",
        "API postmortems": "/api/v1/postmortems/",
        "API action items": "/api/v1/action-items/",
        "API notifications": "/api/v1/notifications/",
        "API teams": "/api/v1/teams/",
        "API history": f"/api/v1{product}/history/",
        "API insights": "/api/v1/insights/",
        "API portfolio": "/api/v1/reports/portfolio/",
        "API search": f"/api/v1/search/?q={WORD}",
    }


def served(url: str) -> bool:
    """Whether the site routes the URL to a view (pages other work adds later
    are not served before it lands)."""
    try:
        resolve(url.split("?")[0])
    except Resolver404:
        return False
    return True
