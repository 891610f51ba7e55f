"""Numbers, vectors, sets, sequences, booleans, choices and text: table-driven and property tests."""
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.answers.base import AnswerParseError
from grader.answers.choice import Boolean, Choice, Text
from grader.answers.lists import Matrix, Vector, split_brackets
from grader.answers.numbers import Number, format_exact, sigfig_tolerance
from grader.answers.tokens import Sequence, Set

NUMBER_CASES = [
    # (reference, answer, rule, verdict)
    (Fraction(-5, 3), "-5/3", {}, "correct"),
    (Fraction(-5, 3), "-1.67", {}, "correct"),
    (Fraction(-5, 3), "-1.667", {}, "correct"),
    (Fraction(-5, 3), "\u22125/3", {}, "correct"),
    (Fraction(-5, 3), "\u22121.67", {}, "correct"),
    (Fraction(-5, 3), "-1.6", {}, "incorrect"),
    (Fraction(-5, 3), "-1.66", {}, "incorrect"),
    (Fraction(-5, 3), -1.667, {}, "correct"),
    (Fraction(-5, 3), "5/3", {}, "incorrect"),
    (9, "8.99", {}, "incorrect"),
    (9, "9.00", {}, "correct"),
    (9, 9, {}, "correct"),
    (9, "9.004", {}, "correct"),
    (6, " 6 ", {}, "correct"),
    (0, "0", {}, "correct"),
    (0, "0.001", {}, "incorrect"),
    (0, "0.001", {"atol": 0.01}, "correct"),
    (100, "101", {"rtol": 0.02}, "correct"),
    (100, "103", {"rtol": 0.02}, "incorrect"),
    (Fraction(1, 3), "0.333", {"exact": True}, "incorrect"),
    (Fraction(1, 3), "1/3", {"exact": True}, "correct"),
    (Fraction(1, 3), "2/6", {"exact": True}, "correct"),
    (Fraction(1000, 1), "1e3", {}, "correct"),
    (Fraction(1, 1000), "1e-3", {}, "correct"),
    (Fraction(1234, 1), "1230", {}, "correct"),
    (Fraction(1234, 1), "1240", {}, "incorrect"),
    (Fraction(123456, 1), "123000", {"sigfigs": 3}, "correct"),
    (Fraction(123456, 1), "123000", {"sigfigs": 5}, "incorrect"),
    (1, "1/0", {}, "invalid"),
    (1, "", {}, "invalid"),
    (1, True, {}, "invalid"),
    (1, [1], {}, "invalid"),
    (1, {"a": 1}, {}, "invalid"),
    (1, float("nan"), {}, "invalid"),
    (1, float("inf"), {}, "invalid"),
    (1, "1" * 5000, {}, "invalid"),
]


@pytest.mark.parametrize("ref, answer, rule, verdict", NUMBER_CASES)
def test_number(ref, answer, rule, verdict):
    assert Number(**rule).grade(answer, ref).verdict == verdict


def test_sign_hint():
    assert "sign" in Number().grade("5/3", Fraction(-5, 3)).feedback


@pytest.mark.parametrize("value, text", [
    (Fraction(6), "6"), (Fraction(-37, 20), "-1.85"), (Fraction(-5, 3), "-5/3"),
    (Fraction(1, 8), "0.125"), (Fraction(1, 3), "1/3"), (Fraction(-1, 2), "-0.5"),
])
def test_format_exact(value, text):
    assert format_exact(value) == text


def test_sigfig_tolerance_matches_the_rule():
    assert sigfig_tolerance(-5 / 3, 3) == pytest.approx(0.0051)
    assert sigfig_tolerance(9, 3) == pytest.approx(0.0051)
    assert sigfig_tolerance(0, 3) == 0


VECTOR_CASES = [
    ([Fraction(-5, 3), Fraction(1, 3)], ["-5/3", "1/3"], "correct"),
    ([Fraction(-5, 3), Fraction(1, 3)], "[-1.67, 0.333]", "correct"),
    ([Fraction(-5, 3), Fraction(1, 3)], "(-5/3, 1/3)", "correct"),
    ([Fraction(-5, 3), Fraction(1, 3)], [-1.67, 0.4], "incorrect"),
    ([Fraction(-5, 3), Fraction(1, 3)], [1, 2, 3], "incorrect"),
    ([Fraction(-5, 3), Fraction(1, 3)], "[1, 2", "invalid"),
    ([Fraction(-5, 3), Fraction(1, 3)], "[1, , 2]", "invalid"),
    ([Fraction(-5, 3), Fraction(1, 3)], [[1, 2]], "invalid"),
    ([Fraction(-5, 3), Fraction(1, 3)], 7, "invalid"),
    ([Fraction(-5, 3), Fraction(1, 3)], ["a", 1], "invalid"),
]


@pytest.mark.parametrize("ref, answer, verdict", VECTOR_CASES)
def test_vector(ref, answer, verdict):
    assert Vector().grade(answer, ref).verdict == verdict


def test_vector_shape_message_and_partial_credit():
    outcome = Vector().grade([1, 2, 3], [1, 2])
    assert "vector of 2 entries" in outcome.feedback and "3" in outcome.feedback
    partial = Vector(partial=True).grade([1, 5, 3, 9], [1, 2, 3, 4])
    assert partial.verdict == "partial" and partial.score == 0.5
    assert "entry 2 (you gave 5); entry 4 (you gave 9)" in partial.feedback
    named = Vector(index="x_{i}").grade([1, 2, 7], [1, 2, 3])
    assert named.feedback == "1 of 3 entries is off: x_3 (you gave 7)."
    pixels = Matrix(index="[{r0}, {c0}]").grade([[1, 2], [3, 0]], [[1, 2], [3, 4]])
    assert "[1, 1] (you gave 0)" in pixels.feedback


def test_matrix():
    ref = [[13, 6], [7, -2]]
    assert Matrix().grade("[[13, 6], [7, -2]]", ref).verdict == "correct"
    wrong = Matrix().grade([[13, 6], [7, 2]], ref)
    assert wrong.verdict == "incorrect" and "(2, 2)" in wrong.feedback
    assert "2×2 matrix" in Matrix().grade([[1, 2, 3]], ref).feedback
    assert Matrix().grade([[1, 2], [3]], ref).verdict == "invalid"
    assert Matrix().canonical(Matrix().reference(ref)) == ref


def test_split_brackets_never_evaluates():
    assert split_brackets("[[1, 2], [3, sqrt(4)]]") == [["1", "2"], ["3", "sqrt(4)"]]
    with pytest.raises(AnswerParseError):
        split_brackets("[" * 50 + "]" * 50)


SET_CASES = [
    (["neural network", "network neural"], ["network neural", "neural network"], "correct"),
    (["neural network", "network neural"], ["Neural  Network", "network, neural"], "correct"),
    (["neural network", "network neural"], "neural network; network neural", "correct"),
    (["neural network", "network neural"], [["neural", "network"], ["network", "neural"]], "correct"),
    (["neural network", "network neural"], ["neural network", "neural network", "network neural"], "correct"),
    (["neural network", "network neural"], ["neural network"], "incorrect"),
    (["neural network", "network neural"], ["neural network", "network neural", "neural neural"], "incorrect"),
    (["neural network", "network neural"], 12, "invalid"),
]


@pytest.mark.parametrize("ref, answer, verdict", SET_CASES)
def test_set(ref, answer, verdict):
    assert Set().grade(answer, ref).verdict == verdict


def test_set_feedback_names_extras():
    outcome = Set().grade(["neural network", "zzz"], ["neural network", "network neural"])
    assert '"zzz"' in outcome.feedback and "missing" in outcome.feedback


@pytest.mark.parametrize("answer, verdict", [
    ("neural network network", "correct"), (["neural", "network", "network"], "correct"),
    ("Neural Network Network.", "correct"), ("network network neural", "incorrect"),
    ("neural network", "incorrect"), ("", "invalid"), (3, "invalid"),
])
def test_sequence(answer, verdict):
    assert Sequence().grade(answer, ("neural", "network", "network")).verdict == verdict


def test_sequence_order_feedback():
    assert "order" in Sequence().grade("b a", ("a", "b")).feedback


@pytest.mark.parametrize("answer, verdict", [
    (True, "correct"), ("true", "correct"), ("T", "correct"), ("yes", "correct"), ("Y", "correct"),
    (False, "incorrect"), ("no", "incorrect"), ("maybe", "invalid"), (None, "invalid"), (2, "invalid"),
])
def test_boolean(answer, verdict):
    assert Boolean(explanation="Because.").grade(answer, True).verdict == verdict


def test_boolean_feedback_explains():
    assert Boolean(explanation="Because.").grade(False, True).feedback.endswith("Because.")


def test_choice():
    c = Choice(options=("fewer parameters", "more parameters"), explanation="Pooling shrinks.")
    assert c.grade("A", 0).verdict == "correct"
    assert c.grade("a)", 0).verdict == "correct"
    assert c.grade("Fewer parameters", 0).verdict == "correct"
    assert c.grade("B", 0).verdict == "incorrect"
    assert c.grade("C", 0).verdict == "invalid"
    assert c.canonical(0) == "A"


def test_text_is_left_to_a_person():
    outcome = Text(rubric="mentions singular values").grade("they shrink", "model answer")
    assert outcome.verdict == "manual" and "singular values" in outcome.feedback


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_types_never_raise_on_any_json(raw):
    for answer_type, ref in [(Number(), Fraction(-5, 3)), (Vector(), [1, 2]), (Matrix(), [[1]]),
                             (Set(), ["a b"]), (Sequence(), ("a",)), (Boolean(), True),
                             (Choice(options=("x", "y")), 1), (Text(), "t")]:
        outcome = answer_type.grade(raw, ref)
        assert outcome.verdict in {"correct", "partial", "incorrect", "invalid", "manual"}
        assert 0 <= outcome.score <= 1


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=1000))
def test_number_canonical_and_decimal_round_trip(value):
    n = Number()
    ref = n.reference(value)
    assert n.grade(n.canonical(ref), value).verdict == "correct"
    for alt in n.notations(ref):
        assert n.grade(alt, value).verdict == "correct"
