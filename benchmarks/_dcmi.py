"""Suite ``dcmi``: DCMI, its ablations and the paper's baselines on Amazon reviews.

The Blitzer et al. (2007) multi-domain Amazon reviews (books, dvd, electronics,
kitchen; 2000 balanced reviews each) made imbalanced in domains and classes: per
seed, a stratified quarter of every (domain, class) cell is the test set (kept as
it is, 250 reviews per cell), and the rest is sub-sampled with
:func:`~skimbtext.datasets.make_domain_imbalance` to a domain ratio of 10 and a class
ratio of 10 (the class listed first when counts tie, negative, becomes the head
class: books keeps 750 negative / 75 positive reviews, kitchen 75 / 8). An
"altered" copy inverts the labels of dvd and kitchen (one head-side and one
tail-side domain) in both splits, the paper's setting of disagreeing domains.

Profile ``cpu`` trains MLP heads (256 hidden units) on frozen all-MiniLM-L6-v2
embeddings, computed once through the shared embedding cache; profile ``gpu``
fine-tunes MiniLM end to end (the paper's regime). The DCMI rows choose
``lambda_con`` and the mask schedule on a stratified 20% validation split of the
training data (domain-macro ROC-AUC), then refit on the whole training set; the test
split is never used for a choice.

The suite also times one training step of DCMI against domain-agnostic learning
(D-AL) with the same body at 4, 100 and 1000 domains.
"""

import statistics
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skimbtext import TextClassifier, TextEmbedder
from skimbtext.classifiers._dcmi import DCMIClassifier
from skimbtext.datasets import load_benchmark, make_domain_imbalance
from skimbtext.encoders import EncodedDataset
from skimbtext.metrics import domain_roc_auc_score

from ._report import mean_std, torch_threads, write

DATASET = "amazon_multi_domain"
DOMAIN_RATIO = 10
CLASS_RATIO = 10
TEST_FRACTION = 0.25
VALIDATION_FRACTION = 0.2
ALTERED_DOMAINS = ("dvd", "kitchen")

# Rows of the table; "select" lists the parameters chosen on the validation split.
ROWS = {
    "DCMI (selected λ_con, schedule)": {"params": {}, "select": True},
    "DCMI (defaults: λ=(4, 3), epoch schedule)": {"params": {}, "select": False},
    "DCMI w/o L_dom": {"params": {"relevance": "dataset"}, "select": True},
    "DCMI w/o L_dom & L_con": {
        "params": {"relevance": "dataset", "lambda_con": 0.0},
        "select": False,
    },
    "D-AL": {"params": {"use_mask": False, "deferred_rebalancing": None}},
    "MTL": {"params": {"use_mask": False, "head": "per_domain"}},
    "D-DRW": {"params": {"use_mask": False, "deferred_rebalancing": "reweight"}},
    "D-DRS": {"params": {"use_mask": False, "deferred_rebalancing": "resample"}},
    "D-Focal": {
        "params": {"use_mask": False, "loss": "focal", "deferred_rebalancing": None}
    },
}
PROFILES = {
    "cpu": {
        "settings": {"max_epochs": 30, "batch_size": 64},
        "grid": [
            {"lambda_con": lambda_con, "tau_schedule": schedule}
            for lambda_con in (0.3, 1.0, 3.0)
            for schedule in ("epoch", "training")
        ],
    },
    "gpu": {
        "settings": {"max_epochs": 5, "batch_size": 32, "max_length": 128},
        "grid": [
            {"lambda_dom": lambda_dom, "lambda_con": lambda_con}
            for lambda_dom, lambda_con in ((4.0, 3.0), (30.0, 15.0), (50.0, 6.0))
        ],
    },
}
TIMED_DOMAINS = (4, 100, 1000)


def _split(labels, domains, seed):
    cells = np.char.add(domains.astype(str), labels.astype(str))
    return train_test_split(
        np.arange(len(labels)),
        test_size=TEST_FRACTION,
        stratify=cells,
        random_state=seed,
    )


def _scores(clf, X, y, domains):
    proba = clf.predict_proba(X, domains=domains)[:, 1]
    return (
        domain_roc_auc_score(y, proba, domains, labels=clf.classes_),
        domain_roc_auc_score(y, proba, domains, average="micro", labels=clf.classes_),
    )


def _select(params, grid, X, y, domains, base, seed):
    """The grid point with the best validation domain-macro AUC."""
    cells = np.char.add(domains.astype(str), y.astype(str))
    fit_idx, valid_idx = train_test_split(
        np.arange(len(y)),
        test_size=VALIDATION_FRACTION,
        stratify=cells,
        random_state=seed,
    )
    results = []
    for point in grid:
        clf = DCMIClassifier(**base, **params, **point, random_state=seed)
        clf.fit(X[fit_idx], y[fit_idx], domains=domains[fit_idx])
        macro, _ = _scores(clf, X[valid_idx], y[valid_idx], domains[valid_idx])
        results.append((macro, point))
    best = max(results, key=lambda item: item[0])
    return best[1], [(point, round(score, 4)) for score, point in results]


def _run_setting(name, X, y, domains, train_idx, test_idx, base, grid, seed, raw):
    for row, spec in ROWS.items():
        params = dict(spec["params"])
        chosen = tried = None
        if spec.get("select"):
            chosen, tried = _select(
                params, grid, X[train_idx], y[train_idx], domains[train_idx], base, seed
            )
            params.update(chosen)
        start = time.perf_counter()
        clf = DCMIClassifier(**base, **params, random_state=seed)
        clf.fit(X[train_idx], y[train_idx], domains=domains[train_idx])
        fit_seconds = time.perf_counter() - start
        macro, micro = _scores(clf, X[test_idx], y[test_idx], domains[test_idx])
        raw[name][row].append(
            {
                "seed": seed,
                "macro_auc": macro,
                "micro_auc": micro,
                "fit_seconds": fit_seconds,
                "selected": chosen,
                "validation": tried,
            }
        )
        print(f"{name:8s} {row:42s} seed {seed}: macro {macro:.3f}", flush=True)


def _training_batch(clf, X, y, domains):
    """One training mini-batch of ``clf``'s net, built as ``fit`` builds them."""
    fields, _, texts = clf._input_fields(X, fitting=False)
    fields["sample_weight"] = np.ones(len(y), dtype=np.float32)
    if domains is not None:
        fields.update(clf._extra_fields(X, texts=texts, fitting=False, domains=domains))
    dataset = EncodedDataset(fields, np.searchsorted(clf.classes_, y))
    # The training iterator samples from the fitted training set; the validation
    # iterator batches and collates the same way, in order.
    return next(iter(clf.net_.get_iterator(dataset, training=False)))


def _median_step_seconds(fitted, n_steps, warmup=3):
    """Median seconds of a training step of each fitted estimator.

    A step is what ``fit`` does per batch: the callbacks' ``on_batch_begin``,
    forward pass, loss, backward pass, optimiser step and ``on_batch_end``, here on
    one fixed batch. Steps of the estimators alternate, so load changes on the
    machine hit all of them alike.
    """
    timings = [[] for _ in fitted]
    for step in range(warmup + n_steps):
        for k, (clf, batch) in enumerate(fitted):
            net = clf.net_
            start = time.perf_counter()
            net.notify("on_batch_begin", batch=batch, training=True)
            net.train_step(batch)
            net.notify("on_batch_end", batch=batch, training=True)
            if step >= warmup:
                timings[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in timings]


def time_train_steps(*, device, n_domains=TIMED_DOMAINS, n_steps=50, seed=0):
    """Train-step time of DCMI, D-AL and a plain classifier with the same MLP body.

    Random 384-d features (the width of MiniLM embeddings), an MLP body with 256
    hidden units, batches of 64, ``M`` domains assigned at random. D-AL is
    ``DCMIClassifier(use_mask=False)`` (it still trains the isolated domain head);
    "plain" is :class:`~skimbtext.TextClassifier` (no domain machinery at all).

    Returns
    -------
    rows : list of dict
        Per ``M``: median step seconds and the ratios DCMI / D-AL and DCMI / plain.
    """
    rng = np.random.RandomState(seed)
    common = {
        "hidden_layer_sizes": (256,),
        "batch_size": 64,
        "max_epochs": 1,
        "device": device,
        "random_state": seed,
    }
    rows = []
    for n in n_domains:
        n_samples = max(2048, 2 * n)
        X = rng.normal(size=(n_samples, 384)).astype(np.float32)
        y = rng.randint(0, 2, n_samples)
        domains = np.arange(n_samples) % n
        models = [
            (DCMIClassifier(**common), domains),
            (
                DCMIClassifier(use_mask=False, deferred_rebalancing=None, **common),
                domains,
            ),
            (
                TextClassifier(
                    optimizer="adam", weight_decay=0.0, max_grad_norm=None, **common
                ),
                None,
            ),
        ]
        fitted = []
        for clf, fit_domains in models:
            kwargs = {} if fit_domains is None else {"domains": fit_domains}
            clf.fit(X, y, **kwargs)
            batch_domains = None if fit_domains is None else fit_domains[:64]
            fitted.append((clf, _training_batch(clf, X[:64], y[:64], batch_domains)))
        dcmi, agnostic, plain = _median_step_seconds(fitted, n_steps)
        rows.append(
            {
                "body": "MLP (384 → 256)",
                "n_domains": n,
                "dcmi_ms": 1000 * dcmi,
                "d_al_ms": 1000 * agnostic,
                "plain_ms": 1000 * plain,
                "ratio_d_al": dcmi / agnostic,
                "ratio_plain": dcmi / plain,
            }
        )
        print(f"timing M={n}: {rows[-1]}", flush=True)
    return rows


def time_transformer_steps(texts, *, device, n_domains=100, n_steps=5, seed=0):
    """Train-step time of DCMI vs D-AL fine-tuning MiniLM (16 texts x 64 tokens)."""
    texts = list(texts[: 2 * n_domains])
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, len(texts))
    domains = np.arange(len(texts)) % n_domains
    common = {
        "max_length": 64,
        "batch_size": 16,
        "max_epochs": 1,
        "device": device,
        "random_state": seed,
    }
    fitted = []
    for clf in (
        DCMIClassifier(**common),
        DCMIClassifier(use_mask=False, deferred_rebalancing=None, **common),
    ):
        clf.fit(texts, y, domains=domains)
        fitted.append((clf, _training_batch(clf, texts[:16], y[:16], domains[:16])))
    dcmi, agnostic = _median_step_seconds(fitted, n_steps, warmup=1)
    return {
        "body": "MiniLM fine-tuned (16 × 64 tokens)",
        "n_domains": n_domains,
        "dcmi_ms": 1000 * dcmi,
        "d_al_ms": 1000 * agnostic,
        "plain_ms": None,
        "ratio_d_al": dcmi / agnostic,
        "ratio_plain": None,
    }


def _flip(labels, domains, flipped):
    """Invert binary labels inside the ``flipped`` domains."""
    names = np.unique(labels)
    inverted = np.where(labels == names[0], names[1], names[0])
    return np.where(np.isin(domains, flipped), inverted, labels)


def run(*, profile, seeds, data_home, cache_dir, device):
    with torch_threads(1):
        return _run(
            profile=profile,
            seeds=seeds,
            data_home=data_home,
            cache_dir=cache_dir,
            device=device,
        )


def _run(*, profile, seeds, data_home, cache_dir, device):
    bunch = load_benchmark(DATASET, data_home=data_home)
    texts = np.asarray(bunch.data, dtype=object)
    labels = np.asarray(bunch.target, dtype=object)
    domains = np.asarray(bunch.domains, dtype=object)
    spec = PROFILES[profile]
    base = {**spec["settings"], "device": device}
    embed_seconds = None
    if profile == "cpu":
        # The embeddings of freeze_encoder=True, computed once for every fit.
        start = time.perf_counter()
        embedder = TextEmbedder(cache_dir=cache_dir, device=device).fit(texts)
        X = embedder.transform(texts)
        embed_seconds = time.perf_counter() - start
    else:
        X = texts
    settings = {
        "original": labels,
        "altered": _flip(labels, domains, ALTERED_DOMAINS),
    }
    raw = {name: {row: [] for row in ROWS} for name in settings}
    train_sizes = []
    for seed in seeds:
        pool_idx, test_idx = _split(labels, domains, seed)
        *_, kept = make_domain_imbalance(
            pool_idx,
            labels[pool_idx],
            domains[pool_idx],
            domain_imbalance_ratio=DOMAIN_RATIO,
            class_imbalance_ratio=CLASS_RATIO,
            random_state=seed,
            return_indices=True,
        )
        train_idx = pool_idx[kept]
        train_sizes.append(len(train_idx))
        for name, y in settings.items():
            _run_setting(
                name, X, y, domains, train_idx, test_idx, base, spec["grid"], seed, raw
            )

    timing = time_train_steps(device=device)
    if profile == "cpu":
        timing.append(time_transformer_steps(texts, device=device))

    def cell(runs, key):
        return mean_std([r[key] for r in runs])

    rows = [
        [
            row,
            cell(raw["original"][row], "macro_auc"),
            cell(raw["original"][row], "micro_auc"),
            cell(raw["altered"][row], "macro_auc"),
            cell(raw["altered"][row], "micro_auc"),
        ]
        for row in ROWS
    ]
    counts = pd.crosstab(domains[train_idx], labels[train_idx]).to_dict("index")
    selected = {
        name: {
            row: [r["selected"] for r in raw[name][row]]
            for row, spec_row in ROWS.items()
            if spec_row.get("select")
        }
        for name in settings
    }
    body = (
        "MLP head (256 hidden units) on frozen all-MiniLM-L6-v2 mean-pooled "
        "embeddings (`freeze_encoder=True` embeddings, computed once through the "
        "shared cache)"
        if profile == "cpu"
        else "MiniLM fine-tuned end to end"
    )
    notes = [
        f"Blitzer et al. (2007) Amazon reviews, 4 domains. Per seed: a stratified "
        f"{TEST_FRACTION:.0%} of every (domain, class) cell is the untouched test set "
        f"(2000 reviews); the rest is made imbalanced with `make_domain_imbalance` "
        f"(domain ratio {DOMAIN_RATIO}, class ratio {CLASS_RATIO}; "
        f"{int(np.mean(train_sizes))} training reviews, e.g. {counts} for the last "
        f"seed). *Altered*: labels of {', '.join(ALTERED_DOMAINS)} inverted in both "
        "splits. Metrics: ROC-AUC macro-averaged over domains, and micro (all test "
        f"reviews pooled); mean ± std over seeds {list(seeds)} (the seed draws the "
        "split, the sub-sample and the training run).",
        f"Profile `{profile}`: {body}; {base['max_epochs']} epochs, batches of "
        f"{base['batch_size']}, Adam. All rows are `DCMIClassifier` configurations. "
        "DCMI rows marked *selected* pick `lambda_con` and `tau_schedule` from "
        f"{spec['grid']} by domain-macro AUC on a stratified "
        f"{VALIDATION_FRACTION:.0%} validation split of the training data, then refit "
        "on all of it; chosen per seed: "
        f"{selected}. DCMI, its ablations and MTL use deferred re-sampling (DRS, "
        "the paper's choice for all methods); D-AL and D-Focal use none, so that "
        "D-DRS and D-DRW show the effect of deferred class rebalancing on D-AL.",
    ]
    if embed_seconds is not None:
        notes.append(
            f"Loading MiniLM and embedding the {len(texts)} reviews: "
            f"{embed_seconds:.1f} s (cached embeddings are read from `cache_dir`)."
        )
    notes += [
        "",
        "Train-step time (median of interleaved steps, one intra-op thread; D-AL = "
        "`DCMIClassifier(use_mask=False)`, plain = `TextClassifier`, same body):",
        "",
        "| body | domains | DCMI ms | D-AL ms | plain ms | DCMI / D-AL | "
        "DCMI / plain |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {t['body']} | {t['n_domains']} | {t['dcmi_ms']:.2f} | "
            f"{t['d_al_ms']:.2f} | "
            + ("–" if t["plain_ms"] is None else f"{t['plain_ms']:.2f}")
            + f" | {t['ratio_d_al']:.2f}× | "
            + ("–" if t["ratio_plain"] is None else f"{t['ratio_plain']:.2f}×")
            + " |"
            for t in timing
        ],
        "",
        "Domain-macro and micro ROC-AUC on the test set:",
    ]
    return write(
        f"dcmi_{profile}",
        title="DCMI on multi-domain imbalanced Amazon reviews (Blitzer, 4 domains)",
        notes=notes,
        columns=[
            "DCMIClassifier",
            "macro AUC",
            "micro AUC",
            "altered: macro AUC",
            "altered: micro AUC",
        ],
        rows=rows,
        raw={
            "runs": raw,
            "timing": timing,
            "embed_seconds": embed_seconds,
            "profile": profile,
            "settings": {**base, "device": str(device)},
            "grid": spec["grid"],
            "domain_ratio": DOMAIN_RATIO,
            "class_ratio": CLASS_RATIO,
            "altered_domains": ALTERED_DOMAINS,
            "torch_threads": torch.get_num_threads(),
        },
        device=device,
    )
