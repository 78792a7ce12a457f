"""Reproducibility on CPU beyond the estimator contract.

Already covered elsewhere: two fits with the same ``random_state`` agree and
fitted estimators survive a pickle round trip (tests/test_estimator_contract.py,
every public estimator on numeric and text input), and a TextClassifier fitted
on CUDA loads on a CPU-only machine. Here: independence from the caller's global
seeds, prediction leaving the global generator alone, and CUDA models of the
other estimators on CPU.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

from skimbtext import TextEmbedder
from skimbtext.classifiers import (
    DCMIClassifier,
    SharpReCLClassifier,
    TextClassifier,
)
from skimbtext.over_sampling._miso import MISOSampler

TEXTS = ["free cash now", "win a prize", "see you soon", "lunch at noon"] * 3


@pytest.fixture(scope="module")
def numeric(tiny_numeric):
    return {**tiny_numeric, "dropout": 0.3}


@pytest.fixture(scope="module")
def miso(tiny_miso):
    return {
        **tiny_miso,
        "k_neighbors": 2,
        "pretrain_epochs": 1,
        "adversarial_epochs": 1,
        "max_pairs": 16,
    }


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(64, centers=2, n_features=4, cluster_std=3.0, random_state=0)
    return X.astype(np.float32), np.array(["no", "yes"])[y]


def _run(name, data, numeric, miso):
    """Fit one estimator and return its output on the training data."""
    X, y = data
    if name == "TextEmbedder":
        embedder = TextEmbedder(encoder="tiny-bert", device="cpu", random_state=0)
        return embedder.fit_transform(TEXTS)
    if name == "MISOSampler":
        y_imbalanced = np.where(np.arange(len(y)) < 12, "yes", "no")
        return np.asarray(MISOSampler(**miso).fit_resample(X, y_imbalanced)[0])
    Classifier = {
        "TextClassifier": TextClassifier,
        "DCMIClassifier": DCMIClassifier,
        "SharpReCLClassifier": SharpReCLClassifier,
    }[name]
    extra = {"n_negatives": 20} if Classifier is SharpReCLClassifier else {}
    return Classifier(**numeric, **extra).fit(X, y).predict_proba(X)


ALL = (
    "TextClassifier",
    "DCMIClassifier",
    "SharpReCLClassifier",
    "TextEmbedder",
    "MISOSampler",
)


@pytest.mark.parametrize("name", ALL)
def test_same_random_state_whatever_the_global_seeds(name, data, numeric, miso):
    torch.manual_seed(1)
    np.random.seed(1)
    first = _run(name, data, numeric, miso)
    torch.manual_seed(2)
    np.random.seed(2)
    torch.rand(10)  # and a different position in the stream
    second = _run(name, data, numeric, miso)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    "Classifier", [TextClassifier, DCMIClassifier, SharpReCLClassifier]
)
def test_prediction_leaves_the_global_torch_generator_alone(Classifier, data, numeric):
    # Fits in other threads draw from this generator: prediction must not.
    X, y = data
    clf = Classifier(**numeric).fit(X, y)
    state = torch.get_rng_state()
    clf.predict_proba(X)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
def test_embedder_fitted_on_cuda_loads_on_cpu():
    """Simulate a CUDA-fitted embedder: its pickle names CUDA as the device."""
    embedder = TextEmbedder(encoder="tiny-bert", device="cpu", random_state=0)
    expected = embedder.fit_transform(TEXTS)
    embedder.device_ = torch.device("cuda")
    with pytest.warns(UserWarning, match="fitted on CUDA"):
        restored = pickle.loads(pickle.dumps(embedder))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.transform(TEXTS), expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
@pytest.mark.parametrize("Classifier", [DCMIClassifier, SharpReCLClassifier])
def test_classifier_fitted_on_cuda_loads_on_cpu(Classifier, data, numeric):
    X, y = data
    clf = Classifier(**numeric).fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"
    clf.device_ = torch.device("cuda")
    with pytest.warns(UserWarning, match="(?i)cuda"):
        restored = pickle.loads(pickle.dumps(clf))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


@pytest.mark.parametrize(
    "Classifier", [TextClassifier, DCMIClassifier, SharpReCLClassifier]
)
def test_text_prediction_does_not_depend_on_row_order(Classifier, reviews):
    # Texts of many lengths in batches of 4: a row shuffled into other batches
    # must still get bitwise the same probabilities.
    extra = {"n_negatives": 20} if Classifier is SharpReCLClassifier else {}
    clf = Classifier(
        encoder="tiny-bert", max_epochs=1, batch_size=4, random_state=0, **extra
    ).fit(reviews["text"][:40], reviews["label"][:40])
    texts = np.asarray(reviews["text"][:60], dtype=object)
    perm = np.random.default_rng(0).permutation(len(texts))
    proba = clf.predict_proba(list(texts))
    np.testing.assert_array_equal(proba[perm], clf.predict_proba(list(texts[perm])))


FIT_IN_SUBPROCESS = textwrap.dedent(
    """
    import sys
    import numpy as np
    import torch
    from sklearn.datasets import make_blobs
    from skimbtext.classifiers import {name}

    torch.set_num_threads(int(sys.argv[1]))
    X, y = make_blobs(96, centers=3, n_features=6, cluster_std=3.0, random_state=0)
    clf = {name}(max_epochs=3, hidden_layer_sizes=(32,), batch_size=16,
                 random_state=0, device="cpu")
    np.save(sys.argv[2], clf.fit(X.astype(np.float32), y).predict_proba(X))
    """
)


@pytest.mark.parametrize(
    "name", ["TextClassifier", "DCMIClassifier", "SharpReCLClassifier"]
)
def test_fits_at_one_and_two_threads_agree_to_float32_rounding(name, tmp_path):
    # Each fit runs in its own process at its own thread count (never pinned in
    # this one): the same fit repeats exactly at a given thread count, and agrees
    # across thread counts up to float32 rounding of parallel sums.
    script = FIT_IN_SUBPROCESS.format(name=name)
    outputs = {}
    for run, threads in (("a", 1), ("b", 1), ("c", 2)):
        path = tmp_path / f"{run}.npy"
        subprocess.run(
            [sys.executable, "-c", script, str(threads), str(path)],
            check=True,
            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )
        outputs[run] = np.load(path)
    np.testing.assert_array_equal(outputs["a"], outputs["b"])
    np.testing.assert_allclose(outputs["a"], outputs["c"], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("capability", ["default", "avx2", "avx512"])
def test_common_checks_pass_on_every_cpu_kernel(capability):
    # torch picks its CPU kernels by ATEN_CPU_CAPABILITY (capped at what the CPU
    # has); the float-order sensitive checks must pass with each of them.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_common.py",
            "-k",
            "sample_order or idempotent or subset_invariance or pickle",
        ],
        env={**os.environ, "ATEN_CPU_CAPABILITY": capability},
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.returncode == 0, result.stdout[-3000:]


LOAD_WITHOUT_CUDA = textwrap.dedent(
    """
    import pickle
    import sys
    import warnings

    import numpy as np
    import torch

    assert not torch.cuda.is_available()
    with open(sys.argv[1], "rb") as file, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = pickle.load(file)
    X = np.load(sys.argv[2])
    assert clf.device_.type == "cpu", clf.device_
    np.save(sys.argv[3], clf.predict_proba(X))
    """
)


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA device: fits there, then unpickles in a process that "
    "cannot see it (CUDA_VISIBLE_DEVICES='')",
)
@pytest.mark.parametrize(
    "Classifier", [TextClassifier, DCMIClassifier, SharpReCLClassifier]
)
def test_model_fitted_on_cuda_predicts_where_cuda_is_hidden(
    Classifier, data, tmp_path, numeric
):
    X, y = data
    extra = {"n_negatives": 20} if Classifier is SharpReCLClassifier else {}
    clf = Classifier(**{**numeric, "device": "cuda"}, **extra).fit(X, y)
    expected = clf.predict_proba(X)
    paths = [tmp_path / name for name in ("model.pkl", "X.npy", "proba.npy")]
    paths[0].write_bytes(pickle.dumps(clf))
    np.save(paths[1], X)
    subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_CUDA, *map(str, paths)],
        check=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    # Other kernels, same weights: equal to float32 rounding.
    np.testing.assert_allclose(np.load(paths[2]), expected, rtol=1e-4, atol=1e-6)
