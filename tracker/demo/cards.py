"""The demo's segments, worst-case floors, model cards and decisions awaiting
sign-off: the fraud score declares merchant sizes, its precision has a floor
that the small merchants fail, and a planning decision waits for its PM."""

from datetime import timedelta

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.people import user_named
from tracker.products import services
from tracker.products.models import Product
from tracker.products.segments import segments_set

# product slug → (segments, metric name, floor, latest value per segment)
SEGMENTS = {
    "fraud-score": (
        ["merchant_size=small", "merchant_size=medium", "merchant_size=large"],
        "Precision at 1% review",
        0.45,
        # Small merchants are few in the training data: they fail first.
        {"merchant_size=small": 0.38, "merchant_size=medium": 0.55},
        {"merchant_size=large": 0.61},
    ),
    "demand-forecast": (
        ["region=north", "region=south", "region=islands"],
        None,
        None,
        {},
        {},
    ),
}


def seed_segments(*, now) -> None:
    for slug, (names, metric_name, floor, *values) in SEGMENTS.items():
        product = Product.objects.get(slug=slug)
        with acting(actor=product.ml_owner, via=Via.COMMAND):
            segments_set(product=product, names=names)
            if metric_name is None:
                continue
            metric = product.metrics.get(name=metric_name)
            services.metric_update(metric=metric, data={"worst_case_floor": floor})
            for days_ago, batch in zip((9, 2), values, strict=True):
                for segment, value in batch.items():
                    services.measurement_record(
                        metric=metric,
                        value=value,
                        measured_at=now - timedelta(days=days_ago),
                        actor=user_named("bob"),
                        segment=segment,
                    )
