"""Suite ``finetune``: what training only the top layers of MiniLM saves.

``trainable_layers=2`` trains MiniLM's top 2 of 6 layers (and the head) on the
token states of the frozen layers below, computed once per distinct text before
the first epoch. Full fine-tuning (``trainable_layers=None``) runs all 6 layers
forward and backward every epoch. Both run with and without ``group_by_length``
(batches of texts of similar length, so less padding).

For each data set, one run fits every configuration on the same texts, one after
the other, with the same seed: a :class:`~skimbtext.TextClassifier` (cross-entropy,
``lr="auto"``, batches of 16, ``max_length=64``, 5 epochs, no validation split).
Reported per configuration:

- **epoch**: the median over the 5 epochs of skorch's per-epoch duration (the
  training pass only);
- **states**: the seconds ``fit`` spent before its first epoch, which for
  ``trainable_layers=2`` is mostly the forward pass of the 4 frozen layers over
  every distinct text (tokenisation and model loading are in it for every row);
- **fit**: the whole ``fit`` (states + 5 epochs);
- the speed-ups of the epoch and of the fit against full fine-tuning without
  grouping, measured in the same run.

Profile ``cpu``: the training texts are a fixed random sample of 600 texts of
each data set (TREC's training split; the Amazon 4-domain reviews), on the torch
threads of the machine.
"""

import time

import numpy as np

from skimbtext import TextClassifier
from skimbtext.datasets import load_benchmark

from ._report import write

CONFIGS = {
    "full fine-tuning": {"trainable_layers": None, "group_by_length": False},
    "full fine-tuning, grouped by length": {
        "trainable_layers": None,
        "group_by_length": True,
    },
    "top 2 layers": {"trainable_layers": 2, "group_by_length": False},
    "top 2 layers, grouped by length": {
        "trainable_layers": 2,
        "group_by_length": True,
    },
}
REFERENCE = "full fine-tuning"
DATASETS = {"trec": "train", "amazon_multi_domain": "all"}
PROFILES = {
    "cpu": {
        "n_texts": 600,
        "params": {"max_length": 64, "batch_size": 16, "max_epochs": 5},
    },
    "gpu": {
        "n_texts": 4000,
        "params": {"max_length": 128, "batch_size": 32, "max_epochs": 5},
    },
}


def _sample(dataset, subset, n_texts, seed, data_home):
    data = load_benchmark(dataset, subset=subset, data_home=data_home)
    rows = np.random.default_rng(seed).permutation(len(data.target))[:n_texts]
    return [data.data[i] for i in rows], np.asarray(data.target)[rows]


def _timed_fit(config, params, texts, labels, seed, device):
    clf = TextClassifier(**params, **config, device=device, random_state=seed)
    start = time.perf_counter()
    clf.fit(texts, labels)
    fit_seconds = time.perf_counter() - start
    epochs = [float(d) for d in clf.history_[:, "dur"]]
    return {
        "epoch_seconds": epochs,
        "states_seconds": fit_seconds - sum(epochs),
        "fit_seconds": fit_seconds,
    }


def run(*, profile, seeds, data_home, cache_dir, device):
    """Run the suite and write ``results/finetune_<profile>.md`` / ``.json``."""
    settings = PROFILES[profile]
    seed = seeds[0]
    raw = {}
    for dataset, subset in DATASETS.items():
        texts, labels = _sample(dataset, subset, settings["n_texts"], seed, data_home)
        raw[dataset] = {
            name: _timed_fit(config, settings["params"], texts, labels, seed, device)
            for name, config in CONFIGS.items()
        }
    rows = []
    for dataset, by_config in raw.items():
        reference = by_config[REFERENCE]
        for name, timing in by_config.items():
            epoch = float(np.median(timing["epoch_seconds"]))
            rows.append(
                [
                    dataset,
                    name,
                    f"{epoch:.1f}",
                    f"{timing['states_seconds']:.1f}",
                    f"{timing['fit_seconds']:.1f}",
                    f"{np.median(reference['epoch_seconds']) / epoch:.2f}×",
                    f"{reference['fit_seconds'] / timing['fit_seconds']:.2f}×",
                ]
            )
    params = settings["params"]
    notes = [
        f"{settings['n_texts']} training texts per data set (a fixed random sample, "
        f'seed {seed}), `TextClassifier` with cross-entropy, `lr="auto"`, batches '
        f"of {params['batch_size']}, `max_length={params['max_length']}`, "
        f"{params['max_epochs']} epochs, no validation split. Seconds of one run. "
        "*epoch*: median training epoch; *states*: `fit`'s time before the first "
        "epoch (model loading, tokenisation and, for the top-2 rows, the frozen "
        "layers' forward pass over every distinct text); *fit*: the whole `fit`. "
        "Speed-ups are against full fine-tuning without grouping, in the same run.",
    ]
    return write(
        f"finetune_{profile}",
        title="Training the top 2 layers of MiniLM against full fine-tuning",
        notes=notes,
        columns=[
            "data set",
            "configuration",
            "epoch (s)",
            "states (s)",
            "fit (s)",
            "epoch speed-up",
            "fit speed-up",
        ],
        rows=rows,
        raw={"profile": profile, "seed": seed, "settings": settings, "runs": raw},
        device=device,
    )
