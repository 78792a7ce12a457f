"""What MISO's mutual-information term does, and the paper's claim for its anchors.

The term's own job is representational: the fused states ``Q̄`` must keep what
their minority source says and drop what their majority partner says
(``L_MI = Î(K;Q̄) − Î(Q;Q̄)`` falls). Trained without the term, or with its
sign flipped, MISO does not do that, and the critics' estimates show it.

MISO writes each anchor from a difficult minority sample (its source), and its
mutual-information term is meant to move the anchor toward the minority: a
classifier on the real data should label the anchors minority more often than
it labels copies of their sources (what random over-sampling adds). On a toy
set where the classes overlap, the numeric anchors of this implementation stay
within about 0.02 of their sources (the data's scale is 1) and a 5-NN labels
them as it labels the copies. The last test states the claim and is expected
to fail until the anchors move; it fails loudly (strict) once they do.
"""

from functools import cache

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from skimbtext.losses._miso import generator_objective
from skimbtext.over_sampling import MISOSampler, _miso_training


def _overlapping_classes(seed, separation=2.5, n_features=8):
    rng = np.random.RandomState(seed)
    majority = rng.normal(size=(150, n_features))
    minority = rng.normal(size=(20, n_features))
    minority[:, 0] += separation
    X = np.vstack([majority, minority]).astype(np.float32)
    return X, np.array([0] * 150 + [1] * 20)


def _fit(seed):
    """MISO with its defaults on the overlapping classes of ``seed``."""
    X, y = _overlapping_classes(seed)
    sampler = MISOSampler(device="cpu", random_state=seed)
    anchors = sampler.fit_resample(X, y)[0][len(X) :]
    return X, y, sampler, anchors


# The package's own objective: the same fit serves every test that reads it.
_default_fit = cache(_fit)


def _minority_shares(seed):
    X, y, sampler, anchors = _default_fit(seed)
    knn = KNeighborsClassifier(n_neighbors=5).fit(X, y)
    copies = X[sampler.anchor_sources_]
    return (knn.predict(anchors) == 1).mean(), (knn.predict(copies) == 1).mean()


def _final_mi_loss(seed, fit=_default_fit):
    """Mean ``Î(K;Q̄) − Î(Q;Q̄)`` of the last 3 adversarial epochs, defaults."""
    sampler = fit(seed)[2]
    epochs = [
        epoch["batches"]
        for epoch in sampler.training_history_[1]
        if epoch["batches"] and "mi_loss" in epoch["batches"][0]
    ]
    return np.mean([batch["mi_loss"] for batches in epochs[-3:] for batch in batches])


def _without_mi(mi_query, mi_key, adversarial, reconstruction, alpha):
    loss, _ = generator_objective(
        mi_query.detach(), mi_key.detach(), adversarial, reconstruction, alpha
    )
    return loss, mi_key - mi_query


def _mi_flipped(mi_query, mi_key, adversarial, reconstruction, alpha):
    loss, _ = generator_objective(mi_key, mi_query, adversarial, reconstruction, alpha)
    return loss, mi_key - mi_query


def test_fused_states_keep_the_minority_and_drop_the_majority(monkeypatch):
    # Measured (seeds 0, 1): L_MI -1.48, -0.80 with the term; -1.12, -0.38
    # without it; -0.29, -0.17 with its sign flipped (Q̄ adds its attention to
    # Q, so it keeps much of Q whatever the objective).
    with_term = np.mean([_final_mi_loss(seed) for seed in (0, 1)])
    # Changed objectives: fresh fits, never the cached ones.
    monkeypatch.setattr(_miso_training, "generator_objective", _without_mi)
    without_term = np.mean([_final_mi_loss(seed, fit=_fit) for seed in (0, 1)])
    monkeypatch.setattr(_miso_training, "generator_objective", _mi_flipped)
    flipped = _final_mi_loss(0, fit=_fit)
    assert with_term < without_term - 0.2, (with_term, without_term)
    assert flipped > with_term + 0.5, (with_term, flipped)


def test_knn_labels_are_measured_on_anchors_and_on_copies():
    # The measurement itself: copies of difficult sources are not all labelled
    # minority (else there would be nothing to gain), and the anchors are
    # written (one label per anchor, some of them minority).
    anchors, copies = _minority_shares(0)
    assert 0.0 < copies < 0.9
    assert anchors > 0.0


@pytest.mark.xfail(
    strict=True,
    reason="numeric anchors stay within ~0.02 of their sources: a 5-NN labels "
    "them minority as often as copies of the sources (seeds 0-3: 0.60/0.60, "
    "0.77/0.77, 0.62/0.57, 0.75/0.75)",
)
def test_anchors_are_labelled_minority_more_often_than_copies_of_their_sources():
    shares = np.array([_minority_shares(seed) for seed in range(4)])
    anchors, copies = shares.mean(axis=0)
    assert anchors >= copies + 0.1
