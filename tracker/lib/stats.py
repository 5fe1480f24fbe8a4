"""Small statistics the experiments need, in plain Python (no SciPy).

Welch's t interval for the difference of two means: the standard error
sqrt(s1²/n1 + s2²/n2), the Welch–Satterthwaite degrees of freedom and the
Student-t quantile, computed from the regularized incomplete beta function
(Numerical Recipes' continued fraction, Lentz's method) and bisection.
"""

import math
from dataclasses import dataclass

_EPS = 1e-15
_TINY = 1e-300


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (converges for x < (a+1)/(a+b+2))."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            fraction *= c * d
        if abs(c * d - 1.0) < _EPS:
            break
    return fraction


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must lie in [0, 1].")
    if x in (0.0, 1.0):
        return x
    log_front = (
        math.lgamma(a + b)
        - math.lgamma(a)
        - math.lgamma(b)
        + a * math.log(x)
        + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` (> 0, not necessarily whole) degrees."""
    if df <= 0:
        raise ValueError("Degrees of freedom must be positive.")
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, by bisection on t_cdf (to about 1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1.")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


@dataclass(frozen=True)
class Sample:
    """What a group of values is summarised to: count, mean, sample variance."""

    count: int
    mean: float | None
    variance: float | None  # with n - 1 (None below two values)


@dataclass(frozen=True)
class WelchInterval:
    """The difference of means (second minus first) and its confidence interval;
    `low`/`high` None, with `reason`, when it cannot be computed."""

    difference: float | None
    low: float | None
    high: float | None
    df: float | None
    t: float | None  # the statistic, difference / standard error
    reason: str = ""


NOT_ENOUGH_DATA = "not enough data: each arm needs at least two measurements"
NO_VARIATION = "not enough data: the measurements do not vary, so no interval"


def welch_interval(
    first: Sample, second: Sample, *, confidence: float = 0.95
) -> WelchInterval:
    """Welch's t interval for mean(second) - mean(first)."""
    if first.count < 2 or second.count < 2:
        return WelchInterval(None, None, None, None, None, NOT_ENOUGH_DATA)
    difference = second.mean - first.mean
    v1, v2 = first.variance / first.count, second.variance / second.count
    se2 = v1 + v2
    if se2 <= 0:
        return WelchInterval(difference, None, None, None, None, NO_VARIATION)
    df = se2 * se2 / (v1 * v1 / (first.count - 1) + v2 * v2 / (second.count - 1))
    se = math.sqrt(se2)
    margin = t_quantile(0.5 + confidence / 2.0, df) * se
    return WelchInterval(
        difference, difference - margin, difference + margin, df, difference / se
    )
