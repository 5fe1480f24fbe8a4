"""tracker.lib.api: serializer fields built once per class and copied per use;
input checked by a serializer's fields without building the serializer."""

import hypothesis
import pytest
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tracker.accounts.models import User
from tracker.ci.api import CIStatusIn, CIStatusOut
from tracker.ci.models import CIStatus
from tracker.ci.services import REPORT_FIELDS
from tracker.lib.api import AbsoluteUrlField, ModelSerializer, validated_quickly


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


# --- validated_quickly: the serializer's answer, without the serializer ------------

_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "train", " train", "deploy (eu)", "é" * 513]),
    st.sampled_from(["abcdef1", "ABCDEF1234", "a" * 64, "a" * 65, "xyz", "ab\\x00cd"]),
    st.sampled_from(["https://ci/1", "ftp://ci/1", "javascript:x", "http://"]),
    st.sampled_from(["2025-05-01T10:00:00Z", "2025-05-01", "yesterday"]),
)
_VALUE = st.one_of(
    _TEXT,
    st.sampled_from(["pending", "success", "done", "Success"]),
    st.none(),
    st.booleans(),
    st.integers(-5, 10**20),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["auc", "bad name", "rows"]), _TEXT | st.floats()),
)
_NAMES = st.sampled_from(
    ["sha", "context", "state", *REPORT_FIELDS, "colour", "id", "created_at"]
)
_REPORTS = st.fixed_dictionaries(
    {
        "sha": st.sampled_from(["9fceb02d0ae598e95dc970b74767f19372d61af8", "ABC1234"]),
        "context": st.sampled_from(["train", "data-validation"]),
        "state": st.sampled_from(["pending", "success"]),
    }
).flatmap(lambda base: st.dictionaries(_NAMES, _VALUE, max_size=5).map(base.__or__))


@hypothesis.settings(max_examples=400, deadline=None, derandomize=True)
@hypothesis.given(data=st.one_of(_REPORTS, st.dictionaries(_NAMES, _VALUE, max_size=4)))
def test_quick_validation_answers_as_the_serializer_does(data):
    serializer = CIStatusIn(data=data)
    valid = serializer.is_valid()
    quick = validated_quickly(CIStatusIn, data)
    assert (quick is not None) == valid, serializer.errors
    if valid:
        assert quick == dict(serializer.validated_data)


@pytest.mark.parametrize("data", [[], "x", None, {"sha": "abcdef1", "colour": "red"}])
def test_quick_validation_leaves_anything_odd_to_the_serializer(data):
    assert validated_quickly(CIStatusIn, data) is None


def test_quick_validation_stands_in_only_for_plain_serializers():
    class WithCheck(serializers.Serializer):
        name = serializers.CharField()

        def validate(self, attrs):
            raise serializers.ValidationError("never")

    class Nested(serializers.Serializer):
        inner = WithCheck()

    class Related(serializers.Serializer):
        person = serializers.SlugRelatedField(
            slug_field="username", read_only=False, queryset=User.objects.all()
        )

    class Defaulted(serializers.Serializer):
        name = serializers.CharField(default="x")

    assert validated_quickly(WithCheck, {"name": "a"}) is None
    assert validated_quickly(Nested, {"inner": {"name": "a"}}) is None
    assert validated_quickly(Related, {"person": "alice"}) is None
    assert validated_quickly(Defaulted, {}) is None
