"""The Student-t quantile and Welch's interval against published values."""

import math
import statistics

import pytest

from tracker.lib.stats import (
    NOT_ENOUGH_DATA,
    Sample,
    incomplete_beta,
    t_cdf,
    t_quantile,
    welch_interval,
)


# Two-sided 95 % (p = 0.975) and one-sided 95 % (p = 0.95) critical values, as
# printed in any t table (e.g. NIST/SEMATECH e-Handbook, table 1.4.2.3.4).
@pytest.mark.parametrize(
    ("df", "p975", "p95"),
    [
        (1, 12.706, 6.314),
        (2, 4.303, 2.920),
        (3, 3.182, 2.353),
        (5, 2.571, 2.015),
        (10, 2.228, 1.812),
        (20, 2.086, 1.725),
        (30, 2.042, 1.697),
        (100, 1.984, 1.660),
    ],
)
def test_t_quantile_matches_the_table(df, p975, p95):
    assert t_quantile(0.975, df) == pytest.approx(p975, abs=5e-4)
    assert t_quantile(0.95, df) == pytest.approx(p95, abs=5e-4)


def test_t_quantile_is_symmetric_and_tends_to_the_normal():
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    assert t_quantile(0.5, 4) == pytest.approx(0, abs=1e-9)
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)


def test_t_quantile_for_fractional_degrees_lies_between_the_whole_ones():
    # Welch's degrees of freedom are rarely whole.
    assert t_quantile(0.975, 10) > t_quantile(0.975, 10.5) > t_quantile(0.975, 11)


def test_t_cdf_inverts_the_quantile_and_knows_closed_forms():
    for df in (1, 2.5, 9, 40):
        assert t_cdf(t_quantile(0.9, df), df) == pytest.approx(0.9, abs=1e-10)
    # df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
    assert t_cdf(2.0, 1) == pytest.approx(0.5 + math.atan(2.0) / math.pi)
    # df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t²)).
    assert t_cdf(1.5, 2) == pytest.approx(0.5 + 1.5 / (2 * math.sqrt(2 + 1.5**2)))


def test_incomplete_beta_closed_form():
    # I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
    assert incomplete_beta(3.0, 1.0, 0.4) == pytest.approx(0.4**3)
    assert incomplete_beta(1.0, 2.5, 0.7) == pytest.approx(1 - 0.3**2.5)
    assert incomplete_beta(2.0, 3.0, 0.0) == 0.0
    assert incomplete_beta(2.0, 3.0, 1.0) == 1.0


def _sample(values):
    return Sample(len(values), statistics.mean(values), statistics.variance(values))


# Welch's t-test, worked example 1 on Wikipedia's "Welch's t-test" page:
# t = -2.46, df = 24.9, p = 0.021 (two-sided).
A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0]
A1 += [21.7, 21.4]
A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9]
A2 += [20.5, 24.4]


def test_welch_interval_reproduces_the_published_example():
    interval = welch_interval(_sample(A2), _sample(A1))
    assert interval.difference == pytest.approx(-2.1667, abs=1e-4)
    assert interval.t == pytest.approx(-2.46, abs=5e-3)
    assert interval.df == pytest.approx(24.99, abs=5e-2)
    p_two_sided = 2 * (1 - t_cdf(abs(interval.t), interval.df))
    assert p_two_sided == pytest.approx(0.021, abs=1e-3)
    # p < 0.05, so the 95 % interval excludes zero; by hand: the difference
    # ± t(0.975, 24.99) · se, with se = difference / t.
    se = interval.difference / interval.t
    margin = t_quantile(0.975, interval.df) * se
    assert interval.low == pytest.approx(-2.1667 - margin, abs=1e-3)
    assert interval.high == pytest.approx(-2.1667 + margin, abs=1e-3)
    assert interval.high < 0


def test_welch_interval_by_hand():
    # first: 1, 2, 3 (mean 2, s² 1); second: 4, 6, 8 (mean 6, s² 4).
    # se² = 1/3 + 4/3 = 5/3; df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 50/17.
    interval = welch_interval(_sample([1, 2, 3]), _sample([4, 6, 8]))
    assert interval.difference == 4
    assert interval.df == pytest.approx(50 / 17)
    margin = t_quantile(0.975, 50 / 17) * math.sqrt(5 / 3)
    assert interval.low == pytest.approx(4 - margin)
    assert interval.high == pytest.approx(4 + margin)


@pytest.mark.parametrize("counts", [(1, 5), (5, 1), (0, 3)])
def test_fewer_than_two_per_arm_is_not_enough_data(counts):
    first = Sample(counts[0], 1.0 if counts[0] else None, None)
    second = Sample(counts[1], 2.0, 1.0 if counts[1] > 1 else None)
    interval = welch_interval(first, second)
    assert interval.low is None and interval.high is None
    assert interval.reason == NOT_ENOUGH_DATA


def test_no_variation_gives_no_interval():
    interval = welch_interval(_sample([1, 1, 1]), _sample([2, 2]))
    assert interval.low is None
    assert "do not vary" in interval.reason
