"""Big-O: equal up to constant factors and dominated terms under the stated assumptions."""
import pytest

from grader.answers.bigo import BigO
from grader.errors import GraderError

BEAM = BigO(variables=("T", "k", "M"), assume=("M >= k",))
FREE = BigO(variables=("T", "k", "M"))
N = BigO(variables=("n", "d"))
REF = "O(T k M log M)"

CASES = [
    (BEAM, REF, "O(T k M log M)", "correct"),
    (BEAM, REF, "T*k*M*log(M)", "correct"),
    (BEAM, REF, r"O(TkM\log M)", "correct"),
    (BEAM, REF, "O(TkM log M + T k^2 log k)", "correct"),
    (BEAM, REF, "O(3 T k M log(M^2) + 7)", "correct"),
    (BEAM, REF, "O(T k M log(k M))", "correct"),
    (BEAM, REF, "O(T k M log_2 M)", "correct"),
    (BEAM, REF, "O(T k M ln M + T k M)", "correct"),
    (BEAM, REF, "O(T k M)", "incorrect"),
    (BEAM, REF, "O(T^2 k M log M)", "incorrect"),
    (BEAM, REF, "O(T k^2 log k)", "incorrect"),
    (BEAM, REF, "O(T M log M)", "incorrect"),
    (BEAM, REF, "O(M^T)", "incorrect"),
    (BEAM, "O(M^T)", "O(M^T + T k M log M)", "correct"),
    (N, "O(2^n)", "O(n 2^n)", "incorrect"),
    (N, "O(2^n)", "O(2^n + n^5)", "correct"),
    (N, "O(2^n)", "O(sin(n))", "invalid"),
    (BEAM, REF, "O(n)", "invalid"),
    (BEAM, REF, "2 O(T)", "invalid"),
    (BEAM, REF, "O(", "invalid"),
    (BEAM, REF, None, "invalid"),
    (FREE, REF, "O(TkM log M + T k^2 log k)", "incorrect"),
    (FREE, REF, "O(T k M log M)", "correct"),
    (N, "O(n^2 d)", "O(n^2 d + n d)", "correct"),
    (N, "O(n^2 d)", "O(n^2 d + n d^2)", "incorrect"),
    (N, "O(n log n)", "O(n log(n^3))", "correct"),
    (N, "O(n log n)", "O(n)", "incorrect"),
    (N, "O(n log n)", "O(n^(3/2))", "incorrect"),
    (N, "O(n log n)", "O(n log n + sqrt(n))", "correct"),
    (N, "O(1)", "O(5)", "correct"),
]


@pytest.mark.parametrize("atype,ref,answer,verdict", CASES)
def test_verdicts(atype, ref, answer, verdict):
    assert atype.grade(answer, ref).verdict == verdict


def test_feedback_names_missing_and_extra():
    assert "misses the growth of T k M log M" in BEAM.grade("O(T k M)", REF).feedback
    assert "T^2 k M log M" in BEAM.grade("O(T^2 k M log M)", REF).feedback
    assert "k^2" in FREE.grade("O(TkM log M + T k^2 log k)", REF).feedback


def test_assumptions_are_checked():
    with pytest.raises(GraderError):
        BigO(variables=("n",), assume=("n >= q",))
    assert BigO(variables=("M", "k"), assume=("k <= M",)).grade("O(M k + k^2)", "O(M k)").verdict == "correct"


def test_contract_helpers():
    for notation in BEAM.notations(REF):
        assert BEAM.grade(notation, REF).verdict == "correct"
    for wrong in BEAM.perturb(REF, None):
        assert BEAM.grade(wrong, REF).verdict == "incorrect"
