"""Conceptual statements and questions from the seeds (Discussion 8 Q1, Discussion 5 Q1/Q3,
Midterm Review: CNNs), drawn, shuffled and optionally negated by the seed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from grader.answers.base import Misconception
from grader.answers.choice import Boolean, Choice, Text
from grader.errors import InvalidParams
from grader.params import Param, choice, integer
from grader.problem import Part, Problem, Variety
from grader.registry import register


@dataclass(frozen=True)
class Statement:
    """A true/false statement. `negated` is a hand-written opposite whose answer is the reverse
    and for which `explanation` still holds; `trap` is (name, feedback) for the wrong answer;
    `reasons` are wrong reasons, offered beside the explanation in a choice of why."""

    id: str
    topic: str
    text: str
    answer: bool
    explanation: str
    negated: str | None = None
    trap: tuple[str, str] | None = None
    reasons: tuple[str, ...] = ()


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
POOL = "pooling"
HELD = "held-out"
SEQ = "sequence"
GD = "graph-design"
TOPICS = (AE, GNN, CNN, POOL, HELD, SEQ, GD)

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
        reasons=('Validation loss is meaningless for autoencoders, since they are trained without labels.',
                 'Downstream accuracy measures the same thing as reconstruction loss, so one of them suffices.'),
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
        reasons=('Lower reconstruction loss always means the encoder kept more of the information the task needs.',
                 'Validation loss and downstream accuracy are computed on the same labels, so they always agree.'),
    ),
    Statement(
        "ae-decoder", AE,
        "The autoencoder's decoder is not used after pretraining.",
        True,
        "Only the encoder is used for downstream training; the decoder exists to define the reconstruction "
        "objective.",
        negated="The autoencoder's decoder is needed to compute the representations used for downstream tasks.",
        reasons=("The decoder's weights are copied into the encoder after pretraining.",
                 'The decoder produces the labels that the downstream task is trained on.'),
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
        reasons=('An encoder is a learned function, so its output always holds at least as much information as the input.',
                 'Pretraining only ever adds information, so a representation cannot hurt a downstream model.'),
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
        reasons=('An autoencoder learns nothing beyond the exact images it was trained on.',
                 'Representations transfer only when the pretraining and task datasets are identical.'),
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
        reasons=('With many labels, pretraining makes the model overfit the downstream task.',
                 'The encoder needs labels to train, so it benefits from having many of them.'),
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
        reasons=('Masking pixels removes too little information for the loss to be computed at all.',
                 'Patches are cheaper to store than single pixels, so the model trains faster.'),
    ),
    Statement(
        "ae-augmentation", AE,
        "Masked and denoising autoencoders can be seen as vanilla autoencoders trained with data augmentation.",
        True,
        "Like other augmentations, noise and masking help prevent overfitting and give more robust "
        "representations (masking sometimes also changes training, e.g. transformers that drop masked tokens "
        "from the encoder).",
        reasons=('Noise and masking change the architecture of the encoder, not its training data.',
                 'Data augmentation is only defined for labelled data, so it does not apply to autoencoders.'),
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
        reasons=('The encoder only works on corrupted inputs once it has been trained on them.',
                 'Corrupting test inputs is the standard way to make downstream predictions more accurate.'),
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
        reasons=('The bottleneck is the only way to stop an autoencoder from copying its input.',
                 'Every encoder ends in a linear layer of fixed width, so its output has a fixed size.'),
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
        ("A recurrent GNN, combining a GNN with an RNN", "A CNN over an image of the pitch drawn from the players' positions at each timestep",
         "A GNN applied to the last timestep only",
         "An MLP on the concatenated coordinates of every player at every timestep"),
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
        ("Zeroing some nodes (or edges) at one layer", "Jittering the values of every node by a small random amount",
         "Predicting the missing values of nodes from their neighbours", "Replacing the node-level prediction by a graph-level one"),
        "Dropout zeroes random activations at a layer; in a GNN, zero some nodes (or edges) at a layer.",
    ),
    Question(
        "gnn-analogy-skip", GNN,
        "What is the GNN analogue of a ResNet skip connection?",
        ("Adding v_i^(t) to the node's update: v_i^(t+1) = v_i^(t) + UPDATE(v_i^(t))",
         "Adding a global node connected to every node of the graph, so that any two nodes are two hops apart",
         "Averaging each node's value with the values of all of its neighbours at every layer",
         "Zeroing some nodes at one layer so that the others must carry their information"),
        "A skip connection adds a layer's input to its output; in a GNN, add v_i^(t) to the node's update.",
        traps=((1, "global-node", "A global node shortens paths between nodes; a skip connection carries a "
                                  "node's own value past the update."),),
    ),
    Question(
        "gnn-analogy-blur", GNN,
        "What is the GNN analogue of blurring an image?",
        ("Averaging node values with their neighbours", "Jittering node values by a random amount at each epoch",
         "Zeroing some nodes (or edges) at one layer", "A node-level prediction problem over the whole graph"),
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
        "In a GNN, a node's neighbours form a set with no order (edge-order invariance): every neighbour is "
        "treated alike. Which 3×3 CNN kernels are exactly the ones that treat every neighbouring pixel alike?",
        ("Kernels with one value at all eight neighbour positions (the centre may differ)",
         "Kernels that are symmetric under a left–right flip and under an up–down flip",
         "Any 3×3 kernel, since every pixel of the image has the same eight neighbour positions",
         "Kernels whose centre weight is 0, so that only the neighbours contribute"),
        "A GNN runs the same update on each neighbour (or on their sum or mean), so the kernel must give every "
        "neighbouring pixel the same weight; the centre is the node's own value, updated separately, and may "
        "differ.",
        traps=((1, "mirror-symmetric", "A left–right symmetric kernel can still weigh the northern neighbour "
                                       "differently from the southern one."),
               (2, "any-kernel", "A general kernel gives each neighbour position its own weight: the NW "
                                 "neighbour is not treated like the SE one.")),
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
        ("It roughly quadruples", "It roughly doubles", "It stays the same", "It grows eightfold (cubically)"),
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
         "The nodes: one score per atom, the bond breaking next to the highest-scoring atom",
         "The whole graph, with one class per molecule type", "The atoms' elements, predicted from their neighbours"),
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
    # -- Lecture: pooling, oversquashing and oversmoothing, the edge-label table ------------------
    Question(
        "pool-soft-assign", POOL,
        "DiffPool clusters a graph's nodes to pool it. Why does it use soft assignments (each node in every "
        "cluster with some probability) rather than the hard assignments of k-means (Lloyd's algorithm)?",
        ("Hard assignments are not differentiable, so they cannot be trained end to end",
         "Soft assignments need fewer learned parameters than the k cluster centres of k-means",
         "k-means cannot cluster more than k nodes at a time, and graphs are usually larger than that",
         "Soft assignments keep the pooled adjacency matrix sparse, which makes the next layer cheaper"),
        "k-means is not differentiable: the barrier is the hard assignment of points to clusters. A softmax "
        "over scores (computed by a small GNN) makes each node belong to every cluster with some probability, "
        "so the pooling is differentiable and trains end to end.",
        traps=((3, "sparse-pooling", "The pooled graph SᵀAS is dense, fully connected with weighted edges; "
                                     "soft assignments are chosen because they can be differentiated."),),
    ),
    Question(
        "pool-why", POOL,
        "Why do CNNs pool (downsample) at all, and why does a GNN want an analogue?",
        ("To grow the receptive field faster with the number of layers",
         "To add learned parameters that the convolutions alone cannot provide",
         "To make the output independent of the number of channels of the input",
         "To normalise the activations so that deeper networks train more stably"),
        "Pooling makes each later unit see a larger part of the input with fewer layers. A GNN's information "
        "spreads one edge per layer, so it has the same need (the fake global node is one hack for it).",
    ),
    Statement(
        "pool-oversquashing", POOL,
        "Oversquashing is the loss of information from far-away nodes because it must pass through small "
        "embeddings.",
        True,
        "Oversquashing: messages from many distant nodes are squeezed into fixed, small embeddings and lost. "
        "Oversmoothing is the other failure: the GNN's operations blur away all fine-grained details.",
        negated="Oversquashing is the way repeated GNN operations naturally blur away all fine-grained details "
                "of the node values.",
        trap=("squash-vs-smooth", "Blurring away detail is oversmoothing; oversquashing is information from far "
                                  "away lost in small embeddings."),
    ),
    Statement(
        "pool-oversmoothing", POOL,
        "Oversmoothing means that the operations of a GNN naturally blur away all fine-grained details.",
        True,
        "Averaging with neighbours layer after layer makes node values alike: detail is smoothed away. Losing "
        "far-away information in small embeddings is oversquashing.",
        negated="Oversmoothing means that information from far-away nodes is lost because the embeddings that "
                "must carry it are small.",
        trap=("smooth-vs-squash", "Information lost in small embeddings is oversquashing; oversmoothing blurs "
                                  "the node values into one another."),
    ),
    Statement(
        "pool-diffpool-gnn", POOL,
        "DiffPool computes its soft assignments with a small GNN that does not share weights with the rest "
        "of the network.",
        True,
        "Where the graph is downsampled, a separate little GNN produces scores for each node, and a softmax "
        "turns them into the assignment sᵢ: a learnable, differentiable way to cluster.",
        negated="DiffPool computes its soft assignments with the same weights as the GNN layers it pools.",
    ),
    Question(
        "edge-labels-cnn", POOL,
        "Graphs can be sorted by their edge labels (from a finite set, infinitely many such as real weights, "
        "or none) and by direction (directed or undirected). Where does a CNN on an image sit?",
        ("Directed, finite edge labels",
         "Undirected, without edge labels, since pixels are simply next to each other",
         "Undirected, with infinitely many possible edge labels, since weights are real numbers",
         "Directed, without edge labels, since only the self edge is special"),
        "Viewed as a graph, an image has directed edges labelled with one of N, S, E, W, NE, SE, NW, SW (and "
        "a special self relation): a finite set, with one weight matrix per label.",
        traps=((1, "plain-gnn", "That is where a plain GNN sits; a CNN tells its eight neighbours apart by "
                                "the label of the edge."),),
    ),
    Question(
        "edge-labels-diffpool", POOL,
        "Sorting graphs by their edge labels (a finite set, infinitely many, or none) and by direction "
        "(directed or undirected), where does the pooled graph that DiffPool produces sit?",
        ("Undirected, with real-valued (infinitely many) edge labels",
         "Directed, with edge labels from a finite set, like the image graph of a CNN",
         "Undirected, without edge labels, like the graph before pooling",
         "Directed, without edge labels, since the clusters are ordered"),
        "SᵀAS is symmetric and dense: a fully connected graph whose edges carry scalar weights, so messages are "
        "multiplied by the strength of their edge.",
    ),
    Question(
        "edge-labels-gnn", POOL,
        "Sorting graphs by their edge labels (a finite set, infinitely many, or none) and by direction, where "
        "does a plain GNN (the same update for every neighbour, no pooling) sit?",
        ("Undirected, without edge labels",
         "Directed, with edge labels from a finite set, one weight matrix per label",
         "Undirected, with real-valued edge labels that scale each message",
         "Directed, with infinitely many edge labels, one per pair of nodes"),
        "A plain GNN aggregates its neighbours as a set, with one update for all of them: the edges are "
        "undirected and carry no labels.",
    ),
    # -- Lecture: held-out data in node-level problems --------------------------------------------
    Question(
        "held-excise", HELD,
        "In a node-level problem some nodes are held out. What is the trouble with excising them (removing "
        "the nodes and their edges from the graph)?",
        ("It changes the connectivity of the graph",
         "It leaks the held-out labels into training through the remaining nodes' features",
         "It doubles the number of weights, since each node needs its own update function",
         "It makes the training loss non-differentiable at the nodes that were removed"),
        "Removing a node cuts every path through it, so messages between the remaining nodes travel "
        "differently than they would with the node present.",
        traps=((1, "excise-leaks", "Removing a node cannot leak its label; the cost is the paths through it "
                                   "that disappear."),),
    ),
    Question(
        "held-placeholder", HELD,
        "Instead of excising a held-out node, we keep it in the graph but remove its content. What goes in "
        "its place?",
        ("A learnable placeholder vector",
         "The held-out node's own label, so that its neighbours can learn to predict it",
         "Its true input values, since only its label is held out of the loss",
         "Nothing: its incoming and outgoing messages are dropped along with its content"),
        "The node stays (so connectivity is kept) and its content is replaced by a vector learned with the "
        "rest of the network.",
        traps=((1, "label-as-input", "Putting the label in the input hands the network the answer: the "
                                     "content is replaced by a learned placeholder."),),
    ),
    Statement(
        "held-mask-augment", HELD,
        "To make the network predict correct labels at placeholder nodes, randomly mask some nodes whose "
        "labels are known during training and keep the loss on their predictions.",
        True,
        "Only masked nodes with known labels teach the network what to predict where there is no input: this "
        "data augmentation is needed for the placeholder's second desideratum.",
        negated="The placeholder learns to prompt correct predictions by itself; masking labelled nodes during "
                "training is not needed.",
        trap=("no-augmentation", "Truly held-out nodes have no label in training, so nothing teaches the "
                                 "placeholder to prompt a prediction unless labelled nodes are masked too."),
    ),
    Statement(
        "held-flow", HELD,
        "A learnable placeholder should not impede the flow of information as messages are passed, and "
        "training with placeholders at the truly held-out nodes already ensures this.",
        True,
        "The held-out positions are in the graph during training, so the network learns to pass messages "
        "through them; prompting a correct prediction at them is what needs masking augmentation.",
        negated="Training with placeholders at the truly held-out nodes cannot teach the network to pass "
                "messages through them.",
    ),
    Statement(
        "held-keep-loss", HELD,
        "When a labelled node is masked for augmentation, its loss is dropped from training.",
        False,
        "The point of masking a labelled node is to keep the loss on its prediction: that is what teaches "
        "the network to predict at nodes without input.",
        negated="When a labelled node is masked for augmentation, the loss on its prediction is kept.",
    ),
    Statement(
        "held-validation-in-graph", HELD,
        "Validation nodes can stay in the graph while training on the training nodes only.",
        True,
        "Their features and edges are used, but not their labels; only training nodes' labels enter the loss, "
        "so nothing leaks into model selection.",
        negated="Validation nodes must be excised from the graph while training, or their labels leak.",
    ),
    # -- Lecture: the signal-processing view of CNNs and RNNs; Discussion 8 Q2 (d), (f) ----------------
    Question(
        "sp-fir", SEQ,
        "In the signal-processing view of neural networks, which architecture corresponds to an FIR (finite "
        "impulse response) filter?",
        ("A CNN",
         "An RNN, whose hidden state carries the past forward through time",
         "An MLP, with a separate weight for every input position",
         "A GNN with a global node connected to every position"),
        "An FIR filter is a finite sliding window with shared taps: a convolution, sharing its weights across "
        "space.",
        traps=((1, "fir-is-rnn", "An RNN's state feeds back, so one input affects all later outputs: that is "
                                 "an infinite impulse response."),),
    ),
    Question(
        "sp-iir", SEQ,
        "Which architecture corresponds to an IIR (infinite impulse response) filter, with a "
        "finite-dimensional hidden state inside the filter?",
        ("An RNN",
         "A CNN, whose kernel slides along the sequence one step at a time",
         "An MLP, whose hidden layer is a finite-dimensional state",
         "A transformer without positional encodings over the whole sequence"),
        "An IIR filter feeds its state back: an impulse echoes through every later output. An RNN does the "
        "same with its hidden state, sharing its weights across time.",
    ),
    Question(
        "sp-sharing", SEQ,
        "A CNN shares its weights across space. Across what does an RNN share its weights?",
        ("Time", "Space, like a CNN, since a sequence is a 1D image", "The layers of the network",
         "The channels of its input"),
        "The same recurrence (the same W and input weights) is applied at every time step.",
    ),
    Statement(
        "sp-causal", SEQ,
        "An RNN keeps the design ideas of CNNs but replaces space with time and enforces causality.",
        True,
        "The output at time t depends only on inputs up to t (sequential and causal), with the same weights "
        "at every step.",
        negated="An RNN's output at time t may depend on inputs after t, as a CNN's output depends on pixels on "
                "both sides.",
    ),
    Question(
        "beam-why-missed", SEQ,
        "Beam search with width k can return a sequence that is not the most likely one. Why?",
        ("A prefix of the best sequence can fall outside the k best at an earlier step, and pruned prefixes "
         "are never extended",
         "Beam search ranks the hypotheses by their last token's log-probability alone, not by the whole "
         "sequence's",
         "Beam search adds the probabilities along a sequence where it should multiply them",
         "The most likely sequence is longer than the T tokens that beam search decodes"),
        "As in Discussion 8: 'neural neural' was not among the k = 2 best length-2 sequences, so the very "
        "likely third token after it was never considered.",
        traps=((1, "last-token", "Beam search ranks by the sum of the log-probabilities along the sequence; "
                                 "the trouble is pruning, not ranking."),),
    ),
    # (f)'s "what must be stored for each hypothesis" is beam-search's set part `stored`
    Question(
        "beam-no-stored-states", SEQ,
        "Beam search with an RNN decoder normally stores each hypothesis's final hidden state. If it stored only "
        "the tokens, what would generating a length-T sequence with beam width k cost (M ≥ k, top k by sorting)?",
        ("O(T²kM log M)", "O(TkM log M), the same, since the tokens determine the hidden state",
         "O(T²k²M log M)", "O(M^T), since every sequence must then be scored"),
        "Rolling a hypothesis out one more step then reruns the RNN from the start: 1 step, then 2, then 3, about "
        "T/2 on average, so each RNN pass costs O(T) instead of O(1) and the total grows by a factor of T.",
        traps=((1, "free-recompute", "The tokens do determine the hidden state, but recomputing it means rerunning "
                                     "the RNN over the whole prefix at every step: O(T) work each time."),),
    ),
    # -- Discussion 5, Q3 A(a), A(c), C: designing a graph ------------------------------------------
    Question(
        "gd-molecule-nodes", GD,
        "For each molecule you know every atom's element and weight, which atoms are bonded, each bond's "
        "length and the molecule's type; you predict which bond breaks first when it is heated. What are the "
        "nodes of the graph?",
        ("Atoms, with element and weight as values",
         "Bonds, with their lengths as values, connected when they share an atom",
         "The molecule types, connected when molecules react with one another",
         "The chemical elements, shared by every molecule that contains them"),
        "Each atom is a node whose value holds its element and weight.",
    ),
    Question(
        "gd-molecule-edges", GD,
        "A molecule is a graph of its atoms, for predicting which bond breaks first when it is heated. What "
        "are the edges of the graph?",
        ("An undirected edge per bonded pair of atoms, valued by the bond length",
         "A directed edge from the heavier to the lighter atom of each bond, valued by its length",
         "An edge between every pair of atoms in the molecule, valued by their distance",
         "A directed edge from every atom to the global state, valued by the atom weight"),
        "Bonds relate two atoms symmetrically, so each bond is one undirected edge whose value is the bond "
        "length.",
        traps=((1, "directed-bonds", "A bond has no direction: the edge is undirected."),),
    ),
    Question(
        "gd-molecule-global", GD,
        "A molecule is a graph of its atoms and bonds, for predicting which bond breaks first when it is "
        "heated. What is the global state?",
        ("The molecule type (carbohydrate, protein, ...)",
         "The bond that breaks first, which is what the network predicts",
         "The heaviest atom of the molecule and its element",
         "Nothing: a molecule has no property beyond its atoms and bonds"),
        "The molecule's type describes the whole graph rather than any atom or bond: it is the global "
        "representation.",
        traps=((1, "target-as-input", "The breaking bond is the label to predict; it cannot be an input."),),
    ),
    Statement(
        "gd-molecule-directed", GD,
        "The molecule graph should be directed, because a bond goes from one atom to another.",
        False,
        "Bonds are symmetric: there is an undirected edge between each pair of bonded atoms.",
        negated="The molecule graph should be undirected, because a bond relates its two atoms symmetrically.",
    ),
    Question(
        "gd-encode-node", GD,
        "In a molecule graph whose nodes are atoms (each with its element and weight), how would you "
        "encode an atom's node representation?",
        ("A learned embedding of the element, concatenated with the normalised weight",
         "The element's atomic number as one raw number, with the weight unscaled",
         "A random vector for each atom, drawn afresh for every molecule and every epoch",
         "The sum of the lengths of the bonds at the atom, with nothing else in the vector"),
        "The element is a category: use a learned embedding of its ID. Concatenate the atom weight, "
        "normalised first if weights are large.",
        traps=((1, "raw-category", "An atomic number is a category, not a quantity: 8 (oxygen) is not 'more' "
                                   "than 6 (carbon) in a useful sense; learn an embedding."),),
    ),
    Question(
        "gd-missing-values", GD,
        "In a graph-level classification problem, node values are missing for some nodes. How would you use "
        "such a graph for prediction?",
        ("Give missing nodes a special 'missing' token (or the mean value) and train with input dropout",
         "Discard every graph that has a missing node value, in training and at test time",
         "Fill each missing node with the graph's class label, so that the node still carries information",
         "Copy the values of the matching nodes of another graph of the training set"),
        "The strategies used with missing values elsewhere work: a 'missing' token or the mean, with dropout "
        "on the input during training. Where single nodes matter little (point clouds), removing the node "
        "and its edges can be appropriate.",
        traps=((2, "label-fill", "The class label is what is predicted: filling it in leaks the answer."),),
    ),
    Statement(
        "gd-drop-node", GD,
        "Where individual nodes matter little (for example in point clouds), removing a node with missing "
        "values together with its edges can be appropriate.",
        True,
        "In such graphs one node carries little of the prediction, so dropping it (and its edges) loses little.",
        negated="Removing a node with missing values is never appropriate, even where individual nodes matter "
                "little, as in point clouds.",
    ),
    # -- Midterm Review: CNNs, Q1 (design) and Q2 (3D convolutions) ------------------------------
    Question(
        "fewer_fc_params", CNN,
        "A CNN for classification stacks conv, ReLU and max-pool layers, then flatten and a fully connected "
        "layer. You want fewer parameters in that final fully connected layer. Which change achieves it?",
        ("Larger strides (or more strided layers), or fewer channels in the last conv layer",
         "Add padding to every conv layer so that the feature maps keep more of the image's border",
         "Use more output channels in the last conv layer, so that each channel can be smaller",
         "Replace the ReLUs by sigmoids, whose outputs are bounded and need fewer weights downstream"),
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
        ("Replace flatten and the linear layer by global pooling",
         "Add zero padding to every conv layer so that no layer depends on the image's size",
         "Use stride 1 in every conv and pooling layer so that the network sees every pixel",
         "Add batch normalisation after every conv layer so that the activations are standardised"),
        "Flatten gives a vector whose length depends on the image size, which the linear layer cannot accept; "
        "global pooling gives one value per channel whatever the size.",
        traps=((1, "padding-any-size", "Padding changes how each layer treats borders, but the flattened "
                                       "length still depends on the image size."),),
    ),
    Question(
        "larger_receptive_field", CNN,
        "In a CNN of conv, ReLU and max-pool layers, you want a larger receptive field for each pixel of the "
        "feature map output by the last conv layer. Which change has the largest effect?",
        ("Increase the stride of an earlier conv or max-pool layer",
         "Add more output channels to an earlier conv layer, so that it detects more patterns",
         "Add padding to an earlier conv layer, so that its windows also cover the border",
         "Remove an earlier ReLU, so that negative activations also reach the later layers"),
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
        ("Stride 1 and padding (K − 1)/2 on each side", "Stride 1 and no padding, so that no zeros are added",
         "Stride 2 and padding K on each side of the input", "Stride 1 and padding K − 1 on each side of the input"),
        "With stride 1 the output side is H + 2P − K + 1, which equals H when P = (K − 1)/2 ('same' padding).",
        traps=((3, "padding-total", "K − 1 is the total padding needed, split between the two sides: "
                                    "(K − 1)/2 on each."),
               (1, "no-padding", "Without padding each K×K conv shrinks the side by K − 1.")),
    ),
    Question(
        "more_layers", CNN,
        "You want to add 50 more layers to the network without suffering from vanishing gradients. What do "
        "you add?",
        ("Residual blocks, i.e. layers with skip connections",
         "Plain conv layers with sigmoid activations, whose gradients are bounded",
         "More max-pool layers between the existing conv layers",
         "Larger kernels in the existing layers instead of new layers"),
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
         "Stack all frames of the clip as channels of one image, encode that image once with the conv encoder, and "
         "feed the result to the RNN as a single timestep",
         "Give each frame its own conv encoder with separate weights (one encoder per timestep) and average "
         "their outputs over the clip, without an RNN",
         "Run the RNN over the pixels of each frame, row by row, then apply the conv encoder to the hidden "
         "states that it produced for every frame"),
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
            spec = {"id": item.id, "negated": item.id in truth and truth[item.id] != item.answer}
            if item.reasons:
                spec["reasons"] = [int(k) for k in rng.permutation(len(item.reasons) + 1)]
            out.append(spec)
        else:
            out.append({"id": item.id, "order": [int(k) for k in rng.permutation(len(item.options))]})
    return out


def _permutation(order, n: int) -> bool:
    """Whether `order` is a list of the whole numbers 0..n-1, each once."""
    return isinstance(order, list) and all(type(k) is int for k in order) and sorted(order) == list(range(n))


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
        allowed = {"id", "negated", "reasons"} if isinstance(item, Statement) else {"id", "order"}
        extra = set(spec) - allowed
        if extra:
            raise InvalidParams(name, f"item {item.id!r}: unexpected field(s) {', '.join(sorted(extra))}")
        if isinstance(item, Statement):
            negated = spec.get("negated", False)
            if not isinstance(negated, bool):
                raise InvalidParams(name, f"item {item.id!r}: \"negated\" must be true or false")
            if negated and not item.negated:
                raise InvalidParams(name, f"item {item.id!r} has no negated form")
            clean = {"id": item.id, "negated": negated}
            if item.reasons:
                order = spec.get("reasons", list(range(len(item.reasons) + 1)))
                if not _permutation(order, len(item.reasons) + 1):
                    raise InvalidParams(name, f"item {item.id!r}: \"reasons\" must be a permutation of "
                                              f"0..{len(item.reasons)}")
                clean["reasons"] = order
            elif "reasons" in spec:
                raise InvalidParams(name, f"item {item.id!r} has no choice of reasons")
            out.append(clean)
        else:
            order = spec.get("order", list(range(len(item.options))))
            if not _permutation(order, len(item.options)):
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
        asked = {"id": item.id, "topic": item.topic, "kind": "boolean", "text": item.negated if negated else item.text,
                 "answer": answer, "explanation": item.explanation, "options": [],
                 "type": Boolean(explanation=item.explanation), "misconceptions": traps, "reason": None}
        if item.reasons:
            # option 0 of the reasons is the explanation; the others are wrong reasons
            order = spec.get("reasons", list(range(len(item.reasons) + 1)))
            everything = (item.explanation,) + item.reasons
            options = tuple(everything[k] for k in order)
            asked["reason"] = {"options": list(options), "answer": order.index(0),
                               "type": Choice(options=options, explanation=item.explanation)}
        return asked
    order = spec["order"]
    options = tuple(item.options[k] for k in order)
    right = f"The answer is {chr(65 + order.index(0))}: {item.options[0]}."
    traps = tuple(Misconception(name, f"{right} {feedback}", lambda c, at=order.index(k): at)
                  for k, name, feedback in item.traps)
    return {"id": item.id, "topic": item.topic, "kind": "choice", "text": item.text, "answer": order.index(0),
            "explanation": item.explanation, "options": list(options),
            "type": Choice(options=options, explanation=item.explanation), "misconceptions": traps, "reason": None}


def item_part(part_id: str, asked: dict, key: str | None = None, **extra) -> Part:
    """The graded part for a posed item."""
    return Part(part_id, asked["type"], key=key, misconceptions=asked["misconceptions"], extra=extra)


@register
class Concepts(Problem):
    id = "concepts"
    title = "Concepts: autoencoders, graph neural networks, CNN design, pooling, held-out nodes, sequences"
    topic = "concepts"
    source = ("Discussion 8 Q1-Q2; Discussion 5 Q1-Q3; Midterm Review: CNNs Q1-Q2; Lecture: GNN pooling, "
              "held-out data and RNNs")
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
    paper = "no numbers: statements and choices"
    # a choice of three reasons, asked in few seeds per position: its most common letter may pass 40%
    variety = Variety(parts={"reason": 0.55})
    part_ids = ("s1", "s2", "s3", "s4", "s5", "s6", "s1_reason", "s2_reason", "s3_reason", "s4_reason",
                "s5_reason", "s6_reason", "s1_why", "s2_why")

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
            if a["reason"]:
                ctx[f"s{i}_reason"] = a["reason"]["answer"]
            if i <= explain:
                ctx[f"s{i}_why"] = a["explanation"]
        return ctx

    def parts(self, p):
        asked = [posed(spec) for spec in p["items"]]
        out = [item_part(f"s{i}", a, "item", n=i) for i, a in enumerate(asked, 1)]
        out += [Part(f"s{i}_reason", a["reason"]["type"], key="reason", extra={"n": i})
                for i, a in enumerate(asked, 1) if a["reason"]]
        out += [Part(f"s{i}_why", Text(rubric=a["explanation"]), key="why", extra={"n": i})
                for i, a in enumerate(asked[:p["explain"]], 1)]
        return out
