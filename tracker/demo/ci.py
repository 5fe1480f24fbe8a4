"""The demo's CI history: stages reported for a few commits, as a pipeline
would post them."""

from tracker.ci.services import ci_status_report
from tracker.products.models import Product

CI_RUNS = {
    # product: [(sha, {context: state}), ...] oldest commit first
    "fraud-score": [
        (
            "3f9c2a1e7b",
            {
                "data-validation": "success",
                "train": "success",
                "evaluate": "success",
                "deploy": "success",
            },
        ),
        (
            "8d41be07c2",
            {
                "data-validation": "success",
                "train": "success",
                "evaluate": "success",
                "deploy": "pending",
            },
        ),
    ],
    "churn-warning": [
        (
            "a17e5c9d30",
            {"data-validation": "success", "train": "success", "evaluate": "failure"},
        ),
    ],
}


def seed_ci() -> None:
    """CI reports as a pipeline would post them, one stage after another."""
    for slug, runs in CI_RUNS.items():
        product = Product.objects.get(slug=slug)
        for n, (sha, stages) in enumerate(runs):
            for context, state in stages.items():
                ci_status_report(
                    product=product,
                    sha=sha.ljust(40, "0"),
                    context=context,
                    actor=product.eng_owner,
                    token=None,
                    data={
                        "state": state,
                        "ref": "main",
                        "target_url": f"https://ci.example.org/{slug}/{n + 1}",
                        "description": f"{context} {state}",
                    },
                )
