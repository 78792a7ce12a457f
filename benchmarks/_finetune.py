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

**Quality** (``--part quality``, or both parts by default): macro-F1 on the test
split of top-2 training against full fine-tuning, same settings otherwise
(cross-entropy, lr 1e-4, batches of 32, ``max_length=64``, at most 10 epochs,
early stopping with patience 2 on a stratified 10% validation split), seeds
0-2, on TREC made long-tailed at ir=50 (test split untouched) and on SMS spam
with 1% spam (1,500 ham and 15 spam texts for training, a stratified 1,000 for
testing, as in the ``miso`` suite). Full fine-tuning takes minutes per fit on
a CPU: the fits are stored one by one (``results/finetune_<profile>_fits.json``)
and a later run resumes.

**Resampling before a trainable encoder**: on the four settings of the ``miso``
suite (SMS spam and AG News, 1,500 majority training texts, the minority at 1%
or 5%, the same splits), the same top-2 ``TextClassifier`` trained on the texts
as they are, after random over-sampling (copies of minority texts) and after
``MISOSampler()`` (new minority texts, its defaults), next to SMOTE on frozen
MiniLM embeddings with logistic regression (the ``miso`` suite's setting),
seeds 0-2.
"""

import time

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from skimbtext import TextClassifier, TextEmbedder
from skimbtext.datasets import load_benchmark, make_imbalance
from skimbtext.over_sampling import MISOSampler

from . import _baselines, _miso
from ._miso import _imbalanced_split
from ._report import FitStore, mean_std, write

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


# The cpu-finetune profile of the method suites, but for the layers trained.
QUALITY_SETTINGS = {
    name: value
    for name, value in _baselines.PROFILES["cpu-finetune"].items()
    if name != "trainable_layers"
}
QUALITY_ROWS = {"top 2 layers": 2, "full fine-tuning": None}
QUALITY_DATA = ("trec ir=50", "sms_spam 1%")


def _quality_split(name, seed, data_home):
    """Training texts and labels, test texts and labels of a quality setting."""
    if name == "trec ir=50":
        train = load_benchmark("trec", subset="train", data_home=data_home)
        test = load_benchmark("trec", subset="test", data_home=data_home)
        X_fit, y_fit = make_imbalance(
            list(train.data), train.target, imbalance_ratio=50, random_state=seed
        )
        return list(X_fit), y_fit, list(test.data), np.asarray(test.target)
    # "sms_spam 1%", "ag_news 5%": the miso suite's split of that data set.
    dataset, share = name.split()
    data = load_benchmark(dataset, data_home=data_home)
    texts = np.asarray(data.data, dtype=object)
    labels = np.asarray(data.target)
    fit_idx, test_idx = _imbalanced_split(
        texts,
        labels,
        _miso.DATASETS[dataset],
        1500,
        1000,
        seed,
        share=float(share.rstrip("%")) / 100,
    )
    return (
        list(texts[fit_idx]),
        labels[fit_idx],
        list(texts[test_idx]),
        labels[test_idx],
    )


def _quality_fit(name, trainable_layers, seed, data_home, device):
    X_fit, y_fit, X_test, y_test = _quality_split(name, seed, data_home)
    clf = TextClassifier(
        **QUALITY_SETTINGS,
        trainable_layers=trainable_layers,
        device=device,
        random_state=seed,
    )
    start = time.perf_counter()
    clf.fit(X_fit, y_fit)
    return {
        "seed": seed,
        "macro_f1": f1_score(y_test, clf.predict(X_test), average="macro"),
        "fit_seconds": time.perf_counter() - start,
        "epochs": clf.n_epochs_,
        "train_size": len(y_fit),
    }


def quality(*, profile, seeds, data_home, device, stored_only=False):
    """Macro-F1 of top-2 training and full fine-tuning; rows of the table."""
    store = FitStore(f"finetune_{profile}", stored_only=stored_only)
    runs = {name: {row: [] for row in QUALITY_ROWS} for name in QUALITY_DATA}
    for name in QUALITY_DATA:
        for seed in seeds:
            for row, layers in QUALITY_ROWS.items():
                result = store.get(
                    (name, row, seed),
                    lambda: _quality_fit(name, layers, seed, data_home, device),  # noqa: B023
                )
                if result is not None:
                    runs[name][row].append(result)
                    print(
                        f"{name} {row} seed {seed}: {result['macro_f1']:.3f} "
                        f"({result['fit_seconds']:.0f} s)",
                        flush=True,
                    )
    return runs


# The miso suite's settings where its frozen-embedding rows are compared.
RESAMPLING_DATA = ("sms_spam 1%", "sms_spam 5%", "ag_news 1%", "ag_news 5%")
RESAMPLING_ROWS = (
    "none",
    "random over-sampling (texts)",
    "MISO (texts)",
    "SMOTE on frozen embeddings + logistic regression",
)


def _resampled_fit(name, row, seed, data_home, device, cache_dir):
    X_fit, y_fit, X_test, y_test = _quality_split(name, seed, data_home)
    start = time.perf_counter()
    extra = {}
    if row.startswith("SMOTE"):
        embedder = TextEmbedder(cache_dir=cache_dir, device=device).fit(X_fit)
        X_res, y_res = SMOTE(k_neighbors=5, random_state=seed).fit_resample(
            embedder.transform(X_fit), y_fit
        )
        clf = LogisticRegression(max_iter=1000).fit(X_res, y_res)
        predicted = clf.predict(embedder.transform(X_test))
    else:
        X_res, y_res = X_fit, y_fit
        if row.startswith("random"):
            rows, y_res = RandomOverSampler(random_state=seed).fit_resample(
                np.arange(len(y_fit))[:, None], y_fit
            )
            X_res = [X_fit[i] for i in rows[:, 0]]
        elif row.startswith("MISO"):
            sampler = MISOSampler(device=device, random_state=seed)
            X_res, y_res = sampler.fit_resample(X_fit, y_fit)
            extra["n_generated"] = int(sum(sampler.n_generated_.values()))
        clf = TextClassifier(
            **QUALITY_SETTINGS, trainable_layers=2, device=device, random_state=seed
        ).fit(list(X_res), y_res)
        extra["epochs"] = clf.n_epochs_
        predicted = clf.predict(X_test)
    return {
        "seed": seed,
        "macro_f1": f1_score(y_test, predicted, average="macro"),
        "fit_seconds": time.perf_counter() - start,
        "train_size": len(y_res),
        **extra,
    }


def resampling(
    *, profile, seeds, data_home, device, cache_dir, stored_only=False, data=None
):
    """Macro-F1 of the top-2 classifier after each resampling, per setting and row.

    ``data``: the settings to fit (names of ``RESAMPLING_DATA``; default all),
    so that two processes can fit different settings side by side.
    """
    store = FitStore(f"finetune_{profile}", stored_only=stored_only)
    runs = {name: {row: [] for row in RESAMPLING_ROWS} for name in RESAMPLING_DATA}
    for name in data or RESAMPLING_DATA:
        for seed in seeds:
            for row in RESAMPLING_ROWS:
                key = ("resampling", name, row, seed)
                if name == "sms_spam 1%" and row == "none":
                    # The quality table's top-2 fit: the same fit.
                    key = (name, "top 2 layers", seed)
                result = store.get(
                    key,
                    lambda: _resampled_fit(  # noqa: B023
                        name, row, seed, data_home, device, cache_dir
                    ),
                )
                if result is not None:
                    runs[name][row].append(result)
                    print(
                        f"resampling {name} {row} seed {seed}: "
                        f"{result['macro_f1']:.3f} ({result['fit_seconds']:.0f} s)",
                        flush=True,
                    )
    return runs


def _resampling_table(runs):
    lines = [
        "Resampling before a trainable encoder: SMS spam and AG News as in the "
        "`miso` suite (1,500 majority training texts, the minority at 1% or 5%, "
        "1,000 test texts), test macro-F1 of the top-2 `TextClassifier` (as in the "
        "quality table) trained after each resampling (*n*: fits stored).",
        "",
        "| data | resampling | macro-F1 | training size | seconds | n |",
        "|---|---|---|---|---|---|",
    ]
    for name, by_row in runs.items():
        for row, results in by_row.items():
            f1 = mean_std([r["macro_f1"] for r in results])
            size = mean_std([r["train_size"] for r in results], 0)
            seconds = mean_std([r["fit_seconds"] for r in results], 0)
            lines.append(
                f"| {name} | {row} | {f1} | {size} | {seconds} | {len(results)} |"
            )
    return lines


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


def run(*, profile, seeds, data_home, cache_dir, device, stored_only=False):
    """Run the suite and write ``results/finetune_<profile>.md`` / ``.json``.

    Every fit is stored as it ends (:class:`~benchmarks._report.FitStore`); a
    later run resumes. To time the speed part again, delete its entries (or the
    whole ``finetune_<profile>_fits.json``).
    """
    settings = PROFILES[profile]
    seed = seeds[0]
    store = FitStore(f"finetune_{profile}", stored_only=stored_only)
    raw = {}
    for dataset, subset in DATASETS.items():
        texts, labels = _sample(dataset, subset, settings["n_texts"], seed, data_home)
        for name, config in CONFIGS.items():
            timing = store.get(
                ("speed", dataset, name, seed),
                lambda: _timed_fit(  # noqa: B023
                    config, settings["params"], texts, labels, seed, device
                ),
            )
            if timing is not None:
                raw.setdefault(dataset, {})[name] = timing
    quality_runs = quality(
        profile=profile,
        seeds=seeds,
        data_home=data_home,
        device=device,
        stored_only=stored_only,
    )
    resampling_runs = resampling(
        profile=profile,
        seeds=seeds,
        data_home=data_home,
        device=device,
        cache_dir=cache_dir,
        stored_only=stored_only,
    )
    rows = []
    for dataset, by_config in raw.items():
        reference = by_config.get(REFERENCE)
        for name, timing in by_config.items():
            epoch = float(np.median(timing["epoch_seconds"]))
            speedups = ["–", "–"]
            if reference is not None:
                speedups = [
                    f"{np.median(reference['epoch_seconds']) / epoch:.2f}×",
                    f"{reference['fit_seconds'] / timing['fit_seconds']:.2f}×",
                ]
            rows.append(
                [
                    dataset,
                    name,
                    f"{epoch:.1f}",
                    f"{timing['states_seconds']:.1f}",
                    f"{timing['fit_seconds']:.1f}",
                    *speedups,
                ]
            )
    params = settings["params"]
    notes = [
        *_quality_table(quality_runs),
        "",
        *_resampling_table(resampling_runs),
        "",
        f"Speed: {settings['n_texts']} training texts per data set (a fixed random "
        f'sample, seed {seed}), `TextClassifier` with cross-entropy, `lr="auto"`, '
        f"batches of {params['batch_size']}, `max_length={params['max_length']}`, "
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
        raw={
            "profile": profile,
            "seed": seed,
            "settings": settings,
            "runs": raw,
            "quality": quality_runs,
            "resampling": resampling_runs,
            "quality_settings": QUALITY_SETTINGS,
        },
        device=device,
    )


def _quality_table(runs):
    """Markdown lines of the quality comparison (macro-F1, mean ± std)."""
    lines = [
        "Quality: test macro-F1 (mean ± std over seeds; *n*: fits stored), "
        "`TextClassifier` with cross-entropy, lr 1e-4, batches of 32, "
        "`max_length=64`, at most 10 epochs with early stopping (patience 2) on a "
        "stratified 10% validation split.",
        "",
        "| data | configuration | macro-F1 | epochs | fit (s) | n |",
        "|---|---|---|---|---|---|",
    ]
    for name, by_row in runs.items():
        for row, results in by_row.items():
            epochs = mean_std([r["epochs"] for r in results], 1)
            seconds = mean_std([r["fit_seconds"] for r in results], 0)
            f1 = mean_std([r["macro_f1"] for r in results])
            lines.append(
                f"| {name} | {row} | {f1} | {epochs} | {seconds} | {len(results)} |"
            )
    return lines
