"""tracker.lib.api's link fields, in the serializers that hold them."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tracker.ci.api import CIStatusOut
from tracker.ci.models import CIStatus
from tracker.lib.api import AbsoluteUrlField


def _request(host: str) -> Request:
    return Request(APIRequestFactory().get("/", HTTP_HOST=host))


class _Nesting(serializers.ModelSerializer):
    """A ModelSerializer holding fields that hold fields."""

    itself = CIStatusOut(source="*")
    as_list = serializers.ListField(child=AbsoluteUrlField(), source="paths")

    class Meta:
        model = CIStatus
        fields = ["id", "itself", "as_list"]


def test_nested_fields_use_the_request_of_their_own_use(product, settings):
    """Links nested in a serializer are built for the request of each use."""
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    status = CIStatus(id=1, product=product, sha="a" * 40, context="train")
    status.paths = ["/x/"]
    hosts = ["one.example", "two.example"]
    outputs = [
        _Nesting(status, context={"request": _request(host)}).data for host in hosts
    ]
    expected = [
        f"http://{host}/products/{product.slug}/delivery/#ci-h" for host in hosts
    ]
    assert [o["itself"]["html_url"] for o in outputs] == expected
    assert [o["as_list"] for o in outputs] == [[f"http://{h}/x/"] for h in hosts]
