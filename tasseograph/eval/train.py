"""Train the ``sklearn`` model on a labelled dataset (``tasseograph-eval train``)."""

from __future__ import annotations

from pathlib import Path

from tasseograph.eval.datasets import Dataset
from tasseograph.models import sklearn as sk


def train_on(ds: Dataset, out: Path) -> sk.Bundle:
    """Fit the sklearn model on every case of ``ds`` and save it to ``out`` (a joblib file).

    Pass the train part of a split (``load_dataset(..., split="train")``) so the model is never
    scored on the cases it learned from.
    """
    bundle = sk.train(
        [c.text for c in ds.cases], [c.status for c in ds.cases], [c.categories for c in ds.cases],
        evidence=[c.evidence for c in ds.cases], meta={"trained_on": ds.path, "dataset": ds.name, "split": ds.split},
    )
    sk.save(bundle, out)
    return bundle
