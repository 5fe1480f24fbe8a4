"""The ML Test Score rubric: the 28 tests of Breck et al., "The ML Test Score: A Rubric
for ML Production Readiness and Technical Debt Reduction" (IEEE Big Data 2017), in its
four sections of seven, and the paper's reading of the final score."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RubricTest:
    code: str
    section: str
    title: str
    hint: str


SECTIONS = {
    "data": "Features and data",
    "model": "Model development",
    "infra": "ML infrastructure",
    "monitoring": "Monitoring",
}

_TESTS = {
    "data": [
        (
            "Feature expectations are captured in a schema.",
            "Expected ranges and distributions of each input are written down and checked.",
        ),
        (
            "All features are beneficial.",
            "Each feature's contribution is measured; features that add nothing are removed.",
        ),
        (
            "No feature's cost is too much.",
            "Latency, memory, upstream dependencies and instability of each feature are weighed.",
        ),
        (
            "Features adhere to meta-level requirements.",
            "Only features allowed by policy (e.g. no protected attributes) are used.",
        ),
        (
            "The data pipeline has appropriate privacy controls.",
            "Access to raw and derived personal data is limited and audited.",
        ),
        (
            "New features can be added quickly.",
            "A new feature can reach production in days, not months.",
        ),
        (
            "All input feature code is tested.",
            "Feature extraction code has unit tests.",
        ),
    ],
    "model": [
        (
            "Model specs are reviewed and submitted.",
            "Model configuration is in version control and reviewed.",
        ),
        (
            "Offline and online metrics correlate.",
            "Improvements in offline metrics are shown to move the business KPI.",
        ),
        (
            "All hyperparameters have been tuned.",
            "A systematic search, not hand-picked values.",
        ),
        (
            "The impact of model staleness is known.",
            "How quality decays with model age is measured, so retraining cadence is chosen.",
        ),
        (
            "A simpler model is not better.",
            "The model beats a simple baseline (e.g. rules or a linear model) on the KPI.",
        ),
        (
            "Model quality is sufficient on all important data slices.",
            "Quality is reported per slice, not only on average.",
        ),
        (
            "The model has been tested for considerations of inclusion.",
            "Fairness and inclusion checks across user groups.",
        ),
    ],
    "infra": [
        (
            "Training is reproducible.",
            "Training twice on the same data gives close results.",
        ),
        ("Model specs are unit tested.", "Model code and configs have unit tests."),
        (
            "The full ML pipeline is integration tested.",
            "From raw data to a served model, run end to end in CI.",
        ),
        (
            "Model quality is validated before attempting to serve it.",
            "An automated gate blocks models that are worse than the current one.",
        ),
        (
            "The model allows debugging by observing the step-by-step computation of training "
            "or inference on a single example.",
            "Single-example debugging is possible.",
        ),
        (
            "Models are tested via a canary process before they enter production serving "
            "environments.",
            "A canary or shadow deployment runs before full rollout.",
        ),
        (
            "Models can be quickly and safely rolled back to a previous serving version.",
            "Rollback is rehearsed and fast.",
        ),
    ],
    "monitoring": [
        (
            "Dependency changes result in notification.",
            "Upstream schema or data source changes alert the team.",
        ),
        (
            "Data invariants hold in training and serving inputs.",
            "Schema checks run on live inputs and alert on violations.",
        ),
        (
            "Training and serving features compute the same values.",
            "Training/serving skew is measured.",
        ),
        (
            "Models are not too stale.",
            "Model age is monitored and alerts past a limit.",
        ),
        (
            "The model is numerically stable.",
            "NaNs and infinities are detected and alerted.",
        ),
        (
            "The model has not experienced a dramatic or slow-leak regression in training "
            "speed, serving latency, throughput, or RAM usage.",
            "Computing performance is monitored.",
        ),
        (
            "The model has not experienced a regression in prediction quality on served data.",
            "Prediction quality on live data is monitored (with delayed labels where needed).",
        ),
    ],
}

TESTS: list[RubricTest] = [
    RubricTest(f"{section}-{number}", section, title, hint)
    for section, tests in _TESTS.items()
    for number, (title, hint) in enumerate(tests, start=1)
]
TESTS_BY_CODE = {test.code: test for test in TESTS}
# The best score: a section scores up to one point per test, and the score is
# the weakest section. Every display says "1.5 / 7", never a bare "1.5".
MAX_SCORE = min(len(tests) for tests in _TESTS.values())


def interpretation(score: float) -> str:
    """The paper's reading of the final score (the minimum over the four sections)."""
    if score <= 0:
        return "More of a research project than a productionized system."
    if score <= 1:
        return (
            "Not totally untested, but it is worth considering the possibility of "
            "serious holes in reliability."
        )
    if score <= 2:
        return (
            "There's been a first pass at basic productionization, but additional "
            "investment may be needed."
        )
    if score <= 3:
        return (
            "Reasonably tested, but it's possible that more of those tests and "
            "procedures may be automated."
        )
    if score <= 5:
        return (
            "Strong levels of automated testing and monitoring, appropriate for "
            "mission-critical systems."
        )
    return "Exceptional levels of automated testing and monitoring."
