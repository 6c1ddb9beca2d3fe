"""Linear scorers: pure-Python scores match scikit-learn's, and the JSON form round-trips."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tasseograph.models.linear import LinearScorer, feature_text, fit_logistic, fit_vectorizer, terms

LINES = [
    "nvme nvme3: I/O 291 QID 7 timeout, reset controller",
    "EDAC MC1: 2 CE memory read error on CPU_SrcID#1_Ha#0_Chan#2_DIMM#0",
    "ata4.00: failed command: READ FPDMA QUEUED",
    "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex",
    "systemd[1]: Started Journal Service.",
    "ACPI: Added _OSI(Module Device)",
    "mlx5_core 0000:3b:00.0: mlx5_cmd_out_err: CREATE_MKEY(0x200) op_mod(0x0) failed",
    "usb 1-4: new high-speed USB device number 3 using xhci_hcd",
]
ALARM = [True, True, True, False, False, False, True, False]
CATEGORY = ["storage", "memory", "storage", "network", "driver", "driver", "network", "driver"]


def test_feature_text_drops_numbers_and_hex_even_inside_device_names() -> None:
    assert feature_text("nvme nvme3: I/O 291 QID 7, status 0x4004") == "nvme nvme : I/O   QID  , status  "
    assert terms("Link is Down") == ["link", "is", "down", "link is", "is down"]


def _texts() -> list[str]:
    return [feature_text(line) for line in LINES]


@pytest.mark.parametrize("labels", [ALARM, CATEGORY], ids=["binary", "multinomial"])
def test_probabilities_match_scikit_learn(labels: list) -> None:
    texts = _texts()
    vec = fit_vectorizer(texts)
    clf = fit_logistic(vec, texts, labels, c=3.0)
    scorer = LinearScorer.from_sklearn(vec, clf)
    probe = texts + [feature_text("nvme nvme0: controller is down; will reset: CSTS=0x3"), "", "zzz unknown words"]
    expected = clf.predict_proba(vec.transform(probe))
    for text, row in zip(probe, expected, strict=True):
        got = scorer.probabilities(text)
        assert [got[str(c)] for c in clf.classes_] == pytest.approx(list(row), abs=1e-9)


def test_repeated_examples_weigh_like_their_count() -> None:
    texts = _texts()
    vec = fit_vectorizer(texts + texts[:1] * 5)
    once = LinearScorer.from_sklearn(vec, fit_logistic(vec, texts + texts[:1] * 5, ALARM + ALARM[:1] * 5))
    # the same six copies spelled out one by one give the same model (dedup is only a speed-up)
    from sklearn.linear_model import LogisticRegression

    rows = texts + texts[:1] * 5
    y = ALARM + ALARM[:1] * 5
    plain = LogisticRegression(max_iter=3000, class_weight="balanced").fit(vec.transform(rows), y)
    assert once.probability(texts[3]) == pytest.approx(plain.predict_proba(vec.transform([texts[3]]))[0, 1], abs=1e-6)


def test_json_round_trip_and_known_share() -> None:
    texts = _texts()
    vec = fit_vectorizer(texts)
    scorer = LinearScorer.from_sklearn(vec, fit_logistic(vec, texts, ALARM))
    again = LinearScorer.model_validate_json(scorer.model_dump_json())
    assert again.probability(texts[0]) == scorer.probability(texts[0])
    assert again.known_share("nvme timeout zzzunknown qqqunknown") == pytest.approx(0.5)
    assert again.known_share("1234") is None


def test_mismatched_shapes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="same length"):
        LinearScorer(vocabulary=["a", "b"], idf=[1.0], classes=["False", "True"], coef=[[0.1, 0.2]], intercept=[0.0])
    with pytest.raises(ValidationError, match="coefficient row"):
        LinearScorer(vocabulary=["a"], idf=[1.0], classes=["x", "y", "z"], coef=[[0.1]], intercept=[0.0])
