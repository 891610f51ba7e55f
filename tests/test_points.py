"""Points to 2 decimals with largest-remainder rounding: parts add up exactly."""
from fractions import Fraction

import pytest

from grader.exam.points import round_parts, shown, split, to_cents, value


def test_twenty_points_over_twelve_parts():
    shares = split(20, [1] * 12)
    assert [shown(x) for x in shares] == ["1.67"] * 8 + ["1.66"] * 4
    assert sum(shares) == 20


@pytest.mark.parametrize("weights, total", [([1, 1, 1], 10), ([1, 2, 3, 4], 7), ([0.5, 0.25], 1), ([1], 2.5),
                                            ([3] * 7, 14), ([1, 1, 1], 0.01)])
def test_split_adds_up(weights, total):
    shares = split(total, weights)
    assert sum(shares) == to_cents(total)
    assert all(x * 100 == int(x * 100) for x in shares)


def test_round_parts_keeps_the_rounded_sum():
    thirds = [Fraction(10, 3)] * 3
    assert [shown(x) for x in round_parts(thirds)] == ["3.34", "3.33", "3.33"]
    assert sum(round_parts(thirds)) == 10
    assert round_parts([Fraction(1, 3), Fraction(1, 3)], total=Fraction(2, 3)) == [Fraction(34, 100), Fraction(33, 100)]
    assert round_parts([0.1, 0.2], total=Fraction(3, 10)) == [Fraction(1, 10), Fraction(2, 10)]


def test_values_print_without_float_noise():
    assert shown(-1.1400000000000001) == "-1.14"
    assert shown(12902.0) == "12902"
    assert value(Fraction(5, 2)) == 2.5 and value(10.0002) == 10
    assert to_cents(0.125) == Fraction(13, 100) and to_cents(-0.125) == Fraction(-13, 100)


def test_rounded_result_adds_up():
    from grader.exam.points import rounded_result

    result = {"student": "s1", "score": 2.5, "max_score": 5, "problems": [
        {"problem": "p", "score": 2.5, "max_score": 5, "parts": [
            {"id": "a", "score": 0.835, "max_score": 1.67}, {"id": "b", "score": 0.835, "max_score": 1.67},
            {"id": "c", "score": 0.83, "max_score": 1.66}]}]}
    out = rounded_result(result)
    assert [p["score"] for p in out["problems"][0]["parts"]] == [0.84, 0.83, 0.83] and out["score"] == 2.5
