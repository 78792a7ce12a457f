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

The test AUC of every domain is recorded too, and drawn next to the baselines'
(``dcmi_<profile>_domain_auc.png``). What DCMI costs per training step, next to
domain-agnostic learning and plain fine-tuning, is measured by the ``cost`` suite.
"""

import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skimbtext import TextEmbedder
from skimbtext.classifiers._dcmi import DCMIClassifier
from skimbtext.datasets import load_benchmark, make_domain_imbalance
from skimbtext.metrics import domain_roc_auc_score

from . import _plots
from ._report import figure_path, mean_std, torch_threads, write

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
# DCMI against its baselines in the per-domain figure.
PLOTTED = {
    "DCMI (selected λ_con, schedule)": "DCMI (selected)",
    "D-AL": "D-AL",
    "MTL": "MTL",
    "D-DRW": "D-DRW",
    "D-DRS": "D-DRS",
    "D-Focal": "D-Focal",
}


def _split(labels, domains, seed):
    cells = np.char.add(domains.astype(str), labels.astype(str))
    return train_test_split(
        np.arange(len(labels)),
        test_size=TEST_FRACTION,
        stratify=cells,
        random_state=seed,
    )


def _scores(clf, X, y, domains):
    """Domain-macro, micro and per-domain ROC-AUC."""
    proba = clf.predict_proba(X, domains=domains)[:, 1]
    return [
        domain_roc_auc_score(y, proba, domains, average=average, labels=clf.classes_)
        for average in ("macro", "micro", None)
    ]


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
        macro, *_ = _scores(clf, X[valid_idx], y[valid_idx], domains[valid_idx])
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
        macro, micro, per_domain = _scores(
            clf, X[test_idx], y[test_idx], domains[test_idx]
        )
        raw[name][row].append(
            {
                "seed": seed,
                "macro_auc": macro,
                "micro_auc": micro,
                "domain_auc": {str(d): float(a) for d, a in per_domain.items()},
                "fit_seconds": fit_seconds,
                "selected": chosen,
                "validation": tried,
            }
        )
        print(f"{name:8s} {row:42s} seed {seed}: macro {macro:.3f}", flush=True)


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
        "Train-step time and memory: see the `cost` suite. Domain-macro and micro "
        "ROC-AUC on the test set:",
    ]
    stem = f"dcmi_{profile}"
    results = {
        "runs": raw,
        "embed_seconds": embed_seconds,
        "profile": profile,
        "settings": {**base, "device": str(device)},
        "grid": spec["grid"],
        "domain_ratio": DOMAIN_RATIO,
        "class_ratio": CLASS_RATIO,
        "altered_domains": ALTERED_DOMAINS,
        "torch_threads": torch.get_num_threads(),
    }
    return write(
        stem,
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
        raw=results,
        figures=draw(results, stem),
        device=device,
    )


def draw(results, stem):
    """Per-domain test AUC of DCMI and its baselines; returns ``(what, caption)``."""
    panels = {}
    for setting, rows in results["runs"].items():
        domains = list(rows[next(iter(PLOTTED))][0]["domain_auc"])
        panels[f"{setting} labels"] = {
            domain: {
                label: [run["domain_auc"][domain] for run in rows[row]]
                for row, label in PLOTTED.items()
            }
            for domain in domains
        }
    _plots.grouped_bars(
        figure_path(stem, "domain_auc"),
        panels,
        ylabel="test ROC-AUC",
        zero_based=False,
        legend_columns=len(PLOTTED),
    )
    return [
        (
            "domain_auc",
            "Per-domain test ROC-AUC of DCMI and the baselines (mean ± std over "
            "seeds); training domains from the largest (books) to the smallest "
            "(kitchen)",
        )
    ]
