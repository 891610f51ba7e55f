"""DiffPool: soft cluster assignments, pooled features and adjacency, the auxiliary losses
(the GNN/RNN lecture)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from grader.answers.base import Misconception, Outcome
from grader.answers.lists import Matrix
from grader.answers.numbers import Number
from grader.figures import GraphFigure
from grader.params import Param, as_fraction, matrix
from grader.problem import Part, Problem, Redraw
from grader.problems.batchnorm_forward import exact_sqrt
from grader.problems.gnn_message_passing import distinct, random_connected_edges
from grader.registry import register

TOLERANCE = {"rtol": 0.01, "atol": 0.01}  # logits: answers from rounded softmax values
ROW_SLACK = 0.005  # per entry: a row of S rounded to 2 decimals may miss 1 by this much per entry


@dataclass(frozen=True)
class SoftmaxRows(Matrix):
    """The rows of a row softmax: each entry within rounding to 2 decimals, and each row a
    probability distribution (a row that no longer sums to 1 is wrong however close its entries)."""

    entry: Number = field(default_factory=lambda: Number(rtol=0.01, atol=ROW_SLACK))
    partial: bool = True

    def compare(self, sub, ref) -> Outcome:
        (shape, values), (rshape, rvalues) = sub, ref
        if shape == rshape and len(shape) == 2:
            k = shape[1]
            for i in range(shape[0]):
                total = sum(float(v) for v in values[i * k:(i + 1) * k])
                wanted = sum(float(v) for v in rvalues[i * k:(i + 1) * k])  # 1 for S itself
                if abs(total - wanted) > ROW_SLACK * k:
                    return Outcome.incorrect(f"Node {i + 1}'s row sums to {total:.3g}, not {wanted:.3g}: each row sᵢ of "
                                             "S is a probability distribution over the clusters.")
        return super().compare(sub, ref)

    def rule(self) -> str:
        return super().rule() + " Each row must sum to 1."


def optional_matrix(name, x):
    """Validator: null, or a matrix of numbers."""
    return x if x is None else matrix((1, 12), (1, 6))(name, x)


def transpose(M):
    return [list(col) for col in zip(*M)]


def matmul(X, Y):
    cols = transpose(Y)
    return [[sum(a * b for a, b in zip(row, col)) for col in cols] for row in X]


def softmax(row):
    top = max(row)
    exps = [math.exp(float(x - top)) for x in row]
    total = sum(exps)
    return [e / total for e in exps]


def entropy(row, log=math.log):
    return sum(-float(s) * log(float(s)) for s in row if s > 0)


def shown(M):
    """A matrix for the worked solution: floats rounded to 3 decimals, exact values kept."""
    return [[round(x, 3) if isinstance(x, float) else x for x in row] for row in M]


@register
class Diffpool(Problem):
    id = "diffpool"
    title = "DiffPool: pooling a graph with soft cluster assignments"
    topic = "graph neural networks"
    source = "Lecture: GNN pooling and RNNs (DiffPool)"
    params = (
        Param("A", "matrix", "N×N symmetric adjacency matrix", range="N = 4..5, a connected 0/1 graph",
              check=matrix((2, 12), (2, 12))),
        Param("H", "matrix", "N×d node embeddings (row i is node i)", range="d = 2, integers in -2..3",
              check=matrix((2, 12), (1, 6))),
        Param("S", "matrix or null", "N×k soft assignments, each row summing to 1 (null: use logits)",
              range="k = 2, multiples of 1/q for q = 2..6", check=optional_matrix),
        Param("logits", "matrix or null", "N×k assignment scores; S is their row softmax (null: S is given)",
              range="integers in -2..2", check=optional_matrix),
    )
    example = {"A": [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]],
               "H": [[1, 2], [3, 0], [2, 2], [0, -1]],
               "S": [[1, 0], ["3/4", "1/4"], ["1/2", "1/2"], [0, 1]], "logits": None}
    paper = "soft assignments in multiples of 1/2 to 1/6; logits variants and the entropy need a calculator"
    part_ids = ("H_pooled", "A_pooled", "soft_links", "link_loss", "entropy_loss")

    def draw(self, rng, p):
        out = {}
        given = [p[k] for k in ("A", "H", "S", "logits") if p.get(k) is not None]
        n = len(given[0]) if given else int(rng.integers(4, 6))
        if "A" not in p:
            A = [[0] * n for _ in range(n)]
            for a, b in random_connected_edges(rng, n, int(rng.integers(0, 3))):
                A[a][b] = A[b][a] = 1
            out["A"] = A
        if "H" not in p:
            H = [[int(v) for v in rng.integers(-2, 4, size=2)] for _ in range(n)]
            if len({tuple(r) for r in H}) < n or any(not any(r) for r in H):
                raise Redraw
            out["H"] = H
        if "S" in p or "logits" in p:
            given = p.get("S") if p.get("S") is not None else p.get("logits")
            k = len(given[0]) if given else 2
            use_logits = p.get("logits") is not None or p.get("S") is None and "S" in p
        else:
            k, use_logits = 2, bool(rng.integers(2))
        if use_logits:
            if "S" not in p:
                out["S"] = None
            if p.get("logits") is None:
                L = [[int(v) for v in rng.integers(-2, 3, size=k)] for _ in range(n)]
                if any(len(set(r)) == 1 for r in L) or len({tuple(r) for r in L}) < 3:
                    raise Redraw
                out["logits"] = L
        else:
            if "logits" not in p:
                out["logits"] = None
            q = int(rng.choice([2, 3, 4, 5, 6]))
            S = []
            for _ in range(n):
                cuts = sorted(int(c) for c in rng.integers(0, q + 1, size=k - 1))
                counts = [b - a for a, b in zip([0] + cuts, cuts + [q])]
                S.append([Fraction(c, q) for c in counts])
            if all(max(r) == 1 for r in S) or sum(max(r) < 1 for r in S) > n - 1 \
                    or any(sum(r[j] for r in S) == 0 for j in range(k)):
                raise Redraw
            out["S"] = S
        return out

    def validate(self, p):
        A, H, S, L = p["A"], p["H"], p["S"], p["logits"]
        n = len(A)
        if len(A[0]) != n:
            raise self.invalid("A", f"must be square, got {n}×{len(A[0])}")
        Af = [[as_fraction("A", x) for x in row] for row in A]
        if any(Af[i][j] != Af[j][i] for i in range(n) for j in range(n)):
            raise self.invalid("A", "must be symmetric (an undirected graph)")
        if any(x < 0 for row in Af for x in row):
            raise self.invalid("A", "edge weights must be non-negative")
        if len(H) != n:
            raise self.invalid("H", f"needs one row per node: {n} rows, got {len(H)}")
        if (S is None) == (L is None):
            raise self.invalid("logits" if L is not None else "S",
                               "give exactly one of S and logits (the other null)")
        given, name = (S, "S") if S is not None else (L, "logits")
        if len(given) != n:
            raise self.invalid(name, f"needs one row per node: {n} rows, got {len(given)}")
        if not 1 <= len(given[0]) <= n:
            raise self.invalid(name, f"needs between 1 and {n} clusters (columns)")
        if S is not None:
            for i, row in enumerate(S):
                values = [as_fraction("S", x) for x in row]
                if any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-9:
                    raise self.invalid("S", f"row {i + 1} must be non-negative and sum to 1")

    def solve(self, p):
        A = [[as_fraction("A", x) for x in row] for row in p["A"]]
        H = [[as_fraction("H", x) for x in row] for row in p["H"]]
        n = len(A)
        from_logits = p["logits"] is not None
        if from_logits:
            L = [[as_fraction("logits", x) for x in row] for row in p["logits"]]
            S = [softmax(row) for row in L]
        else:
            L = None
            S = [[as_fraction("S", x) for x in row] for row in p["S"]]
        k = len(S[0])
        St = transpose(S)
        AS = matmul(A, S)
        links = matmul(S, St)
        diff = [[A[i][j] - links[i][j] for j in range(n)] for i in range(n)]
        squares = sum(x * x for row in diff for x in row)
        entropies = [entropy(row) for row in S]
        wrong = {
            "column-softmax": transpose([softmax(col) for col in transpose(L)]) if from_logits else None,
            "HtS": matmul(transpose(H), S),
            "raw-logits-H": matmul(transpose(L), H) if from_logits else None,
            "raw-logits-A": matmul(matmul(transpose(L), A), L) if from_logits else None,
            "StA": matmul(St, A),
            "StS": matmul(St, S),
            "squared": squares,
            "entrywise-abs": sum(abs(x) for row in diff for x in row),
            "log2": sum(entropy(row, math.log2) for row in S) / n,
            "no-1/N": sum(entropies),
            "1/k": sum(entropies) / k if k != n else None,
        }
        return {
            "A": A, "n": n, "k": k, "d": len(H[0]), "from_logits": from_logits, "logits": L,
            "S": S if from_logits else None, "S_used": S, "St": St, "AS": AS, "diff": diff,
            "H_pooled": matmul(St, H), "A_pooled": matmul(St, AS), "soft_links": links,
            "squares": squares, "link_loss": exact_sqrt(squares) if not from_logits else math.sqrt(squares),
            "entropies": entropies, "entropy_loss": sum(entropies) / n, "wrong": wrong,
            "show": {name: shown(M) for name, M in (("S", S), ("AS", AS), ("diff", diff), ("links", links))},
        }

    def parts(self, p):
        from_logits = p["logits"] is not None
        entry = Number(**TOLERANCE) if from_logits else Number()
        n, k = len(p["A"]), len((p["logits"] or p["S"])[0])

        def mat(index, relation, rows):
            return Matrix(entry=entry, partial=True, index=index, relations=(relation,) * rows)

        pooled = mat("cluster {r}, entry {c}", "h'_{r} = Σᵢ S_i{r} hᵢ", k)
        adjacency = mat("clusters {r} and {c}", "A'_{r}{c} = (column {r} of S)ᵀ A (column {c} of S)", k)
        links = mat("nodes {r} and {c}", "s_{r} · s_{c}", n)
        kinds = {"link_loss": entry, "entropy_loss": Number(**TOLERANCE)}

        def wrong(name, part):
            return lambda c: distinct(c["wrong"][name], c[part], kinds.get(part, Matrix(entry=entry)))

        out = []
        if from_logits:
            out.append(Part("S", SoftmaxRows(index="node {r}, cluster {c}", relations=(
                "s_{r} = softmax of row {r} of L",) * n), misconceptions=(
                Misconception("column-softmax", "You normalised each column; each node's row sᵢ is a "
                              "probability distribution over the clusters, so the softmax runs along rows.",
                              lambda c: distinct(c["wrong"]["column-softmax"], c["S"], SoftmaxRows())),
            )))
        logit_note = (Misconception("raw-logits", "You used the logits themselves; S is their row softmax.",
                                    wrong("raw-logits-H", "H_pooled")),) if from_logits else ()
        out += [
            Part("H_pooled", pooled, misconceptions=(
                Misconception("transposed", "That is HᵀS, the transpose: the pooled graph has one row per "
                              "cluster, Sᵀ H (k×d).", wrong("HtS", "H_pooled")),
            ) + logit_note),
            Part("A_pooled", adjacency, misconceptions=(
                Misconception("forgot-right-S", "SᵀA is only half the product: the pooled adjacency is "
                              "Sᵀ A S, k×k.", wrong("StA", "A_pooled")),
            ) + ((Misconception("raw-logits", "You used the logits themselves; S is their row softmax.",
                                wrong("raw-logits-A", "A_pooled")),) if from_logits else ())),
            Part("soft_links", links, misconceptions=(
                Misconception("StS", "That is SᵀS (k×k, overlaps between clusters); the link prediction "
                              "is S Sᵀ (N×N): entry (i, j) is sᵢ·sⱼ.", wrong("StS", "soft_links")),
            )),
            Part("link_loss", entry, misconceptions=(
                Misconception("squared", "That is the squared norm: the Frobenius norm takes the square "
                              "root of the sum of squares.", wrong("squared", "link_loss")),
                Misconception("entrywise-abs", "You summed absolute values; the Frobenius norm is the "
                              "square root of the sum of squared entries.", wrong("entrywise-abs", "link_loss")),
            )),
            Part("entropy_loss", kinds["entropy_loss"], misconceptions=(
                Misconception("log2", "You used log base 2; the entropy here uses the natural log.",
                              wrong("log2", "entropy_loss")),
                Misconception("no-1/N", "You summed the entropies; the loss averages them: (1/N) Σᵢ H(sᵢ).",
                              wrong("no-1/N", "entropy_loss")),
                Misconception("1/k", "You divided by the number of clusters k; average over the N nodes.",
                              wrong("1/k", "entropy_loss")),
            )),
        ]
        return out

    def figures(self, p, ctx):
        from grader.render import num

        n = ctx["n"]
        nodes = [str(i + 1) for i in range(n)]
        edges = [(nodes[i], nodes[j]) for i in range(n) for j in range(i + 1, n) if ctx["A"][i][j]]
        given, name = (p["logits"], "logits") if ctx["from_logits"] else (p["S"], "s")
        labels = {nodes[i]: f"h=[{', '.join(num(x) for x in p['H'][i])}], {name}=[{', '.join(num(x) for x in given[i])}]"
                  for i in range(n)}
        return [GraphFigure(nodes, edges, labels, caption="The graph (A's edges); each node with its "
                            f"embedding hᵢ and its {'assignment logits' if ctx['from_logits'] else 'soft assignment sᵢ'}.")]
