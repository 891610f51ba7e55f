"""concepts: the banks, drawing and negation, exact grading with explanations, text parts, pins."""
import pytest

from grader import registry
from grader.answers.base import CORRECT, INCORRECT, MANUAL
from grader.errors import InvalidParams
from grader.grading import grade, grade_part
from grader.problems.concepts import BANK, BY_ID, TOPICS, Question, Statement, bank

SEEDS = range(80)


@pytest.fixture(scope="module")
def problem():
    return registry.get("concepts")


@pytest.fixture(scope="module")
def instances(problem):
    return [problem.instance(seed) for seed in SEEDS]


def test_bank_is_sound():
    assert len(BY_ID) == len(BANK)
    assert len([i for i in BANK if i.topic == "autoencoders"]) == 10  # the seed's (a)-(j)
    for topic in TOPICS:
        assert len(bank(topic)) >= 6
    for item in BANK:
        assert item.text.strip() and item.explanation.strip()
        if isinstance(item, Statement) and item.negated:
            assert item.negated != item.text
        if isinstance(item, Question):
            assert len(set(item.options)) == len(item.options) >= 3
            assert all(k != 0 and 0 < k < len(item.options) for k, _, _ in item.traps)


def test_every_option_is_answerable_by_its_text_and_letter(problem):
    """Any option a student picks must read back as that option, not as invalid."""
    for item in BANK:
        if not isinstance(item, Question):
            continue
        inst = problem.instance(0, {"topic": "all", "count": 1, "explain": 0,
                                    "items": [{"id": item.id, "order": list(range(len(item.options)))}]})
        part = inst.part("s1")
        for i, option in enumerate(item.options):
            assert part.type.parse(option) == i
            assert part.type.parse(chr(65 + i).lower()) == i


def test_draws_respect_topic_count_and_vary(instances):
    negated = plain = 0
    letters = set()
    for inst in instances:
        topic, items = inst.params["topic"], inst.params["items"]
        assert len(items) == inst.params["count"] == 6
        assert all(topic == "all" or BY_ID[spec["id"]].topic == topic for spec in items)
        assert len({spec["id"] for spec in items}) == 6
        for i, spec in enumerate(items, 1):
            negated += spec.get("negated", False)
            plain += spec.get("negated") is False
            if "order" in spec:
                letters.add(inst.answer(f"s{i}"))
    assert negated > 20 and plain > 20
    assert letters == {"A", "B", "C", "D"}
    assert {inst.params["topic"] for inst in instances} == set(TOPICS) | {"all"}
    assert len({str(inst.params["items"]) for inst in instances}) == len(instances)


def test_negation_flips_the_answer_and_keeps_the_explanation(problem):
    plain = problem.instance(0, {"topic": "autoencoders", "count": 1, "explain": 1, "items": ["ae-lower-loss"]})
    flipped = problem.instance(0, {"topic": "autoencoders", "count": 1, "explain": 1,
                                   "items": [{"id": "ae-lower-loss", "negated": True}]})
    assert plain.answer("s1") is False and flipped.answer("s1") is True
    assert plain.context["asked"][0]["text"] != flipped.context["asked"][0]["text"]
    assert "need not" in flipped.context["asked"][0]["text"]
    for inst in (plain, flipped):
        right = grade_part(inst, inst.part("s1"), inst.answer("s1"), {})
        wrong = grade_part(inst, inst.part("s1"), not inst.answer("s1"), {})
        assert right.verdict == CORRECT and "bottleneck" in right.feedback
        assert wrong.verdict == INCORRECT and wrong.misconception == "loss-is-the-goal"
        assert wrong.feedback.startswith(f"It is {str(inst.answer('s1')).lower()}.")


def test_pinned_items_set_the_topic(problem):
    inst = problem.instance(5, {"count": 2, "items": ["gnn-hops", "gnn-flip"]})
    assert inst.params["topic"] == "gnn" and inst.params["items"][0] == {"id": "gnn-hops", "negated": False}
    assert problem.instance(5, {"count": 2, "items": ["gnn-hops", "ae-decoder"]}).params["topic"] == "all"


def test_choice_traps_and_explanations(problem):
    inst = problem.instance(0, {"topic": "gnn", "count": 2, "explain": 0, "items": [
        {"id": "gnn-double-dense", "order": [2, 1, 0, 3]}, {"id": "gnn-double-weights", "order": [0, 1, 2, 3]}]})
    assert inst.answer("s1") == "C" and inst.answer("s2") == "A"
    assert grade_part(inst, inst.part("s1"), "It roughly quadruples", {}).verdict == CORRECT
    doubled = grade_part(inst, inst.part("s1"), "B", {})
    assert doubled.misconception == "forgot-degree" and doubled.feedback.startswith("The answer is C")
    other = grade_part(inst, inst.part("s1"), "A", {})
    assert other.verdict == INCORRECT and other.misconception is None and "2 × 2 = 4" in other.feedback
    assert grade_part(inst, inst.part("s2"), "b", {}).misconception == "weights-per-node"


def test_explanations_are_manual_with_a_rubric(problem):
    inst = problem.instance(3, {"topic": "cnn", "explain": 2})
    assert inst.part_ids[-2:] == ["s1_why", "s2_why"]
    result = grade(inst, {"s1_why": "because", "s2_why": ""})
    why = {p.id: p for p in result.parts}
    assert why["s1_why"].verdict == MANUAL and "Rubric:" in why["s1_why"].feedback
    assert why["s2_why"].verdict == "unanswered"
    assert problem.instance(3, {"topic": "cnn", "explain": 0}).part_ids == [f"s{i}" for i in range(1, 7)]
    assert problem.instance(3, {"count": 1}).part_ids == ["s1", "s1_why"]  # explain is capped by count
    assert problem.instance(3, {"count": 12}).params["topic"] in ("gnn", "all")


def test_statements_read_as_statements(instances):
    for inst in instances[:10]:
        from grader.render import texts

        t = texts(inst)
        for i, asked in enumerate(inst.context["asked"], 1):
            assert asked["text"] in t.prompts[f"s{i}"]
            if asked["kind"] == "choice":
                assert all(option in t.prompts[f"s{i}"] for option in asked["options"])
            assert asked["explanation"] in t.solutions[f"s{i}"]


@pytest.mark.parametrize("pins, name, words", [
    ({"topic": "rnn"}, "topic", "must be one of"),
    ({"topic": "cnn", "count": 20}, "count", "has 8 items"),
    ({"topic": "autoencoders", "count": 1, "items": ["gnn-hops"]}, "items", "unknown item"),
    ({"topic": "all", "count": 1, "items": [{"id": "ae-augmentation", "negated": True}]}, "items", "no negated form"),
    ({"topic": "all", "count": 1, "items": [{"id": "gnn-use-citations", "order": [0, 1, 2]}]}, "items", "permutation"),
    ({"topic": "all", "count": 2, "items": ["ae-decoder", "ae-decoder"]}, "items", "twice"),
    ({"topic": "all", "count": 3, "items": ["ae-decoder"]}, "items", "count is 3"),
    ({"items": [{"id": "ae-decoder", "order": [0]}]}, "items", "unexpected field"),
])
def test_bad_pins_name_the_parameter(problem, pins, name, words):
    with pytest.raises(InvalidParams) as err:
        problem.instance(0, pins)
    assert err.value.param == name and words in str(err.value)


def test_cli_pin_error_is_one_line(invoke):
    result = invoke("new", "concepts", "--param", "topic=cnn", "--param", "count=30")
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "Error: parameter 'count'" in result.output
