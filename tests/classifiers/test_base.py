"""BaseTextClassifier: the choices every classifier makes the same way."""

import numpy as np
import pytest
import torch

from skimbtext import DCMIClassifier, SharpReCLClassifier, TextClassifier
from skimbtext.classifiers._base import LOSS_CONSTRAINTS
from skimbtext.losses import COSINE_LOSSES, LOSSES
from skimbtext.nn import CosineLinear

CLASSIFIERS = [TextClassifier, DCMIClassifier, SharpReCLClassifier]


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_every_classifier_validates_its_loss_the_same_way(Classifier):
    for name, constraint in LOSS_CONSTRAINTS.items():
        assert Classifier._parameter_constraints[name] is constraint
    X, y = np.zeros((6, 2), dtype=np.float32), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match="'loss' parameter"):
        Classifier(loss="no-such-loss", device="cpu").fit(X, y)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_margin_losses_get_a_cosine_head(Classifier, loss):
    X = np.random.RandomState(0).normal(size=(30, 3)).astype(np.float32)
    y = np.array([0] * 24 + [1] * 6)
    extra = {"n_negatives": 10} if Classifier is SharpReCLClassifier else {}
    clf = Classifier(loss=loss, max_epochs=1, random_state=0, device="cpu", **extra)
    modules = clf.fit(X, y).net_.module_.modules()
    # CosineLinear, or DCMI's default per-domain heads in their cosine form.
    cosine_heads = [
        m
        for m in modules
        if isinstance(m, CosineLinear) or getattr(m, "cosine", False) is True
    ]
    assert len(cosine_heads) == (1 if loss in COSINE_LOSSES else 0)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_the_loss_gets_its_parameters_and_the_class_counts(Classifier):
    X = np.random.RandomState(0).normal(size=(30, 3)).astype(np.float32)
    y = np.array([0] * 24 + [1] * 6)
    extra = {"n_negatives": 10} if Classifier is SharpReCLClassifier else {}
    clf = Classifier(
        loss="ldam",
        loss_params={"max_margin": 0.3},
        max_epochs=1,
        random_state=0,
        device="cpu",
        **extra,
    ).fit(X, y)
    loss = clf._make_loss()
    assert loss.max_margin == 0.3
    # LDAM's margins follow the class counts: the rarer class gets the larger.
    assert loss.margins[1] > loss.margins[0]
    torch.testing.assert_close(loss.margins.max(), torch.tensor(0.3))
