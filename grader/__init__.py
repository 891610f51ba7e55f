"""grader: parametric deep-learning exercises with careful, seeded grading."""

__version__ = "0.1.0"
