"""Suite ``baselines``: the imbalance losses of TextClassifier on long-tailed TREC.

The SharpReCL protocol: TREC's training split made long-tailed at ir=50 (classes
sorted by size, counts decaying geometrically), the test split untouched. Profile
``cpu`` trains MLP heads on frozen all-MiniLM-L6-v2 embeddings (cached on disk);
profile ``gpu`` fine-tunes MiniLM end to end. The model is selected by early stopping
on a stratified validation split of the training data, never on the test split.
"""

import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from skimbtext import TextClassifier, TextEmbedder
from skimbtext.datasets import load_benchmark, make_imbalance

from ._report import mean_std, write

CONFIGS = {
    "CE": {"loss": "ce"},
    "CE + class_weight=balanced": {"loss": "ce", "class_weight": "balanced"},
    "logit-adjusted CE": {"loss": "logit_adjusted"},
    "focal (γ=2)": {"loss": "focal"},
    "dice (α=0.1)": {"loss": "dice"},
    "class-balanced (β=0.9999)": {"loss": "class_balanced"},
    "LDAM": {"loss": "ldam"},
    "LDAM-DRW": {"loss": "ldam", "deferred_rebalancing": "reweight"},
    "CE-DRS": {"loss": "ce", "deferred_rebalancing": "resample"},
}
# Deferred rebalancing starts at 80% of max_epochs; early stopping could end training
# before that, so these configurations train a fixed schedule instead.
DEFERRED_SCHEDULE = {
    "cpu": {"early_stopping": False, "max_epochs": 30},
    "gpu": {"early_stopping": False, "max_epochs": 5},
}
PROFILES = {
    "cpu": {
        "trainable_layers": 0,
        "max_epochs": 60,
        "early_stopping": True,
        "n_iter_no_change": 8,
        "batch_size": 64,
    },
    # The top 2 of MiniLM's 6 layers trained on a CPU, on the token states of
    # the 4 below (computed once per text): the methods with a trainable encoder.
    "cpu-finetune": {
        "trainable_layers": 2,
        "max_length": 64,
        "max_epochs": 10,
        "early_stopping": True,
        "n_iter_no_change": 2,
        "batch_size": 32,
        "lr": 1e-4,
    },
    "gpu": {
        "trainable_layers": None,
        "max_epochs": 8,
        "early_stopping": True,
        "n_iter_no_change": 2,
        "batch_size": 32,
        "lr": 5e-5,
    },
}


def run(*, profile, seeds, data_home, cache_dir, device, dataset="trec", ir=50):
    train = load_benchmark(dataset, subset="train", data_home=data_home)
    test = load_benchmark(dataset, subset="test", data_home=data_home)
    settings = PROFILES[profile]
    embed_seconds = None
    if settings["trainable_layers"] == 0:
        # Time embedding without the cache, then fill the cache for the fits.
        all_texts = [*train.data, *test.data]
        embedder = TextEmbedder(device=device).fit(all_texts)
        start = time.perf_counter()
        embedder.transform(all_texts)
        embed_seconds = time.perf_counter() - start
        embedder.set_params(cache_dir=cache_dir).transform(all_texts)

    raw = {}
    for name, config in CONFIGS.items():
        raw[name] = []
        for seed in seeds:
            X_train, y_train = make_imbalance(
                train.data, train.target, imbalance_ratio=ir, random_state=seed
            )
            params = {**settings, **config}
            if "deferred_rebalancing" in config:
                params.update(DEFERRED_SCHEDULE[profile])
            clf = TextClassifier(
                **params, cache_dir=cache_dir, device=device, random_state=seed
            )
            start = time.perf_counter()
            clf.fit(X_train, y_train)
            fit_seconds = time.perf_counter() - start
            predicted = clf.predict(test.data)
            raw[name].append(
                {
                    "seed": seed,
                    "accuracy": accuracy_score(test.target, predicted),
                    "macro_f1": f1_score(test.target, predicted, average="macro"),
                    "fit_seconds": fit_seconds,
                    "epochs": clf.n_epochs_,
                    "train_size": len(y_train),
                }
            )
            print(
                f"{name:28s} seed {seed}: macro-F1 {raw[name][-1]['macro_f1']:.3f}",
                flush=True,
            )

    rows = [
        [
            name,
            mean_std([r["accuracy"] for r in runs]),
            mean_std([r["macro_f1"] for r in runs]),
            f"{np.mean([r['fit_seconds'] for r in runs]):.1f}",
        ]
        for name, runs in raw.items()
    ]
    labels, counts = np.unique(
        make_imbalance(
            train.data, train.target, imbalance_ratio=ir, random_state=seeds[0]
        )[1],
        return_counts=True,
    )
    body = (
        "MLP head (256 hidden) on frozen all-MiniLM-L6-v2 mean-pooled embeddings"
        if settings["trainable_layers"] == 0
        else "MiniLM fine-tuned end to end"
    )
    notes = [
        f"{dataset.upper()} training split made long-tailed at ir={ir} (class counts "
        f"{dict(zip(labels.tolist(), counts.tolist()))}); test split untouched "
        f"({len(test.target)} texts). Profile `{profile}`: {body}. Models are chosen "
        "by early stopping on a stratified 10% validation split of the training "
        "data; the deferred-rebalancing rows instead train a fixed "
        f"{DEFERRED_SCHEDULE[profile]['max_epochs']} epochs (rebalancing from 80% of "
        "them), since early stopping could end training before rebalancing starts. "
        f"Mean ± std over seeds {list(seeds)}; the seed draws both the subsample and "
        "the training run.",
    ]
    if embed_seconds is not None:
        n_texts = len(train.target) + len(test.target)
        notes.append(
            f"Embedding all {n_texts} texts with frozen MiniLM (no cache): "
            f"{embed_seconds:.1f} s ({n_texts / embed_seconds:.0f} texts/s)."
        )
    return write(
        f"baselines_{profile}",
        title=f"Imbalance losses on long-tailed {dataset.upper()} (ir={ir})",
        notes=notes,
        columns=["TextClassifier", "accuracy", "macro-F1", "fit seconds"],
        rows=rows,
        raw={
            "embed_seconds": embed_seconds,
            "runs": raw,
            "ir": ir,
            "dataset": dataset,
            "profile": profile,
            "settings": settings,
        },
        device=device,
    )
