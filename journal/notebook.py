"""What a notebook imports from the journal: set-up, data, and publishing results.

    from journal.notebook import setup
    device = setup(seed=0)

    from journal.notebook import load_mnist5k, metric
    mnist = load_mnist5k()          # train / validation / test, checksummed
    metric("test_accuracy", acc, abs=0.01)

Everything else a notebook uses comes from `snippets`, the code the posts teach.
This is the only module of the journal package that notebooks import.
"""

from journal.datasets import load_digits, load_mnist5k
from journal.figures import figure_tolerance
from journal.report import metric, metric_table
from journal.runtime import setup

__all__ = ["figure_tolerance", "load_digits", "load_mnist5k", "metric",
           "metric_table", "setup"]
