"""Scale-out on existing engines: joblib backends for searches, accelerate for fits.

Searches spread over joblib's ``loky`` (processes) and ``threading`` backends and
over a dask.distributed cluster; fits through a Hugging Face ``Accelerator``.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from skimbtext._training import AcceleratedTrainingNet
from skimbtext.classifiers import (
    DCMIClassifier,
    SharpReCLClassifier,
    TextClassifier,
)

NUMERIC = {
    "max_epochs": 3,
    "hidden_layer_sizes": (16,),
    "lr": 1e-2,
    "batch_size": 16,
    "dropout": 0.3,
    "random_state": 0,
    "device": "cpu",
}
GRID = {"lr": [1e-2, 3e-2]}


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(96, centers=2, n_features=4, cluster_std=4.0, random_state=0)
    return X.astype(np.float32), y


def _search(X, y):
    search = GridSearchCV(
        TextClassifier(**NUMERIC), GRID, cv=2, scoring="neg_log_loss", n_jobs=None
    )
    return search.fit(X, y)


@pytest.fixture(scope="module")
def sequential(data):
    return _search(*data)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_grid_search_over_joblib_workers_matches_the_sequential_search(
    backend, data, sequential
):
    # Same random_state, same scores, whether candidates ran in other processes
    # (loky) or concurrently in threads of this one (which share torch's global
    # generator: seeded blocks take turns).
    with joblib.parallel_backend(backend, n_jobs=2):
        parallel = _search(*data)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    np.testing.assert_array_equal(
        parallel.predict_proba(data[0]), sequential.predict_proba(data[0])
    )


def test_grid_search_on_a_dask_cluster_matches_the_sequential_search(data, sequential):
    # The search ships its candidates to dask workers through joblib's "dask"
    # backend; nothing in skimbtext knows about dask.
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        parallel = _search(*data)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )


# ------------------------------------------------------------------ accelerate


@pytest.fixture(scope="module")
def accelerator():
    accelerate = pytest.importorskip("accelerate")
    return accelerate.Accelerator(cpu=True)


def _fit_kwargs(Classifier, y):
    if Classifier is DCMIClassifier:
        return {"domains": np.array(["a", "b"])[np.arange(len(y)) % 2]}
    return {}


@pytest.mark.parametrize(
    "Classifier", [TextClassifier, DCMIClassifier, SharpReCLClassifier]
)
def test_accelerator_trains_the_same_model_on_cpu(Classifier, accelerator, data):
    X, y = data
    kwargs = _fit_kwargs(Classifier, y)
    params = {**NUMERIC, "deferred_rebalancing": "resample", "deferred_start": 0.5}
    plain = Classifier(**params).fit(X, y, **kwargs)
    accelerated = Classifier(accelerator=accelerator, **params).fit(X, y, **kwargs)
    assert isinstance(accelerated.net_, AcceleratedTrainingNet)
    assert accelerated.net_.device is None  # placement belongs to accelerate
    assert str(accelerated.device_) == "cpu"
    np.testing.assert_array_equal(
        accelerated.predict_proba(X, **kwargs), plain.predict_proba(X, **kwargs)
    )
    restored = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_array_equal(
        restored.predict_proba(X, **kwargs), plain.predict_proba(X, **kwargs)
    )


def test_accelerator_fine_tunes_a_transformer_quietly(accelerator, reviews, capsys):
    texts, labels = reviews["text"][:32], reviews["label"][:32]
    params = {
        "encoder": "tiny-bert",
        "max_length": 16,
        "max_epochs": 1,
        "batch_size": 8,
        "random_state": 0,
        "device": "cpu",
    }
    plain = TextClassifier(**params).fit(texts, labels)
    accelerated = TextClassifier(accelerator=accelerator, **params).fit(texts, labels)
    np.testing.assert_array_equal(
        accelerated.predict_proba(texts), plain.predict_proba(texts)
    )
    assert capsys.readouterr().out == ""  # verbose=0 holds with accelerate too
