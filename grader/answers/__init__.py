"""Answer types by name: `make(name, **rule)` builds one (used by `compare` and by keys)."""
from __future__ import annotations

import importlib

# type name -> "module:Class"; modules load on first use.
TYPES = {
    "number": "grader.answers.numbers:Number",
    "vector": "grader.answers.lists:Vector",
    "matrix": "grader.answers.lists:Matrix",
    "shapes": "grader.answers.lists:ShapeList",
    "set": "grader.answers.tokens:Set",
    "sequence": "grader.answers.tokens:Sequence",
    "boolean": "grader.answers.choice:Boolean",
    "choice": "grader.answers.choice:Choice",
    "text": "grader.answers.choice:Text",
    "expression": "grader.answers.expressions:Expression",
    "matrix-expression": "grader.answers.matrix_expr:MatrixExpression",
    "bigo": "grader.answers.bigo:BigO",
}


def type_class(name: str):
    """The class implementing answer type `name`."""
    from grader.errors import GraderError

    if name not in TYPES:
        raise GraderError(f"unknown answer type {name!r}; known types: {', '.join(TYPES)}")
    module, attr = TYPES[name].split(":")
    return getattr(importlib.import_module(module), attr)


def make(name: str, **rule):
    """An answer type `name` with the given rule options."""
    return type_class(name)(**rule)
