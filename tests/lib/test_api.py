"""tracker.lib.api: serializer fields are built once per class and copied per use."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tracker.ci.api import CIStatusIn, CIStatusOut
from tracker.ci.models import CIStatus
from tracker.lib.api import AbsoluteUrlField, ModelSerializer


def _request(host: str) -> Request:
    return Request(APIRequestFactory().get("/", HTTP_HOST=host))


def test_each_use_gets_its_own_bound_fields():
    first, second = CIStatusIn(data={}), CIStatusIn(data={})
    for name in ("sha", "context", "state", "metrics"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    template = ModelSerializer._templates[CIStatusIn]
    assert all(getattr(f, "parent", None) is None for f in template.values())


class _Nesting(ModelSerializer):
    """A ModelSerializer holding fields that hold fields."""

    itself = CIStatusOut(source="*")
    as_list = serializers.ListField(child=AbsoluteUrlField(), source="paths")

    class Meta:
        model = CIStatus
        fields = ["id", "itself", "as_list"]


def test_nested_fields_use_the_request_of_their_own_use(product, settings):
    """Fields holding fields are rebuilt per use: sharing them with the first
    use would keep that use's request (and build links for its host)."""
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    status = CIStatus(id=1, product=product, sha="a" * 40, context="train")
    status.paths = ["/x/"]
    hosts = ["one.example", "two.example"]
    outputs = [
        _Nesting(status, context={"request": _request(host)}).data for host in hosts
    ]
    expected = [f"http://{host}/products/{product.slug}/#ci-h" for host in hosts]
    assert [o["itself"]["html_url"] for o in outputs] == expected
    assert [o["as_list"] for o in outputs] == [[f"http://{h}/x/"] for h in hosts]
