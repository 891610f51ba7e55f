"""GNN node updates with and without message passing, hops and the global node
(Discussion 5, Q2)."""
from __future__ import annotations

from collections import deque
from fractions import Fraction

from grader.answers.base import Misconception
from grader.answers.lists import Matrix, Vector
from grader.answers.numbers import Number
from grader.answers.tokens import Set
from grader.figures import GraphFigure
from grader.params import Param, as_fraction, json_object, matrix, number_list, string_list
from grader.problem import Part, Problem, Redraw, Variety
from grader.registry import register

NAMES = "ABCDEFGHJKLMNPQRSTUVWXYZ"


# -- shared by the graph problems -------------------------------------------------------------

def distinct(value, reference, kind=None):
    """`value` unless it equals `reference`, or grades as it under the answer type `kind`
    (a misconception that changes nothing, or less than the tolerance, is not one)."""
    if value is None or value == reference:
        return None
    if kind is not None and kind.same(kind.canonical(kind.reference(value)), reference):
        return None
    return value


def random_connected_edges(rng, n: int, extra: int, max_degree: int = 3) -> list[tuple[int, int]]:
    """Edges (i < j) of a random connected graph on n nodes: a random spanning tree plus up to
    `extra` more edges, no node above `max_degree`."""
    order = [int(i) for i in rng.permutation(n)]
    degree = [0] * n
    edges: set[tuple[int, int]] = set()
    for k in range(1, n):
        options = [a for a in order[:k] if degree[a] < max_degree]
        a, b = options[int(rng.integers(len(options)))], order[k]
        edges.add((min(a, b), max(a, b)))
        degree[a] += 1
        degree[b] += 1
    for _ in range(extra):
        a, b = (int(v) for v in rng.choice(n, size=2, replace=False))
        if degree[a] < max_degree and degree[b] < max_degree and (min(a, b), max(a, b)) not in edges:
            edges.add((min(a, b), max(a, b)))
            degree[a] += 1
            degree[b] += 1
    return sorted(edges)


def neighbours_of(nodes: list[str], edges: list) -> dict[str, list[str]]:
    """Each node's neighbours, in the order of `nodes`."""
    pairs = {frozenset(e) for e in edges}
    return {n: [m for m in nodes if m != n and frozenset((n, m)) in pairs] for n in nodes}


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def node_rows(nodes: list[str], edges: list | None, t: int) -> Matrix:
    """A G⁽ᵗ⁾ answer: one row per node, each wrong entry named by its node and shown with the
    update that gives the row (with message passing where `edges` are given)."""
    def state(n, k):
        return f"v_{n}⁽{str(k).translate(SUPERSCRIPT)}⁾"

    terms = neighbours_of(nodes, edges) if edges is not None else {n: [] for n in nodes}
    return Matrix(partial=True, index="node {row}, entry {c}", labels=(tuple(nodes),), relations=tuple(
        f"{state(n, t)} = " + " + ".join(f"W {state(m, t - 1)}" for m in [n] + terms[n]) for n in nodes))


def distances(nodes: list[str], edges: list, start: str) -> dict[str, int]:
    """Breadth-first hop counts from `start` to every node it reaches."""
    neighbours = {v: [] for v in nodes}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    dist, queue = {start: 0}, deque([start])
    while queue:
        v = queue.popleft()
        for w in neighbours[v]:
            if w not in dist:
                dist[w] = dist[v] + 1
                queue.append(w)
    return dist


def determinant(M) -> Fraction:
    """det M by elimination over Fractions."""
    rows = [[Fraction(x) for x in row] for row in M]
    n, det = len(rows), Fraction(1)
    for col in range(n):
        pivot = next((i for i in range(col, n) if rows[i][col]), None)
        if pivot is None:
            return Fraction(0)
        if pivot != col:
            rows[col], rows[pivot] = rows[pivot], rows[col]
            det = -det
        det *= rows[col][col]
        for i in range(col + 1, n):
            f = rows[i][col] / rows[col][col]
            rows[i] = [a - f * b for a, b in zip(rows[i], rows[col])]
    return det


def matvec(W, v):
    return [sum(w * x for w, x in zip(row, v)) for row in W]


def vsum(vectors, d: int):
    return [sum((v[i] for v in vectors), Fraction(0)) for i in range(d)]


def fraction_matrix(name: str, M) -> list[list[Fraction]]:
    return [[as_fraction(name, x) for x in row] for row in M]


# -- parameter checks -----------------------------------------------------------------------

def _edge_list(name, x):
    if not isinstance(x, list) or not all(
            isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e) for e in x):
        raise Problem.invalid(name, 'expected a list of pairs of node names, e.g. [["A", "B"], ["B", "C"]]')
    if len(x) > 64:
        raise Problem.invalid(name, f"at most 64 edges, got {len(x)}")
    return x


def _node_name(name, x):
    if not isinstance(x, str) or not x.strip():
        raise Problem.invalid(name, "expected a node name")
    return x


def _features(name, x):
    json_object(name, x)
    if not 2 <= len(x) <= 12:
        raise Problem.invalid(name, f"needs one vector per node, 2 to 12 nodes; got {len(x)}")
    for node, v in x.items():
        number_list(1, 4)(f"{name}[{node}]", v)
    return x


@register
class GnnMessagePassing(Problem):
    id = "gnn-message-passing"
    title = "Graph neural networks: message passing"
    topic = "graph neural networks"
    source = "Discussion 5, Q2"
    params = (
        Param("nodes", "list of names", "the graph's nodes (rows of the answers follow this order)",
              range="5 or 6 nodes", check=string_list(2, 12)),
        Param("edges", "list of pairs", "undirected edges between nodes",
              range="a random connected graph, degree at most 3", check=_edge_list),
        Param("features", "object", "node name → vector v⁽⁰⁾ of dimension d",
              range="d = 2, integers in -3..3", check=_features),
        Param("W", "matrix", "d×d update matrix: f_v(v) = W v", range="integers in -2..4",
              check=matrix((1, 4), (1, 4))),
        Param("source", "node", "where information starts (for hops)", range="≥ 3 hops from target",
              check=_node_name),
        Param("target", "node", "where information must arrive", check=_node_name),
        Param("U", "vector", "the global state U⁽⁰⁾", range="integers in -3..3", check=number_list(1, 4)),
        Param("W_U", "matrix", "d×d global update: f_U(U) = W_U U", range="integers in -2..3",
              check=matrix((1, 4), (1, 4))),
    )
    example = {"nodes": ["A", "B", "C", "D"], "edges": [["A", "B"], ["B", "C"], ["C", "D"]],
               "features": {"A": [1, 2], "B": [-1, 2], "C": [2, 2], "D": [-3, 2]},
               "W": [[3, 5], [4, 1]], "source": "A", "target": "D", "U": [1, 1], "W_U": [[1, 0], [0, 2]]}
    part_ids = ("no_mp_1", "no_mp_2", "mp_1", "mp_2", "hops", "hops_with_global", "feeds", "unrolled_edges",
                "unrolled_edges_global", "global_feeds", "global_1")
    paper = "two-dimensional integer vectors and a small integer W: every answer is an integer"
    # neighbours need 1 layer with the global node and all other pairs 2; the nodes and U feed
    # the global update whatever the graph, so only the number of nodes varies that answer
    variety = Variety(parts={"hops_with_global": 0.8, "global_feeds": 0.7})

    def draw(self, rng, p):
        out = {}
        nodes = p.get("nodes")
        if nodes is None:
            if "features" in p:
                nodes = list(p["features"])
            elif "edges" in p:
                nodes = list(dict.fromkeys(v for e in p["edges"] for v in e))
            else:
                nodes = list(NAMES[:int(rng.integers(5, 7))])
            out["nodes"] = nodes
        n = len(nodes)
        edges = p.get("edges")
        if edges is None:
            edges = [[nodes[a], nodes[b]] for a, b in random_connected_edges(rng, n, int(rng.integers(0, 3)))]
            out["edges"] = edges
        d = next((len(p[k]) for k in ("W", "U", "W_U") if k in p),
                 len(next(iter(p["features"].values()))) if "features" in p else 2)
        small = lambda lo, hi, size: [int(v) for v in rng.integers(lo, hi + 1, size=size)]  # noqa: E731
        if "features" not in p:
            vectors = [small(-3, 3, d) for _ in nodes]
            if any(not any(v) for v in vectors) or len({tuple(v) for v in vectors}) < n:
                raise Redraw
            out["features"] = dict(zip(nodes, vectors))
        for name, lo, hi in (("W", -2, 4), ("W_U", -2, 3)):
            if name not in p:
                M = [small(lo, hi, d) for _ in range(d)]
                if any(not any(row) for row in M) or all(M[i][j] == (i == j) for i in range(d) for j in range(d)) \
                        or determinant(M) == 0:
                    raise Redraw  # a singular W would map distinct nodes to the same vector
                out[name] = M
        if "U" not in p:
            out["U"] = small(-3, 3, d)
        if "source" not in p or "target" not in p:
            pairs = [(k, s, t) for s in nodes for t, k in distances(nodes, edges, s).items()
                     if k and (p.get("source", s), p.get("target", t)) == (s, t)]
            longest = max((k for k, _, _ in pairs), default=0)
            if not longest and "edges" not in out:
                raise self.invalid("source" if "source" in p else "edges", "no two nodes are connected")
            if not longest or "edges" in out and longest < min(3, n - 1):
                raise Redraw
            # the distance first, evenly over 1..longest, so that neither `hops` nor
            # `hops_with_global` (1 for neighbours, else 2) is one value nearly always
            hops = int(rng.integers(1, longest + 1))
            at = [(s, t) for k, s, t in pairs if k == hops]
            out["source"], out["target"] = at[int(rng.integers(len(at)))]
        return out

    def validate(self, p):
        nodes = p["nodes"]
        known = set(nodes)
        seen = set()
        for a, b in p["edges"]:
            for v in (a, b):
                if v not in known:
                    raise self.invalid("edges", f"{v!r} is not one of the nodes {', '.join(nodes)}")
            if a == b:
                raise self.invalid("edges", f"a self-loop {a}–{a}: the self term is already in the update")
            if frozenset((a, b)) in seen:
                raise self.invalid("edges", f"the edge {a}–{b} is listed twice (edges are undirected)")
            seen.add(frozenset((a, b)))
        if set(p["features"]) != known:
            raise self.invalid("features", "needs exactly one vector per node: " + ", ".join(nodes))
        d = len(p["W"])
        if len(p["W"][0]) != d:
            raise self.invalid("W", "must be square (d×d)")
        for node, v in p["features"].items():
            if len(v) != d:
                raise self.invalid("features", f"{node}'s vector has {len(v)} entries; W needs {d}")
        if len(p["U"]) != d:
            raise self.invalid("U", f"must have {d} entries, like the node vectors")
        if len(p["W_U"]) != d or len(p["W_U"][0]) != d:
            raise self.invalid("W_U", f"must be {d}×{d}")
        for name in ("source", "target"):
            if p[name] not in known:
                raise self.invalid(name, f"{p[name]!r} is not one of the nodes {', '.join(nodes)}")
        if p["source"] == p["target"]:
            raise self.invalid("target", "must differ from source")
        if p["target"] not in distances(nodes, p["edges"], p["source"]):
            raise self.invalid("target", f"{p['target']} cannot be reached from {p['source']}: no number of layers connects them")

    def solve(self, p):
        nodes, d = p["nodes"], len(p["W"])
        W, W_U = fraction_matrix("W", p["W"]), fraction_matrix("W_U", p["W_U"])
        v0 = {n: [as_fraction("features", x) for x in p["features"][n]] for n in nodes}
        U0 = [as_fraction("U", x) for x in p["U"]]
        neighbours = neighbours_of(nodes, p["edges"])

        def layer(state, self_term=True, transform_neighbours=True):
            f = {n: matvec(W, state[n]) for n in nodes}
            return {n: vsum(([f[n]] if self_term else [])
                            + [f[m] if transform_neighbours else state[m] for m in neighbours[n]], d)
                    for n in nodes}, f

        def rows(state):
            return [state[n] for n in nodes]

        no1 = {n: matvec(W, v0[n]) for n in nodes}
        no2 = {n: matvec(W, no1[n]) for n in nodes}
        mp1, f0 = layer(v0)
        mp2, f1 = layer(mp1)
        hops = distances(p["nodes"], p["edges"], p["source"])[p["target"]]
        fU = matvec(W_U, U0)
        f_total = vsum(f0.values(), d)
        global_1 = [a + b for a, b in zip(fU, f_total)]
        raw_total = vsum(v0.values(), d)
        mp_wrong = {}
        for name, kw in (("no_self", {"self_term": False}), ("raw", {"transform_neighbours": False})):
            one = layer(v0, **kw)[0]
            mp_wrong[name] = (rows(one), rows(layer(one, **kw)[0]))
        return {
            "d": d, "edge_list": p["edges"], "W_rows": W, "v0": v0, "U0": U0, "W_U_rows": W_U, "neighbours": neighbours,
            "f0": f0, "f1": f1, "no1": no1, "no2": no2, "mp1": mp1, "mp2": mp2,
            "no_mp_1": rows(no1), "no_mp_2": rows(no2), "mp_1": rows(mp1), "mp_2": rows(mp2),
            "hops": hops, "hops_with_global": min(hops, 2), "path": self._path(p, hops),
            "feeds": [p["target"]] + neighbours[p["target"]],
            "unrolled_edges": len(nodes) + 2 * len(p["edges"]),
            "unrolled_edges_global": 3 * len(nodes) + 2 * len(p["edges"]) + 1,
            "global_feeds": ["U"] + list(nodes),
            "fU": fU, "f_total": f_total, "raw_total": raw_total, "global_1": global_1,
            "mp_wrong": mp_wrong,
            "global_wrong": {
                "raw-nodes": [a + b for a, b in zip(fU, raw_total)],
                "f_U-of-sum": matvec(W_U, [a + b for a, b in zip(U0, raw_total)]),
                "no-f_U": [a + b for a, b in zip(U0, f_total)],
                "dropped-U": f_total,
            },
        }

    @staticmethod
    def _path(p, hops):
        """One shortest path from source to target, as node names."""
        back = distances(p["nodes"], p["edges"], p["target"])
        path = [p["source"]]
        while path[-1] != p["target"]:
            here = path[-1]
            path.append(next(m for m in p["nodes"] if back.get(m) == back[here] - 1
                             and ([here, m] in p["edges"] or [m, here] in p["edges"])))
        return path

    def parts(self, p):
        def message_mistakes(layer: int) -> tuple[Misconception, ...]:
            part = f"mp_{layer}"
            return (
                Misconception("forgot-self", "You summed only the neighbours' messages: the update keeps "
                              "the node's own term f_v(vᵢ) too.",
                              lambda c: distinct(c["mp_wrong"]["no_self"][layer - 1], c[part])),
                Misconception("raw-neighbours", "You added the neighbours' raw vectors vⱼ; each message "
                              "is transformed first: f_v(vⱼ) = W vⱼ.",
                              lambda c: distinct(c["mp_wrong"]["raw"][layer - 1], c[part])),
            )

        nodes, edges = p["nodes"], p["edges"]
        one_layer = Misconception(
            "one-layer", "That is G⁽¹⁾: two layers were asked, so apply the update a second time to G⁽¹⁾.",
            lambda c: distinct(c["mp_1"], c["mp_2"]))
        return [
            Part("no_mp_1", node_rows(nodes, None, 1), misconceptions=(
                Misconception("message-passing", "You added the neighbours' messages; this update is "
                              "f_v alone, each node on its own.", lambda c: distinct(c["mp_1"], c["no_mp_1"])),
                Misconception("transposed-W", "You multiplied by Wᵀ (or v W): f_v(v) = W v, rows of W "
                              "times the column v.", lambda c: distinct(
                                  [matvec(list(zip(*c["W_rows"])), c["v0"][n]) for n in c["v0"]], c["no_mp_1"])),
            )),
            Part("no_mp_2", node_rows(nodes, None, 2), misconceptions=(
                Misconception("one-layer", "That is G⁽¹⁾: apply f_v a second time, to G⁽¹⁾.",
                              lambda c: distinct(c["no_mp_1"], c["no_mp_2"])),
                Misconception("message-passing", "You added the neighbours' messages; without message "
                              "passing each node is updated on its own.", lambda c: distinct(c["mp_2"], c["no_mp_2"])),
            )),
            Part("mp_1", node_rows(nodes, edges, 1), misconceptions=message_mistakes(1) + (
                Misconception("no-message-passing", "That is the update without message passing; add "
                              "f_v(vⱼ) for every neighbour j.", lambda c: distinct(c["no_mp_1"], c["mp_1"])),
            )),
            Part("mp_2", node_rows(nodes, edges, 2), misconceptions=(one_layer,) + message_mistakes(2) + (
                Misconception("layer-0-messages", "In the second layer the messages come from G⁽¹⁾, not "
                              "from the original vectors.", lambda c: distinct(
                                  [vsum([matvec(c["W_rows"], c["mp1"][n])] + [c["f0"][m] for m in c["neighbours"][n]], c["d"])
                                   for n in c["v0"]], c["mp_2"])),
            )),
            Part("hops", Number(exact=True), misconceptions=(
                Misconception("counted-nodes", "You counted the nodes on the path; the number of layers "
                              "is the number of edges it traverses.", lambda c: c["hops"] + 1),
                Misconception("intermediate-nodes", "You counted only the nodes between them; each of the "
                              "path's edges takes one layer.", lambda c: c["hops"] - 1 if c["hops"] > 1 else None),
            )),
            Part("hops_with_global", Number(exact=True), misconceptions=(
                Misconception("one-hop", "The global node is one hop from every node, but information "
                              "needs two: into the global node, then out of it.",
                              lambda c: 1 if c["hops_with_global"] == 2 else None),
                Misconception("global-unused", "The global node gives a 2-hop route between any two "
                              "nodes; take the shorter of that and the graph path.",
                              lambda c: distinct(c["hops"], c["hops_with_global"])),
            )),
            Part("feeds", Set(), misconceptions=(
                Misconception("neighbours-only", f"{p['target']}'s own value feeds its update too: the "
                              "message-passing rule keeps the term f_v(vᵢ) of the node itself.",
                              lambda c: c["feeds"][1:]),
            )),
            Part("unrolled_edges", Number(exact=True), misconceptions=(
                Misconception("no-self-edges", "Each node's layer-t value also takes its own layer-(t−1) "
                              "value: count one self edge per node besides two per undirected edge.",
                              lambda c: c["unrolled_edges"] - len(c["v0"])),
                Misconception("one-way-edges", "An undirected edge carries a message both ways: it gives two "
                              "edges of the unrolled diagram, one into each endpoint.",
                              lambda c: c["unrolled_edges"] - len(c["edge_list"])),
            )),
            Part("unrolled_edges_global", Number(exact=True), misconceptions=(
                Misconception("global-one-way", "The global node is a node like the others: it sends to every "
                              "node and receives from every node, 2 edges per node, plus its own self edge.",
                              lambda c: c["unrolled_edges_global"] - len(c["v0"])),
                Misconception("global-no-self", "The global node's layer-t value takes its own layer-(t−1) "
                              "value too: one more self edge.", lambda c: c["unrolled_edges_global"] - 1),
            )),
            Part("global_feeds", Set(), misconceptions=(
                Misconception("global-without-U", "The rule keeps the global state's own term f_U(U⁽ᵗ⁾): "
                              "U⁽ᵗ⁾ feeds U⁽ᵗ⁺¹⁾ along with every node.", lambda c: c["global_feeds"][1:]),
            )),
            Part("global_1", Vector(partial=True, index="U⁽¹⁾ entry {i}"), misconceptions=tuple(
                Misconception(name, text, lambda c, name=name: distinct(c["global_wrong"][name], c["global_1"]))
                for name, text in (
                    ("raw-nodes", "You added the raw node vectors vᵢ; this rule sums the transformed ones, f_v(vᵢ)."),
                    ("f_U-of-sum", "You applied f_U to U + Σ vᵢ (another possible design); this rule is "
                                   "f_U(U) + Σ f_v(vᵢ)."),
                    ("no-f_U", "You added U itself; the rule transforms it first: f_U(U) = W_U U."),
                    ("dropped-U", "You left out the global state's own term f_U(U⁽⁰⁾)."),
                ))),
        ]

    def figures(self, p, ctx):
        labels = {n: "[" + ", ".join(str(x) for x in p["features"][n]) + "]" for n in p["nodes"]}
        return [GraphFigure(list(p["nodes"]), [tuple(e) for e in p["edges"]], labels,
                            highlight=[p["source"], p["target"]],
                            caption=f"The graph G with v⁽⁰⁾ at each node; source {p['source']}, target {p['target']}.")]
