"""cleanlab's CleanLearning around the package's classifiers.

CleanLearning clones the classifier, fits it on cross-validation folds to find
label issues, then refits it on the samples it keeps. DCMI takes its domains as
a DataFrame column (``domain_col``): cleanlab slices ``X`` per fold but passes
``fit`` keyword arguments unsliced, so ``domains=`` cannot be used there.
"""

import numpy as np
import pandas as pd
import pytest
from cleanlab.classification import CleanLearning
from sklearn.datasets import make_classification

from skimbtext import DCMIClassifier, SharpReCLClassifier, TextClassifier

SETTINGS = {
    "max_epochs": 30,
    "hidden_layer_sizes": (32,),
    "lr": 1e-2,
    "random_state": 0,
    "device": "cpu",
}
N_FLIPS = 40


@pytest.fixture(scope="module")
def noisy_labels():
    X, y = make_classification(
        400,
        10,
        n_informative=6,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    rng = np.random.RandomState(0)
    flipped = rng.choice(len(y), N_FLIPS, replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.randint(1, 3, N_FLIPS)) % 3
    return X.astype(np.float32), y, noisy, flipped


def _with_domains(X):
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["domain"] = np.where(np.arange(len(X)) % 3 == 0, "a", "b")
    return frame


@pytest.mark.parametrize(
    ("make_classifier", "make_input"),
    [
        (lambda: TextClassifier(**SETTINGS), np.asarray),
        (lambda: SharpReCLClassifier(**SETTINGS), np.asarray),
        (lambda: DCMIClassifier(domain_col="domain", **SETTINGS), _with_domains),
    ],
    ids=["TextClassifier", "SharpReCLClassifier", "DCMIClassifier"],
)
def test_clean_learning_finds_injected_label_flips(
    noisy_labels, make_classifier, make_input
):
    X, y, noisy, flipped = noisy_labels
    X = make_input(X)
    cleaner = CleanLearning(clf=make_classifier(), seed=0, verbose=False)
    cleaner.fit(X, noisy)
    flagged = np.flatnonzero(cleaner.get_label_issues()["is_label_issue"])
    # Most flips found, few clean labels accused, and the refit on the kept
    # samples predicts the true labels.
    assert len(np.intersect1d(flagged, flipped)) >= 0.8 * N_FLIPS
    assert len(np.setdiff1d(flagged, flipped)) <= 0.05 * len(y)
    assert np.mean(cleaner.predict(X) == y) >= 0.95
