"""Conceptual statements and questions from the seeds (Discussion 8 Q1, Discussion 5 Q1/Q3,
Midterm Review: CNNs), drawn, shuffled and optionally negated by the seed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from grader.answers.base import Misconception
from grader.answers.choice import Boolean, Choice, Text
from grader.errors import InvalidParams
from grader.params import Param, choice, integer
from grader.problem import Part, Problem
from grader.registry import register


@dataclass(frozen=True)
class Statement:
    """A true/false statement. `negated` is a hand-written opposite whose answer is the reverse
    and for which `explanation` still holds; `trap` is (name, feedback) for the wrong answer."""

    id: str
    topic: str
    text: str
    answer: bool
    explanation: str
    negated: str | None = None
    trap: tuple[str, str] | None = None


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: `options[0]` is right. `traps` maps a wrong option's index to
    (name, feedback) for students who pick it."""

    id: str
    topic: str
    text: str
    options: tuple[str, ...]
    explanation: str
    traps: tuple[tuple[int, str, str], ...] = ()


AE = "autoencoders"
GNN = "gnn"
CNN = "cnn"
TOPICS = (AE, GNN, CNN)

BANK: tuple[Statement | Question, ...] = (
    # -- Discussion 8, Q1: autoencoders -------------------------------------------------------
    Statement(
        "ae-validation", AE,
        "There is no point in checking an autoencoder's reconstruction performance on a validation set, "
        "because we will ultimately judge the representations by training on downstream tasks.",
        False,
        "Validation reconstruction loss is still useful: it sanity-checks that the model trains (the loss "
        "should go down), diagnoses overfitting, and drives early stopping.",
        negated="Checking an autoencoder's reconstruction performance on a validation set is useful even though "
                "the representations will ultimately be judged by training on downstream tasks.",
        trap=("downstream-only", "Downstream evaluation does not replace validation: the reconstruction loss on "
                                 "held-out data is how you catch a model that does not train or overfits."),
    ),
    Statement(
        "ae-lower-loss", AE,
        "Of two autoencoder variants trained on the same dataset, the one with the lower validation loss is "
        "always the one that performs better on the downstream task.",
        False,
        "Not always: adding noise or masking, or shrinking the bottleneck, can raise the reconstruction loss "
        "while producing more useful representations.",
        negated="Of two autoencoder variants trained on the same dataset, the one with the lower validation "
                "loss need not be the one that performs better on the downstream task.",
        trap=("loss-is-the-goal", "Reconstruction loss is a proxy: a harder pretext task (noise, masking, a "
                                  "smaller bottleneck) can reconstruct worse yet represent better."),
    ),
    Statement(
        "ae-decoder", AE,
        "The autoencoder's decoder is not used after pretraining.",
        True,
        "Only the encoder is used for downstream training; the decoder exists to define the reconstruction "
        "objective.",
        negated="The autoencoder's decoder is needed to compute the representations used for downstream tasks.",
    ),
    Statement(
        "ae-worse-than-raw", AE,
        "Using autoencoder representations can sometimes give worse performance on a downstream task than "
        "using the raw inputs.",
        True,
        "This happens, for instance, when the pretraining data is too different from the task data, or when "
        "the bottleneck is so small that it throws away features the task needs.",
        negated="Using autoencoder representations never gives worse performance on a downstream task than "
                "using the raw inputs.",
    ),
    Statement(
        "ae-different-data", AE,
        "Autoencoder representations can be useful even if they were trained on a very different dataset "
        "than the downstream task's.",
        True,
        "Autoencoders are often pretrained on large, diverse datasets; if these cover the task data, or teach "
        "general patterns relevant to it, the representation helps.",
        negated="Autoencoder representations are useless whenever they were trained on a different dataset "
                "than the downstream task's.",
    ),
    Statement(
        "ae-few-labels", AE,
        "Using an autoencoder representation (rather than the raw inputs) helps most when you have few labels "
        "for the downstream task.",
        True,
        "Unsupervised pretraining gives the largest gains when task-specific data is scarce (and overfitting "
        "is a risk), though it can still help somewhat with plenty of labels.",
        negated="Using an autoencoder representation (rather than the raw inputs) helps most when you have "
                "many labels for the downstream task.",
    ),
    Statement(
        "ae-mask-patches", AE,
        "With images, masking patches is often more effective than masking individual pixels.",
        True,
        "With single masked pixels the model can get a decent loss by copying neighbouring pixels, and so "
        "learns little about the overall structure of the image.",
        negated="With images, masking individual pixels is usually more effective than masking patches.",
        trap=("pixels-are-finer", "Masked pixels can be filled in by copying their neighbours; patches force "
                                  "the model to understand the image."),
    ),
    Statement(
        "ae-augmentation", AE,
        "Masked and denoising autoencoders can be seen as vanilla autoencoders trained with data augmentation.",
        True,
        "Like other augmentations, noise and masking help prevent overfitting and give more robust "
        "representations (masking sometimes also changes training, e.g. transformers that drop masked tokens "
        "from the encoder).",
    ),
    Statement(
        "ae-noise-downstream", AE,
        "If you trained an autoencoder with noise or masking, you should also apply the noise or masking to "
        "the inputs when using the representations for downstream tasks.",
        False,
        "Like dropout and data augmentation, the corruption is a regulariser applied during training only "
        "(it is occasionally kept downstream as augmentation, but that is uncommon).",
        negated="If you trained an autoencoder with noise or masking, you normally feed clean, uncorrupted "
                "inputs when using the representations for downstream tasks.",
        trap=("corrupt-at-test", "Noise and masking regularise training, like dropout; they are not part of "
                                 "the model you use afterwards."),
    ),
    Statement(
        "ae-fixed-size", AE,
        "Autoencoders always encode inputs into fixed-size, lower-dimensional representations.",
        False,
        "Masked and denoising autoencoders need not reduce the dimension, and representations can be "
        "variable-sized (a transformer's has one vector per input token).",
        negated="Autoencoder representations are not necessarily fixed-size or lower-dimensional than the input.",
        trap=("bottleneck-always", "A bottleneck is one way to make reconstruction non-trivial; noise and "
                                   "masking are others, and they need no smaller representation."),
    ),
    # -- Discussion 5, Q1: where to use a GNN ---------------------------------------------------
    Question(
        "gnn-use-segmentation", GNN,
        "You want to do image segmentation (predict the class of the object shown at each pixel). Which "
        "architecture is the natural fit?",
        ("A CNN", "A GNN", "A recurrent GNN, combining a GNN with an RNN", "An RNN over the rows of pixels"),
        "A CNN: ConvNets match image processing. (An image can be seen as a grid graph, so a GNN would "
        "technically work, but that is less common.)",
        traps=((1, "image-as-graph", "An image is a graph with a fixed grid structure; a CNN exploits that "
                                     "structure directly and is the usual choice."),),
    ),
    Question(
        "gnn-use-football", GNN,
        "You want to predict a football team's likely play from the coordinates of each player at each "
        "timestep. Which architecture is the natural fit?",
        ("A recurrent GNN, combining a GNN with an RNN", "A CNN", "A GNN applied to the last timestep only",
         "An MLP on the concatenated coordinates"),
        "A GNN models how the players interact, and the recurrent part captures how they move over time.",
        traps=((2, "ignores-time", "A play unfolds over time: a GNN on one timestep cannot see the players' "
                                   "motion; add a recurrent part."),),
    ),
    Question(
        "gnn-use-citations", GNN,
        "You want to find influential papers from citation patterns, given which papers cite which. Which "
        "architecture is the natural fit?",
        ("A GNN", "A CNN", "An RNN over the papers in order of publication", "A recurrent GNN, combining a GNN with an RNN"),
        "A GNN: the data are connections between papers, with no fixed spatial structure.",
    ),
    # -- Discussion 5, Q3: GNN/CNN analogies ------------------------------------------------------
    Question(
        "gnn-analogy-classification", GNN,
        "Thinking of pixels as nodes and pixel adjacencies as edges, what is the GNN analogue of image "
        "classification?",
        ("A graph-level prediction problem", "A node-level prediction problem",
         "An edge-level prediction problem", "Predicting missing node values"),
        "Both produce a single, global prediction for the whole input.",
        traps=((1, "node-level", "A node-level problem predicts one label per node, like segmentation "
                                 "predicts one per pixel; classification predicts one for the whole input."),),
    ),
    Question(
        "gnn-analogy-segmentation", GNN,
        "Thinking of pixels as nodes, what is the GNN analogue of semantic segmentation (the class of the "
        "object at each pixel)?",
        ("A node-level prediction problem", "A graph-level prediction problem",
         "Averaging node values with their neighbours", "Zeroing some nodes at one layer"),
        "Segmentation predicts one label per pixel; a node-level problem predicts one label per node.",
    ),
    Question(
        "gnn-analogy-jitter", GNN,
        "What is the GNN analogue of colour-jitter data augmentation (adjusting an image's colour or "
        "brightness)?",
        ("Jittering node values", "Adding a skip connection to the update",
         "Averaging node values with their neighbours", "Removing random edges permanently"),
        "Colour jitter perturbs pixel values; jittering node values perturbs the nodes' values the same way.",
    ),
    Question(
        "gnn-analogy-dropout", GNN,
        "What is the GNN analogue of dropout?",
        ("Zeroing some nodes (or edges) at one layer of the network", "Jittering node values",
         "Predicting missing node values", "Using a graph-level prediction"),
        "Dropout zeroes random activations at a layer; in a GNN, zero some nodes (or edges) at a layer.",
    ),
    Question(
        "gnn-analogy-skip", GNN,
        "What is the GNN analogue of a ResNet skip connection?",
        ("A skip connection in the update, v_i^(t+1) = v_i^(t) + UPDATE(v_i^(t)), at every node",
         "Adding a global node connected to every node", "Averaging node values with their neighbours",
         "Zeroing some nodes at one layer"),
        "A skip connection adds a layer's input to its output; in a GNN, add v_i^(t) to the node's update.",
        traps=((1, "global-node", "A global node shortens paths between nodes; a skip connection carries a "
                                  "node's own value past the update."),),
    ),
    Question(
        "gnn-analogy-blur", GNN,
        "What is the GNN analogue of blurring an image?",
        ("Averaging node values with their neighbours", "Jittering node values",
         "Zeroing some nodes at one layer", "A node-level prediction problem"),
        "Blurring replaces each pixel by an average over its neighbourhood; so does averaging a node with its "
        "neighbours.",
    ),
    Question(
        "gnn-analogy-inpainting", GNN,
        "What is the GNN analogue of image inpainting (filling in a missing section of an image)?",
        ("Predicting missing values of nodes", "A graph-level prediction problem",
         "Averaging node values with their neighbours", "Jittering node values"),
        "Inpainting predicts missing pixels from their context; the graph version predicts missing node values.",
    ),
    Question(
        "gnn-analogy-order", GNN,
        "In a GNN, a node's neighbours form a set with no order (edge-order invariance). Which CNN kernel "
        "has the same property?",
        ("A kernel with the same value at every position except the centre",
         "A kernel with the same value at every position, the centre included",
         "Any 3×3 kernel", "A 1×1 kernel"),
        "A GNN treats every neighbour alike, so the kernel must weigh every neighbouring pixel the same; the "
        "centre (the node's own value) is updated separately and may differ.",
        traps=((1, "centre-tied", "The centre pixel is the node itself, which a GNN updates separately from "
                                  "its neighbours: its weight may differ."),),
    ),
    Statement(
        "gnn-padding", GNN,
        "GNNs need an analogue of zero padding, because every node must have the same number of neighbours.",
        False,
        "Zero padding exists because a convolution expects every pixel to have the same number of neighbours; "
        "a GNN aggregates over however many neighbours a node has, so it needs no padding.",
        negated="GNNs need no analogue of zero padding, because they handle nodes with different numbers of "
                "neighbours.",
    ),
    Statement(
        "gnn-flip", GNN,
        "A graph has no orientation, so image-flip augmentation has no direct GNN analogue.",
        True,
        "A flip keeps values and connectivity and changes only the spatial orientation, which a graph does "
        "not have (invariances of the task may still suggest other graph augmentations).",
    ),
    # -- Discussion 5, Q3 D: GNN cost and weights -----------------------------------------------
    Question(
        "gnn-double-weights", GNN,
        "A GNN uses node representations only (no global state). If the number of nodes in the graph doubles, "
        "what happens to the number of learned weights?",
        ("It stays the same", "It doubles", "It quadruples", "It halves"),
        "The learned weights live in the update functions, which are shared by all nodes: they do not depend "
        "on the size of the graph.",
        traps=((1, "weights-per-node", "The update function is shared by every node: more nodes do not mean "
                                       "more weights."),),
    ),
    Question(
        "gnn-double-compute", GNN,
        "A GNN uses node representations only (no global state). If the number of nodes doubles and the "
        "average node degree stays the same, how does the computation scale?",
        ("It roughly doubles", "It stays the same", "It roughly quadruples", "It grows by a factor of log 2"),
        "Each node does the same work as before (same number of neighbours), and there are twice as many "
        "nodes (some fixed costs do not scale, so not exactly 2×).",
        traps=((2, "squared-nodes", "The degree is unchanged, so each node aggregates as many neighbours as "
                                    "before: only the node count doubles."),
               (1, "shared-weights-cost", "Sharing weights keeps the parameter count fixed, not the "
                                          "computation: every node still runs the update.")),
    ),
    Question(
        "gnn-double-dense", GNN,
        "A GNN uses node representations only (no global state) on a fully connected graph. If the number of "
        "nodes doubles, how does the computation scale?",
        ("It roughly quadruples", "It roughly doubles", "It stays the same", "It grows eightfold"),
        "Twice the nodes, each aggregating twice as many neighbours: 2 × 2 = 4 (up to fixed costs).",
        traps=((1, "forgot-degree", "In a fully connected graph each node's number of neighbours doubles too: "
                                    "2× nodes × 2× neighbours."),),
    ),
    Question(
        "gnn-weights-where", GNN,
        "In a GNN that updates nodes, edges and a global state, where are the learned weights?",
        ("In the update functions", "In the node and edge values",
         "In the adjacency structure of the graph", "Nowhere: message passing has no weights"),
        "The update functions (for nodes, edges and the global state) carry the learned weights.",
    ),
    Question(
        "gnn-bond-breaks", GNN,
        "A molecule is a graph of atoms (nodes) and bonds (edges), with the molecule type as global state. To "
        "predict which bond, if any, breaks first when it is heated, what do you classify over?",
        ("The edges, plus one logit from the global state for 'no bond breaks'",
         "The nodes", "The whole graph, with one class per molecule type", "The atoms' elements"),
        "It is a classification across edges: a softmax over one logit per edge, plus one from the global "
        "state standing for 'no bond breaks'.",
        traps=((1, "nodes-not-edges", "Bonds are edges: the prediction is one score per edge, not per atom."),),
    ),
    Statement(
        "gnn-mlp-rnn", GNN,
        "An MLP-like GNN uses separate weights at each layer, while an RNN-like GNN shares the same weights "
        "across timesteps.",
        True,
        "This mirrors the difference between an MLP (a weight matrix per layer) and an RNN (one set of "
        "weights reused at every timestep).",
        negated="An MLP-like GNN shares the same weights across layers, while an RNN-like GNN uses separate "
                "weights at each timestep.",
    ),
    Statement(
        "gnn-directed", GNN,
        "To handle directed edges, a node's update function can use different weights for incoming and "
        "outgoing edges.",
        True,
        "One reasonable option among several: incoming and outgoing edges and neighbours get their own weights "
        "(or only one direction is used where that makes sense).",
    ),
    Statement(
        "gnn-social-split", GNN,
        "Predicting a label for the unlabelled half of a single social network, you can train on labelled "
        "nodes while keeping the validation and unlabelled nodes in the graph.",
        True,
        "Each node's classification is a training point: split the labelled nodes into train and validation "
        "sets and train on the training nodes only; the other nodes stay in the graph since their labels are "
        "not used.",
        negated="Predicting a label for the unlabelled half of a single social network, you must remove the "
                "validation and unlabelled nodes from the graph during training.",
        trap=("label-leak", "Keeping a node in the graph uses its features and edges, not its label: nothing "
                            "leaks as long as only training nodes' labels enter the loss."),
    ),
    Statement(
        "gnn-hops", GNN,
        "If the shortest path between two nodes has K edges, it takes K message-passing layers for "
        "information from one to reach the other.",
        True,
        "Each layer moves information one edge further, so K layers are needed along a K-edge shortest path.",
        negated="If the shortest path between two nodes has K edges, one message-passing layer is enough for "
                "information from one to reach the other.",
    ),
    Statement(
        "gnn-global-node", GNN,
        "Adding a global node connected to every node lets any two nodes communicate in at most 2 layers.",
        True,
        "Information goes from the first node to the global node in one layer and from it to the second node "
        "in the next, however far apart the two are in the graph.",
        negated="Adding a global node connected to every node lets any two nodes communicate in a single layer.",
        trap=("one-hop-global", "Via the global node any two nodes are two edges apart (node → global → node): "
                                "2 layers always suffice, and 1 is not enough for nodes that are not neighbours."),
    ),
    # -- Midterm Review: CNNs, Q1 (design) and Q2 (3D convolutions) ------------------------------
    Question(
        "fewer_fc_params", CNN,
        "A CNN for classification stacks conv, ReLU and max-pool layers, then flatten and a fully connected "
        "layer. You want fewer parameters in that final fully connected layer. Which change achieves it?",
        ("Increase the stride of a conv or pooling layer (or add a strided layer), or use fewer channels in "
         "the last conv layer",
         "Add padding to the conv layers", "Use more output channels in the last conv layer",
         "Replace the ReLUs by sigmoids"),
        "The final layer has (number of classes) × (flattened size of the last block) weights: shrink the "
        "flattened size by fewer channels in the last conv layer or a smaller spatial map (larger strides, or "
        "more strided conv/pool layers; removing padding shrinks it slightly).",
        traps=((1, "padding-shrinks", "Padding keeps the feature map larger, which adds inputs to the linear "
                                      "layer."),
               (2, "channels-grow", "More channels mean a longer flattened vector, hence more weights in the "
                                    "linear layer.")),
    ),
    Question(
        "any_image_size", CNN,
        "You want the same CNN (conv and pool layers, then flatten → linear) to handle images of different "
        "sizes. Which change achieves it?",
        ("Replace the flatten and fully connected layers by a global pooling layer",
         "Add zero padding to every conv layer", "Use stride 1 everywhere", "Add batch normalisation"),
        "Flatten gives a vector whose length depends on the image size, which the linear layer cannot accept; "
        "global pooling gives one value per channel whatever the size.",
        traps=((1, "padding-any-size", "Padding changes how each layer treats borders, but the flattened "
                                       "length still depends on the image size."),),
    ),
    Question(
        "larger_receptive_field", CNN,
        "In a CNN of conv, ReLU and max-pool layers, you want a larger receptive field for each pixel of the "
        "feature map output by the last conv layer. Which change has the largest effect?",
        ("Increase the stride of an earlier conv or max-pool layer", "Add more channels to an earlier conv layer",
         "Add padding to an earlier conv layer", "Remove an earlier ReLU"),
        "A stride multiplies the step between the windows of every later layer, so it grows the receptive "
        "field fastest; larger kernels in the conv layers or an earlier pool also help a little.",
        traps=((2, "padding-rf", "Padding adds border pixels but does not widen what one unit sees."),
               (1, "channels-rf", "Channels change what is computed at each position, not how many input "
                                  "pixels a unit sees.")),
    ),
    Question(
        "same_size", CNN,
        "You want every conv layer to leave the height and width of its input unchanged. Which setting "
        "achieves it for a K×K kernel (K odd)?",
        ("Stride 1 and padding (K − 1)/2 on each side", "Stride 1 and no padding",
         "Stride 2 and padding K on each side", "Stride 1 and padding K − 1 on each side"),
        "With stride 1 the output side is H + 2P − K + 1, which equals H when P = (K − 1)/2 ('same' padding).",
        traps=((3, "padding-total", "K − 1 is the total padding needed, split between the two sides: "
                                    "(K − 1)/2 on each."),
               (1, "no-padding", "Without padding each K×K conv shrinks the side by K − 1.")),
    ),
    Question(
        "more_layers", CNN,
        "You want to add 50 more layers to the network without suffering from vanishing gradients. What do "
        "you add?",
        ("Residual blocks, i.e. layers with skip connections", "Plain conv layers with sigmoid activations",
         "More max-pool layers", "Larger kernels in the existing layers"),
        "Skip connections give the gradient a path around each block, so it does not vanish through depth.",
        traps=((1, "sigmoid-depth", "Sigmoids saturate and make vanishing gradients worse, not better."),),
    ),
    Question(
        "cnn-3d-weights", CNN,
        "A 3D convolution layer has F filters of size K×K×K over C input channels. In PyTorch's layout, what "
        "is the shape of its weight?",
        ("[F, C, K, K, K]", "[F, K, K, K]", "[C, K, K, K]", "[F, C, K, K]"),
        "Each of the F filters spans all C input channels and K×K×K positions; the bias has F entries.",
        traps=((1, "forgot-channels", "Each filter spans every input channel: C is part of its shape."),
               (3, "two-d-kernel", "A 3D kernel extends over time as well as height and width: K×K×K.")),
    ),
    Question(
        "cnn-rnn-video", CNN,
        "To classify video clips with a convolutional encoder and an RNN, how do you combine them?",
        ("Encode each frame with the same conv encoder (ending in flatten or global pooling), feed the vector "
         "to the RNN at that timestep, and classify from its final hidden state",
         "Stack all frames as channels, encode them once, and feed the result to the RNN as one timestep",
         "Give each frame its own conv encoder with separate weights and average the outputs without an RNN",
         "Run the RNN over the pixels of each frame, then apply the conv encoder to the hidden states"),
        "The conv encoder is shared across frames and collapses each frame into a vector; the RNN aggregates "
        "these vectors over time, and a linear layer on its final hidden state makes the prediction.",
    ),
    Statement(
        "cnn-pool-params", CNN,
        "A max-pooling layer has no learned parameters.",
        True,
        "Max-pooling takes a maximum over each window: nothing is learned, so it adds 0 to the parameter count.",
        negated="A max-pooling layer with a k×k window has k² learned parameters per channel.",
        trap=("pool-has-weights", "Max-pooling computes a fixed maximum; unlike a convolution it has no weights."),
    ),
)

BY_ID = {item.id: item for item in BANK}


def bank(topic: str) -> list[Statement | Question]:
    """The bank's items on `topic` ("all" for every topic)."""
    return [item for item in BANK if topic == "all" or item.topic == topic]


def draw_items(rng, pool: list[Statement | Question], count: int) -> list[dict]:
    """`count` items from `pool` in a random order, questions with their options shuffled;
    statements negated so that about half of them are true (never all alike when two or more
    can be turned), so the answers cannot be guessed from one another."""
    chosen = [pool[int(i)] for i in rng.permutation(len(pool))[:count]]
    statements = [item for item in chosen if isinstance(item, Statement)]
    free = [item for item in statements if item.negated]
    fixed_true = sum(item.answer for item in statements if not item.negated)
    want_true = len(statements) // 2 + (len(statements) % 2 and rng.random() < 0.5)
    n_true = min(max(want_true - fixed_true, 0), len(free))
    truth = {item.id: bool(t) for item, t in zip(free, rng.permutation([True] * n_true + [False] * (len(free) - n_true)))}
    out = []
    for item in chosen:
        if isinstance(item, Statement):
            out.append({"id": item.id, "negated": item.id in truth and truth[item.id] != item.answer})
        else:
            out.append({"id": item.id, "order": [int(k) for k in rng.permutation(len(item.options))]})
    return out


def check_items(name: str, value, allowed: list[Statement | Question]) -> list[dict]:
    """Validate a list of item specs ({"id", "negated"} or {"id", "order"}; a bare id is
    accepted as the item in its plain form) and return them normalised."""
    if not isinstance(value, list) or not value:
        raise InvalidParams(name, "expected a non-empty list of items, e.g. [{\"id\": \"ae-decoder\", \"negated\": false}]")
    known = {item.id: item for item in allowed}
    out, seen = [], set()
    for spec in value:
        if isinstance(spec, str):
            spec = {"id": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
            raise InvalidParams(name, f"each item is an object with an \"id\", got {json.dumps(spec)[:60]}")
        item = known.get(spec["id"])
        if item is None:
            raise InvalidParams(name, f"unknown item {spec['id']!r}; known: {', '.join(known)}")
        if item.id in seen:
            raise InvalidParams(name, f"item {item.id!r} appears twice")
        seen.add(item.id)
        extra = set(spec) - {"id", "negated" if isinstance(item, Statement) else "order"}
        if extra:
            raise InvalidParams(name, f"item {item.id!r}: unexpected field(s) {', '.join(sorted(extra))}")
        if isinstance(item, Statement):
            negated = spec.get("negated", False)
            if not isinstance(negated, bool):
                raise InvalidParams(name, f"item {item.id!r}: \"negated\" must be true or false")
            if negated and not item.negated:
                raise InvalidParams(name, f"item {item.id!r} has no negated form")
            out.append({"id": item.id, "negated": negated})
        else:
            order = spec.get("order", list(range(len(item.options))))
            if not isinstance(order, list) or sorted(order) != list(range(len(item.options))):
                raise InvalidParams(name, f"item {item.id!r}: \"order\" must be a permutation of 0..{len(item.options) - 1}")
            out.append({"id": item.id, "order": order})
    return out


def posed(spec: dict) -> dict:
    """An item spec as asked: its text, answer type and reference (for a template and a Part)."""
    item = BY_ID[spec["id"]]
    if isinstance(item, Statement):
        negated = spec["negated"]
        answer = item.answer != negated
        traps = ()
        if item.trap:
            feedback = f"It is {str(answer).lower()}. {item.trap[1]}"
            traps = (Misconception(item.trap[0], feedback, lambda c, wrong=not answer: wrong),)
        return {"id": item.id, "topic": item.topic, "kind": "boolean", "text": item.negated if negated else item.text,
                "answer": answer, "explanation": item.explanation, "options": [],
                "type": Boolean(explanation=item.explanation), "misconceptions": traps}
    order = spec["order"]
    options = tuple(item.options[k] for k in order)
    right = f"The answer is {chr(65 + order.index(0))}: {item.options[0]}."
    traps = tuple(Misconception(name, f"{right} {feedback}", lambda c, at=order.index(k): at)
                  for k, name, feedback in item.traps)
    return {"id": item.id, "topic": item.topic, "kind": "choice", "text": item.text, "answer": order.index(0),
            "explanation": item.explanation, "options": list(options),
            "type": Choice(options=options, explanation=item.explanation), "misconceptions": traps}


def item_part(part_id: str, asked: dict, key: str | None = None, **extra) -> Part:
    """The graded part for a posed item."""
    return Part(part_id, asked["type"], key=key, misconceptions=asked["misconceptions"], extra=extra)


@register
class Concepts(Problem):
    id = "concepts"
    title = "Concepts: autoencoders, graph neural networks and CNN design"
    topic = "concepts"
    source = "Discussion 8 Q1; Discussion 5 Q1 and Q3; Midterm Review: CNNs Q1-Q2"
    params = (
        Param("topic", "string", "the bank to draw from", range=", ".join(TOPICS + ("all",)),
              check=choice(*TOPICS, "all")),
        Param("count", "integer", "how many statements or questions", default=6, check=integer(1, len(BANK))),
        Param("explain", "integer", "how many of them (the first ones) also ask for an explanation, graded by a person",
              default=2, check=integer(0, len(BANK))),
        Param("items", "list of objects", "the items asked, in order: {\"id\", \"negated\"} for a statement, "
              "{\"id\", \"order\"} (the options' order) for a question",
              range="the topic's bank, shuffled", check=lambda name, v: check_items(name, v, list(BANK))),
    )
    example = {"topic": AE, "count": 6, "explain": 2,
               "items": ["ae-validation", "ae-lower-loss", "ae-decoder", "ae-worse-than-raw",
                         "ae-mask-patches", "ae-fixed-size"]}
    part_ids = ("s1", "s2", "s3", "s4", "s5", "s6", "s1_why", "s2_why")

    def draw(self, rng, p):
        if "topic" in p:
            topic = p["topic"]
        elif "items" in p:
            found = {BY_ID[spec["id"]].topic for spec in p["items"]}
            topic = found.pop() if len(found) == 1 else "all"
        else:
            topics = [t for t in TOPICS + ("all",) if len(bank(t)) >= p["count"]]
            topic = topics[int(rng.integers(len(topics)))]
        out = {"topic": topic}
        if "items" not in p:
            pool = bank(topic)
            out["items"] = draw_items(rng, pool, min(p["count"], len(pool)))
        return out

    def validate(self, p):
        pool = bank(p["topic"])
        if p["count"] > len(pool):
            raise self.invalid("count", f"the {p['topic']} bank has {len(pool)} items, fewer than {p['count']}")
        check_items("items", p["items"], pool)
        if len(p["items"]) != p["count"]:
            raise self.invalid("items", f"lists {len(p['items'])} items but count is {p['count']}")

    def solve(self, p):
        asked = [posed(spec) for spec in p["items"]]
        explain = min(p["explain"], p["count"])
        ctx = {"asked": asked, "explain": explain}
        for i, a in enumerate(asked, 1):
            ctx[f"s{i}"] = a["answer"]
            if i <= explain:
                ctx[f"s{i}_why"] = a["explanation"]
        return ctx

    def parts(self, p):
        asked = [posed(spec) for spec in p["items"]]
        out = [item_part(f"s{i}", a, "item", n=i) for i, a in enumerate(asked, 1)]
        out += [Part(f"s{i}_why", Text(rubric=a["explanation"]), key="why", extra={"n": i})
                for i, a in enumerate(asked[:p["explain"]], 1)]
        return out
