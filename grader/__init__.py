"""grader: parametric deep-learning exercises with careful, seeded grading."""

__version__ = "0.1.0"
__all__ = ["Exercise", "__version__"]


def __getattr__(name):
    # `import grader` stays light: the notebook API loads on first use.
    if name == "Exercise":
        from grader.exercise import Exercise

        return Exercise
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
