"""Train the ``sklearn`` or ``local`` model on a labelled dataset (``tasseograph-eval train``, suites' ``train``)."""

from __future__ import annotations

from pathlib import Path

from tasseograph.eval.datasets import Dataset
from tasseograph.models import sklearn as sk
from tasseograph.models.local_bundle import LocalBundle, write_bundle
from tasseograph.models.local_data import TrainingSource
from tasseograph.models.local_train import train_local


def train_local_on(ds: Dataset, out: Path) -> LocalBundle:
    """Fit the ``local`` classifier on every case of ``ds`` and write its bundle to ``out`` (JSON).

    Log folders should come cut into deltas (``chunk_lines``), as the default model's boot logs are.
    """
    source = TrainingSource(ds.name, Path(ds.path), tuple(ds.cases), severity_known=ds.severity_known,
                            categories_known=ds.categories_known, split=ds.split)
    bundle = train_local([source])
    write_bundle(bundle, out)
    return bundle


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
