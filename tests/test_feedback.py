"""Feedback that names what is wrong the way the exercise does (issue 15), across problems."""
import re

import pytest

from grader import registry
from grader.grading import grade_part
from grader.problems.concepts import BANK, TOPICS, Question, bank
from grader.render import render


def part_result(problem_id, answer, part_id, seed=0, pinned=None):
    problem = registry.get(problem_id)
    inst = problem.instance(seed, problem.example if pinned is None else pinned)
    return grade_part(inst, inst.part(part_id), answer, {})


def test_independent_vector_entries_earn_partial_credit_and_are_named():
    result = part_result("batchnorm-forward", ["-5/3", "1/3", "1/3", 5], "output")
    assert result.verdict == "partial" and result.score == pytest.approx(0.75)
    assert result.feedback == "1 of 4 entries is off: y_4 (you gave 5)."


def test_conv_message_passing_names_pixels_from_zero():
    problem = registry.get("conv-message-passing")
    inst = problem.instance(0, problem.example)
    output = [row[:] for row in inst.answer("output")]
    output[0][0] = 99
    result = grade_part(inst, inst.part("output"), output, {})
    assert "pixel [0, 0] (you gave 99; the kernel times the 3×3 window centred on [0, 0]" in result.feedback
    assert "(1, 1)" not in result.feedback


def test_cnn_shapes_with_the_batch_dimension_are_named():
    problem = registry.get("cnn-shapes")
    inst = problem.instance(0, problem.example)
    batched = [[32] + shape for shape in inst.answer("shapes")]
    result = grade_part(inst, inst.part("shapes"), batched, {})
    assert result.verdict == "incorrect" and "batch dimension (32)" in result.feedback
    assert "shapes are off" not in result.feedback


def test_cnn_parameter_counts_name_the_layer():
    problem = registry.get("cnn-shapes")
    inst = problem.instance(0, problem.example)
    counts = list(inst.answer("params"))
    counts[3] = 1
    result = grade_part(inst, inst.part("params"), counts, {})
    assert result.verdict == "partial" and "layer 4 (you gave 1)" in result.feedback


def test_softmax_rows_must_sum_to_one():
    problem = registry.get("diffpool")
    inst = problem.instance(4)
    assert inst.params["logits"] is not None
    rows = [[float(x) for x in row] for row in inst.context["S"]]
    assert rows[3] == pytest.approx([0.982, 0.018], abs=1e-3)
    off = [r[:] for r in rows]
    off[3] = [0.98, 0.027]  # 50% off in the second entry
    assert grade_part(inst, inst.part("S"), off, {}).verdict != "correct"
    far = [r[:] for r in rows]
    far[0] = [far[0][0], far[0][1] + 0.2]
    result = grade_part(inst, inst.part("S"), far, {})
    assert result.verdict == "incorrect" and "Node 1's row sums to" in result.feedback
    rounded = [[round(x, 2) for x in r] for r in rows]
    assert grade_part(inst, inst.part("S"), rounded, {}).verdict == "correct"


def test_edge_order_question_has_one_defensible_answer():
    item = next(q for q in BANK if q.id == "gnn-analogy-order")
    assert "the centre included" not in " ".join(item.options)
    assert "A 1×1 kernel" not in item.options


@pytest.mark.parametrize("topic", TOPICS)
def test_the_right_option_is_seldom_the_longest(topic):
    questions = [q for q in bank(topic) if isinstance(q, Question)]
    longest = [q.id for q in questions if len(q.options[0]) > max(len(o) for o in q.options[1:])]
    assert len(longest) <= max(1, len(questions) // 3), longest


@pytest.mark.parametrize("problem_id", registry.ids())
def test_student_text_calls_the_course_documents_by_their_name(problem_id):
    problem = registry.get(problem_id)
    texts = []
    for seed in range(4):
        inst = problem.instance(seed)
        texts.append(render(inst, "md", solution=True))
        for part in inst.parts:
            texts += [m.feedback for m in part.misconceptions]
    text = "\n".join(texts)
    assert not re.search(r"\bthe seed'?s?\b(?! \d)", text, re.IGNORECASE), problem_id
    prose = re.sub(r"`[^`]*`|\$[^$]*\$|nn\.", "", text)
    assert not re.search(r"[a-z0-9)]\.[A-Z][a-z]", prose), problem_id  # sentences run together


def test_new_concept_topics_are_drawn(invoke):
    for topic in ("pooling", "held-out", "sequence", "graph-design"):
        inst = registry.get("concepts").instance(1, {"topic": topic})
        assert {item["topic"] for item in inst.context["asked"]} == {topic}
        assert invoke("new", "concepts", "--seed", 1, "--param", f"topic={topic}").exit_code == 0


def test_autoencoder_statements_ask_for_the_reason():
    inst = registry.get("concepts").instance(2, {"topic": "autoencoders"})
    reasons = [p for p in inst.parts if p.id.endswith("_reason")]
    assert len(reasons) == 6
    part = reasons[0]
    n = part.extra["n"]
    asked = inst.context["asked"][n - 1]
    right = asked["reason"]["options"][asked["reason"]["answer"]]
    assert right == asked["explanation"]
    assert grade_part(inst, part, right, {}).verdict == "correct"
    wrong = next(o for o in asked["reason"]["options"] if o != right)
    assert grade_part(inst, part, wrong, {}).verdict == "incorrect"


def test_gnn_matrix_entries_are_named_by_node_with_the_update():
    problem = registry.get("gnn-message-passing")
    inst = problem.instance(0, problem.example)
    for pid, relation in (("mp_1", "v_B⁽¹⁾ = W v_B⁽⁰⁾ + W v_A⁽⁰⁾ + W v_C⁽⁰⁾"), ("no_mp_2", "v_B⁽²⁾ = W v_B⁽¹⁾")):
        rows = [row[:] for row in inst.answer(pid)]
        rows[1][0] = 99
        result = grade_part(inst, inst.part(pid), rows, {})
        assert result.feedback == f"1 of 8 entries is off: node B, entry 1 (you gave 99; {relation})."


def test_diffpool_entries_are_named_by_cluster_and_node():
    inst = registry.get("diffpool").instance(1)
    pooled = [row[:] for row in inst.answer("H_pooled")]
    pooled[1][0] = 99
    result = grade_part(inst, inst.part("H_pooled"), pooled, {})
    assert "cluster 2, entry 1 (you gave 99; h'_2 = Σᵢ S_i2 hᵢ)" in result.feedback
    links = [row[:] for row in inst.answer("soft_links")]
    links[2][0] = 99
    assert "nodes 3 and 1 (you gave 99; s_3 · s_1)" in grade_part(inst, inst.part("soft_links"), links, {}).feedback


def test_labelled_rows_and_columns_name_an_entry():
    from grader.answers.lists import Matrix

    kind = Matrix(labels=(("A", "B"), ("C", "D")))
    assert kind.grade([[1, 2], [3, 9]], [[1, 2], [3, 4]]).feedback == "1 of 4 entries is off: row B, column D (you gave 9)."
    assert Matrix().grade([[1, 2], [3, 9]], [[1, 2], [3, 4]]).feedback == "1 of 4 entries is off: (2, 2) (you gave 9)."


def test_set_and_sequence_answers_keep_the_case_they_were_written_in():
    from grader.answers.tokens import Sequence, Set

    outcome = Set().grade(["Neural Network", "Deep Learning"], ["neural network", "network neural"])
    assert outcome.feedback == '1 expected item missing; not expected: "Deep Learning".'
    assert outcome.read_as["text"] == "{Neural Network, Deep Learning}"
    assert Set().grade("Neural Network; NETWORK neural", ["neural network", "network neural"]).verdict == "correct"
    seq = Sequence().grade("Neural Network", ("neural", "network"))
    assert seq.verdict == "correct" and seq.read_as == {"text": "Neural Network", "latex": r"\text{Neural Network}"}
    problem = registry.get("gnn-message-passing")
    inst = problem.instance(0, problem.example)
    assert all(name.isupper() for name in inst.answer("feeds"))


@pytest.mark.parametrize("decoder, answer, verdict, mistake", [
    ("rnn", ["tokens", "hidden_state"], "correct", None),
    ("rnn", "the tokens so far; final hidden state", "correct", None),
    ("rnn", ["Tokens", "Hidden State", "log-probability"], "correct", None),  # the score is optional
    ("rnn", ["tokens"], "incorrect", "tokens-only"),
    ("rnn", ["tokens", "hidden_state", "cell_state"], "incorrect", "rnn-cell-state"),
    ("rnn", ["last token", "hidden state"], "incorrect", "last-token-only"),
    ("rnn", ["tokens", "hidden_state", "logits"], "incorrect", "distribution"),
    ("rnn", ["tokens", "all hidden states"], "incorrect", "all-hidden-states"),
    ("lstm", ["tokens", "h", "c"], "correct", None),
    ("lstm", ["tokens", "hidden_state"], "incorrect", "no-cell-state"),
    ("lstm", ["tokens", "hidden_state", "cell_state", "distribution"], "incorrect", "distribution"),
    ("lstm", ["tokens", "hidden_state", "the weights"], "invalid", None),
])
def test_beam_search_stored_is_a_set_of_named_items(decoder, answer, verdict, mistake):
    problem = registry.get("beam-search")
    inst = problem.instance(0, dict(problem.example, decoder=decoder))
    result = grade_part(inst, inst.part("stored"), answer, {})
    assert (result.verdict, result.misconception) == (verdict, mistake), result.feedback
    if verdict == "invalid":
        assert "'the weights' is not one of the items: tokens, hidden_state, cell_state" in result.feedback
    elif mistake is None:
        assert "Store the sequence of tokens y_1:t and the final hidden state" in result.feedback
        assert result.read_as["text"].startswith("{tokens, hidden_state")


def test_beam_search_asks_what_is_stored_for_the_drawn_decoder():
    problem = registry.get("beam-search")
    decoders = {problem.instance(seed).params["decoder"] for seed in range(1, 20)}
    assert decoders == {"rnn", "lstm"}
    text = render(problem.instance(0, dict(problem.example, decoder="lstm")), "md", solution=True)
    assert "an LSTM" in text and '"tokens", "hidden_state", "cell_state"' in text


def test_image_as_graph_shape_entries_are_named_as_rows_and_columns():
    inst = registry.get("image-as-graph").instance(3)
    rows, cols = inst.answer("matrix_shape")
    result = grade_part(inst, inst.part("matrix_shape"), [rows, cols + 5], {})
    assert result.feedback == f"1 of 2 entries is off: the columns (c_in) (you gave {cols + 5})."
