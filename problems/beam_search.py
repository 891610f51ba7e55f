"""Beam search on a tree of next-token log-probabilities (Discussion 8, Q2)."""
from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

from grader.answers.base import Misconception
from grader.answers.choice import Boolean
from grader.answers.numbers import Number
from grader.answers.tokens import Sequence, Set
from grader.figures import TreeFigure
from grader.params import Param, choice, integer, json_object, string_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.registry import register

WORDS = ("neural", "network", "deep", "learning", "model", "data", "token", "layer", "vector",
         "graph", "kernel", "train", "batch", "loss", "gradient", "attention")
# (vocabulary size M, length T) that fit on paper, and how often each is drawn: the largest tree
# (M = 3, T = 4: 40 distributions, 81 sequences) now and then
SHAPES = ((2, 3), (3, 2), (3, 3), (2, 4), (3, 4))
SHAPE_WEIGHTS = (0.225, 0.225, 0.225, 0.225, 0.1)
MAX_NODES = 400
SUM_SLACK = 0.005
COMPLEXITY = "O(T*k*M*log(M))"
DECODERS = {"rnn": "a vanilla RNN", "lstm": "an LSTM"}
# what may be stored for each hypothesis (Discussion 8 Q2 (f)): the terms a student answers with,
# and the ways of saying each that are read as it
STORED = (
    ("tokens", ("tokens so far", "the tokens so far", "token sequence", "sequence of tokens", "sequence",
                "tokens generated so far", "generated tokens", "prefix", "words so far", "y_1:t", "y1:t")),
    ("hidden_state", ("hidden", "h", "h_t", "final hidden state", "last hidden state", "the hidden state",
                      "current hidden state", "hidden states", "rnn state", "rnn hidden state")),
    ("cell_state", ("cell", "c", "c_t", "final cell state", "the cell state", "memory cell", "lstm cell state",
                    "cell states")),
    ("last_token", ("last token", "the last token", "previous token", "current token", "most recent token",
                    "last word")),
    ("distribution", ("logits", "probabilities", "next token distribution", "vocabulary distribution",
                      "distribution over the vocabulary", "softmax", "softmax output", "output distribution",
                      "probability distribution")),
    ("all_hidden_states", ("all hidden states", "every hidden state", "hidden state at every step",
                           "hidden states of every step", "all states")),
    ("score", ("log probability", "log-probability", "logprob", "log prob", "sequence score",
               "cumulative log probability", "total log probability")),
)


def prefixes(vocab: list[str], length: int) -> list[str]:
    """Every prefix shorter than `length`, as tokens joined by one space ("" is the root)."""
    return [" ".join(seq) for t in range(length) for seq in product(vocab, repeat=t)]


def extend(prefix: str, token: str) -> str:
    return f"{prefix} {token}" if prefix else token


def hundredths(logprob) -> int:
    scaled = float(logprob) * 100
    if abs(scaled - round(scaled)) < 1e-6:  # two decimals, the usual case: no Fraction needed
        return round(scaled)
    return round(Fraction(str(logprob)) * 100)


class Scorer:
    """Exact scores (in hundredths) of sequences under the tree's shown log-probabilities."""

    def __init__(self, tree: dict, vocab: list[str]):
        self.vocab = vocab
        self.step = {prefix: {tok: hundredths(lp) for tok, lp in dist.items()} for prefix, dist in tree.items()}

    def children(self, scored: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return [(extend(seq, tok), score + self.step[seq][tok]) for seq, score in scored for tok in self.vocab]

    def beams(self, k: int, length: int, local: bool = False) -> list[list[tuple[str, int]]]:
        """The beam after each step, best first. `local` ranks by the last token's log-probability
        alone (a common mistake) instead of the whole sequence's."""
        beam, out = [("", 0)], []
        for _ in range(length):
            cands = self.children(beam)
            if local:
                last = {seq: self.step[seq.rsplit(" ", 1)[0] if " " in seq else ""][seq.split(" ")[-1]] for seq, _ in cands}
                cands.sort(key=lambda c: -last[c[0]])
            else:
                cands.sort(key=lambda c: -c[1])
            beam = cands[:k]
            out.append(sorted(beam, key=lambda c: -c[1]))
        return out

    def cut_ties(self, k: int, length: int) -> list[str]:
        """Ties that would make the answer depend on tie-breaking."""
        ties, beam = [], [("", 0)]
        for t in range(1, length + 1):
            cands = sorted(self.children(beam), key=lambda c: -c[1])
            if len(cands) > k and cands[k - 1][1] == cands[k][1]:
                ties.append(f"step {t}: '{cands[k - 1][0]}' and '{cands[k][0]}' tie at the cut")
            beam = cands[:k]
        if len(beam) > 1 and beam[0][1] == beam[1][1]:
            ties.append(f"the final beam's best two tie ('{beam[0][0]}', '{beam[1][0]}')")
        return ties

    def greedy(self, length: int) -> tuple[str, list[str]]:
        seq, ties = "", []
        for t in range(length):
            ranked = sorted(self.step[seq].items(), key=lambda kv: -kv[1])
            if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
                ties.append(f"greedy step {t + 1} after '{seq}' ties")
            seq = extend(seq, ranked[0][0])
        return seq, ties

    def all_sequences(self, length: int) -> list[tuple[str, int]]:
        scored = [("", 0)]
        for _ in range(length):
            scored = self.children(scored)
        return sorted(scored, key=lambda c: -c[1])


def logprob_text(h: int) -> str:
    return f"{h / 100:.2f}"


@register
class BeamSearch(Problem):
    id = "beam-search"
    title = "Beam search over a decoder's predictions"
    topic = "sequence models"
    source = "Discussion 8, Q2"
    params = (
        Param("vocab", "list of words", "the vocabulary (M words)", range="M = 2..3 words",
              check=string_list(2, 8)),
        Param("length", "integer", "length T of the decoded sequence", range="2..4 (4 with M = 2, or with M = 3 now and then)", check=integer(2, 4)),
        Param("beam_width", "integer", "beam width k", range="2", check=integer(1, 64)),
        Param("tree", "object", "prefix (tokens joined by one space; \"\" is the root) -> {token: log-probability}, "
              "2 decimals", range="drawn with no ties at any cut", check=json_object),
        Param("decoder", "string", "the decoder's recurrent network: rnn (a vanilla RNN) or lstm",
              range="rnn, lstm", check=choice(*DECODERS)),
    )
    example = {
        "vocab": ["neural", "network"], "length": 3, "beam_width": 2,
        "tree": {
            "": {"neural": -0.65, "network": -0.73},
            "neural": {"neural": -0.8, "network": -0.6},
            "network": {"neural": -0.6, "network": -0.8},
            "neural neural": {"neural": -4.61, "network": -0.01},
            "neural network": {"neural": -0.8, "network": -0.6},
            "network neural": {"neural": -0.8, "network": -0.6},
            "network network": {"neural": -0.6, "network": -0.8},
        },
        "decoder": "rnn",
    }
    structural = ("length",)  # beam_1 ... beam_T
    part_ids = ("beam_1", "beam_2", "beam_3", "returned", "returned_logprob", "most_likely",
                "most_likely_logprob", "is_optimal", "greedy", "complexity", "stored")
    paper = "log-probabilities with 2 decimals, summed by hand (M^T = 8 to 27 sequences, 81 in one variant in ten)"
    # `stored` follows the decoder, an RNN or an LSTM in about half the seeds each
    variety = Variety(parts={"complexity": None, "greedy finds the optimum": (0.1, 0.6), "stored": 0.6})

    def draw(self, rng, p):
        out = {}
        m, t = SHAPES[int(rng.choice(len(SHAPES), p=SHAPE_WEIGHTS))]
        if "vocab" not in p:
            out["vocab"] = [WORDS[i] for i in rng.choice(len(WORDS), size=m, replace=False)]
        if "length" not in p:
            out["length"] = t
        if "beam_width" not in p:
            out["beam_width"] = 2
        vocab, length, k = (p.get(name, out.get(name)) for name in ("vocab", "length", "beam_width"))
        if "tree" not in p:
            out["tree"] = self._draw_tree(rng, vocab, length, k)
        if "decoder" not in p:
            out["decoder"] = list(DECODERS)[int(rng.integers(len(DECODERS)))]
        return out

    def measures(self, p, ctx):
        return {"greedy finds the optimum": ctx["greedy"] == ctx["most_likely"]}

    def _draw_tree(self, rng, vocab: list[str], length: int, k: int, tries: int = 400) -> dict:
        """A tree without ties whose variant is, by a coin tossed once: beam search missing the
        optimum (half), finding it while greedy does not (about a third), or finding it with greedy
        too (the rest, so that "greedy is never optimal" is not a rule to learn)."""
        toss = rng.random()
        want_optimal, want_greedy_optimal = toss >= 0.5, toss >= 0.85
        for _ in range(tries):
            tree = {prefix: self._distribution(rng, vocab) for prefix in prefixes(vocab, length)}
            scorer = Scorer(tree, vocab)
            ranked = scorer.all_sequences(length)
            greedy, greedy_ties = scorer.greedy(length)
            if scorer.cut_ties(k, length) or greedy_ties or ranked[0][1] == ranked[1][1]:
                continue
            optimal = scorer.beams(k, length)[-1][0][0] == ranked[0][0]
            if optimal == want_optimal and (not optimal or (greedy == ranked[0][0]) == want_greedy_optimal):
                return tree
        raise Redraw

    @staticmethod
    def _distribution(rng, vocab: list[str]) -> dict:
        """Probabilities summing to 1, shown as log-probabilities rounded to 2 decimals."""
        while True:
            probs = rng.dirichlet([1.5] * len(vocab)).tolist()  # plain floats: min/max stay cheap
            if min(probs) < 0.02 or max(probs) > 0.97:
                continue
            logs = [round(math.log(x), 2) for x in probs]
            if abs(sum(math.exp(v) for v in logs) - 1) <= SUM_SLACK and len(set(logs)) == len(logs):
                return dict(zip(vocab, logs))

    def validate(self, p):
        vocab, length, k, tree = p["vocab"], p["length"], p["beam_width"], p["tree"]
        if any(not w.strip() or any(ch.isspace() for ch in w) for w in vocab):
            raise self.invalid("vocab", "words must be non-empty and contain no spaces")
        needed = sum(len(vocab) ** t for t in range(length))
        if needed > MAX_NODES:
            raise self.invalid("length", f"a tree of {needed} distributions is too large (at most {MAX_NODES})")
        wanted = prefixes(vocab, length)
        for prefix in wanted:
            if prefix not in tree:
                raise self.invalid("tree", f"the distribution after {prefix!r} is missing" if prefix else "the root distribution \"\" is missing")
        extra = set(tree) - set(wanted)
        if extra:
            raise self.invalid("tree", f"unexpected prefix {sorted(extra)[0]!r} (not a prefix of length < {length} over the vocabulary)")
        for prefix in wanted:
            dist = tree[prefix]
            if not isinstance(dist, dict) or set(dist) != set(vocab):
                raise self.invalid("tree", f"the distribution after {prefix!r} must give a log-probability for each of {vocab}")
            for tok, lp in dist.items():
                if isinstance(lp, bool) or not isinstance(lp, (int, float)) or not math.isfinite(lp) or lp > 0:
                    raise self.invalid("tree", f"log-probability of {tok!r} after {prefix!r} must be a number <= 0, got {lp!r}")
            total = sum(math.exp(lp) for lp in dist.values())
            if abs(total - 1) > SUM_SLACK:
                raise self.invalid("tree", f"the probabilities after {prefix!r} sum to {total:.4f}, not 1 (within {SUM_SLACK})")
        if k < 1:
            raise self.invalid("beam_width", "must be at least 1")
        if k > len(vocab):
            raise self.invalid("beam_width", f"k = {k} exceeds the vocabulary size M = {len(vocab)}: the exercise "
                                             "assumes M ≥ k")
        ties = Scorer(tree, vocab).cut_ties(k, length)
        if ties:
            raise self.invalid("tree", f"{ties[0]}: the beam would depend on tie-breaking")

    def solve(self, p):
        vocab, length, k = p["vocab"], p["length"], p["beam_width"]
        scorer = Scorer(p["tree"], vocab)
        beams = scorer.beams(k, length)
        local = scorer.beams(k, length, local=True)
        ranked = scorer.all_sequences(length)
        returned, returned_score = beams[-1][0]
        best, best_score = ranked[0]
        greedy, _ = scorer.greedy(length)
        ctx = {
            "M": len(vocab), "T": length, "k": k, "beams": beams, "ranked": ranked,
            "returned": tuple(returned.split()), "returned_logprob": Fraction(returned_score, 100),
            "most_likely": tuple(best.split()), "most_likely_logprob": Fraction(best_score, 100),
            "is_optimal": returned == best, "greedy": tuple(greedy.split()), "complexity": COMPLEXITY,
            "decoder": DECODERS[p["decoder"]], "lstm": p["decoder"] == "lstm", "stored": self._stored(p),
            "greedy_logprob": Fraction(dict(ranked)[greedy], 100),
            "local_beams": [[tuple(s.split()) for s, _ in b] for b in local],
            "rows": [(prefix or "⟨start⟩", [logprob_text(hundredths(p["tree"][prefix][w])) for w in vocab])
                     for prefix in prefixes(vocab, length)],
            "candidates": [sorted(scorer.children(beams[t - 1] if t else [("", 0)]), key=lambda c: -c[1])
                           for t in range(length)],
        }
        for t, beam in enumerate(beams, 1):
            ctx[f"beam_{t}"] = [tuple(seq.split()) for seq, _ in beam]
        return ctx

    def parts(self, p):
        from grader.answers.bigo import BigO

        length = p["length"]
        beam_parts = [
            Part(f"beam_{t}", Set(), key="beam", extra={"t": t}, misconceptions=(
                Misconception("ranked-by-last-token",
                              "You ranked the candidates by the last token's log-probability alone; beam "
                              "search ranks whole sequences by the sum of their log-probabilities.",
                              lambda c, t=t: c["local_beams"][t - 1]
                              if set(c["local_beams"][t - 1]) != set(c[f"beam_{t}"]) else None),
            ))
            for t in range(1, length + 1)
        ]
        return beam_parts + [
            Part("returned", Sequence(), misconceptions=(
                Misconception("greedy-as-beam",
                              "That is greedy decoding's sequence (the best token at each step); beam search "
                              "keeps k hypotheses and returns the best of its final beam.",
                              lambda c: c["greedy"] if c["greedy"] != c["returned"] else None),
                Misconception("optimum-as-beam",
                              "That is the most likely sequence overall, but beam search pruned it: it returns "
                              "the best sequence of its final beam.",
                              lambda c: c["most_likely"] if not c["is_optimal"] else None),
            )),
            Part("returned_logprob", Number(), misconceptions=(
                Misconception("probability-not-log",
                              "That is the probability; the question asks for the log-probability (the sum "
                              "of the log-probabilities along the sequence).",
                              lambda c: math.exp(c["returned_logprob"])),
            )),
            Part("most_likely", Sequence(), misconceptions=(
                Misconception("beam-is-optimal",
                              "That is what beam search returns, but it is not the most likely sequence: "
                              "search every sequence (all M^T of them) for the highest total log-probability.",
                              lambda c: c["returned"] if not c["is_optimal"] else None),
            )),
            Part("most_likely_logprob", Number()),
            Part("is_optimal", Boolean(explanation=self._optimality(p))),
            Part("greedy", Sequence()),
            Part("complexity", BigO(variables=("T", "k", "M"), assume=("M >= k",)), misconceptions=(
                Misconception("no-sort", "Selecting the top k by sorting M logits costs M log M per hypothesis, "
                              "not M.", lambda c: "O(T*k*M)"),
                Misconception("no-stored-states",
                              "That is the cost when the hidden states are not stored and each hypothesis is "
                              "re-run from the start; with stored states each step is O(1) per hypothesis.",
                              lambda c: "O(T^2*k*M*log(M))"),
                Misconception("exhaustive", "That is exhaustive search over all M^T sequences, which beam search "
                              "avoids.", lambda c: "O(M^T)"),
            )),
            self._stored_part(p),
        ]

    @staticmethod
    def _stored(p, cell: bool | None = None, *extra: str) -> list[str]:
        """What is kept for each hypothesis: the tokens so far and the state the decoder carries
        forward (the cell state too for an LSTM, or where `cell` says so), with `extra` terms."""
        cell = p["decoder"] == "lstm" if cell is None else cell
        return ["tokens", "hidden_state"] + (["cell_state"] if cell else []) + list(extra)

    def _stored_part(self, p) -> Part:
        lstm = p["decoder"] == "lstm"
        states = "hidden state and cell state" if lstm else "hidden state"
        explanation = (f"Store the sequence of tokens y_1:t and the final {states}, so that {DECODERS[p['decoder']]} "
                       "can continue unrolling from where it stopped. Without the stored state, extending a "
                       "hypothesis reruns the decoder from the start: O(T) work a step instead of O(1), "
                       "O(T²kM log M) in all.")
        state = ("cell_state", "hidden_state") if lstm else ("hidden_state",)
        mistakes = [
            Misconception("tokens-only", "The tokens alone make each extension rerun the decoder over the whole "
                          "prefix: keep its state too.", lambda c: ["tokens"]),
            Misconception("last-token-only", "The last token and the state give the next step, but the hypothesis "
                          "is the whole sequence: keep all its tokens, which beam search returns at the end.",
                          lambda c: ["last_token", *state]),
            Misconception("distribution", "The next-token distribution is computed afresh from the state at each "
                          "step and used once; storing it (M numbers a hypothesis) is not needed.",
                          lambda c: self._stored(p, None, "distribution")),
            Misconception("all-hidden-states", "Only the final state is needed to continue unrolling; the states "
                          "of earlier steps are never used again.",
                          lambda c: ["tokens", "all_hidden_states", *state[:-1]]),
        ]
        if lstm:
            mistakes.insert(0, Misconception(
                "no-cell-state", "An LSTM carries two states from step to step: without the cell state its next "
                "step cannot be computed.", lambda c: self._stored(p, False)))
        else:
            mistakes.insert(0, Misconception(
                "rnn-cell-state", "A vanilla RNN carries only its hidden state; the cell state is an LSTM's.",
                lambda c: self._stored(p, True)))
        return Part("stored", Set(terms=STORED, optional=("score",), explanation=explanation),
                    misconceptions=tuple(mistakes))

    def _optimality(self, p) -> str:
        c = self.solve(p)
        if c["is_optimal"]:
            return (f"Beam search returns \"{' '.join(c['returned'])}\" ({float(c['returned_logprob']):.2f}), which is also "
                    "the most likely sequence overall.")
        return (f"The most likely sequence is \"{' '.join(c['most_likely'])}\" ({float(c['most_likely_logprob']):.2f}), "
                f"but it was pruned from the beam; beam search returns \"{' '.join(c['returned'])}\" "
                f"({float(c['returned_logprob']):.2f}).")

    def figures(self, p, ctx):
        vocab, tree = p["vocab"], p["tree"]

        def node(prefix: str, depth: int) -> list[TreeFigure]:
            if depth == p["length"]:
                return []
            return [TreeFigure(tok, node(extend(prefix, tok), depth + 1), edge=logprob_text(hundredths(tree[prefix][tok])))
                    for tok in vocab]

        return [TreeFigure("⟨start⟩", node("", 0),
                           caption="Each edge: the decoder's log-probability of the token given the tokens before it.")]
