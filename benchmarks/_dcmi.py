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
embeddings, computed once through the shared embedding cache; its DCMI rows
marked *selected* choose ``lambda_con`` and the mask schedule on a stratified 20%
validation split of the training data (domain-macro ROC-AUC), then refit on the
whole training set; the test split is never used for a choice. Profile ``gpu``
fine-tunes MiniLM end to end (the paper's regime): DCMI with its defaults and
with the paper's single learning rate, next to D-AL and MTL, and each domain left
out of training in turn (DCMI's unseen-domain fallback against D-AL).

The test AUC of every domain is recorded too, and drawn next to the baselines'
(``dcmi_<profile>_domain_auc.png``). What DCMI costs per training step, next to
domain-agnostic learning and plain fine-tuning, is measured by the ``cost`` suite.
"""

import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skimbtext import TextEmbedder
from skimbtext.classifiers._dcmi import DCMIClassifier
from skimbtext.datasets import load_benchmark, make_domain_imbalance
from skimbtext.metrics import domain_roc_auc_score

from . import _baselines, _plots
from ._report import FitStore, figure_path, mean_std, torch_threads, write

DATASET = "amazon_multi_domain"
DOMAIN_RATIO = 10
CLASS_RATIO = 10
TEST_FRACTION = 0.25
VALIDATION_FRACTION = 0.2
ALTERED_DOMAINS = ("dvd", "kitchen")

PAPER_RELEVANCE = "DCMI, domain-head relevance (paper)"
SHARED = "DCMI, one shared head"
SHARED_OWN = "DCMI, one shared head, L_con on each sample's own mask"
EVERY_MASK = "DCMI, L_con on every mask"
# What the defaults replaced, one at a time: the paper's single shared head and
# the gradient of its L_con, which reaches every domain's mask.
PAPER_HEAD = {"head": "shared", "contrastive_mask_updates": "all"}
VARIANTS = {
    # The relevance the paper prints (the domain head's), with its shared head
    # and L_con gradient: DCMI as printed, at the package's learning rates.
    PAPER_RELEVANCE: {"params": {"relevance": "learned", **PAPER_HEAD}},
    SHARED: {"params": PAPER_HEAD},
    SHARED_OWN: {"params": {"head": "shared"}},
    EVERY_MASK: {"params": {"contrastive_mask_updates": "all"}},
}
# Rows of the table; "select" lists the parameters chosen on the validation split.
ROWS = {
    "DCMI (selected λ_con, schedule)": {"params": {}, "select": True},
    "DCMI (defaults: λ=(4, 3), epoch schedule)": {"params": {}, "select": False},
    **{row: {**spec, "select": False} for row, spec in VARIANTS.items()},
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
# Rows of the gpu profile: the defaults, the paper's single learning rate and
# the baselines, each fitted once per seed (about 8 s a fit on one H200). Rows
# measured before the per-domain heads and the own-mask gradient became the
# defaults name the head and gradient they ran with.
FINE_TUNED_ROWS = {
    "DCMI": {"params": {}},
    **VARIANTS,
    "DCMI lambda_con=0": {"params": {"lambda_con": 0.0, **PAPER_HEAD}},
    "DCMI lambda_con=0, training schedule": {
        "params": {"lambda_con": 0.0, "tau_schedule": "training", **PAPER_HEAD}
    },
    # Measured on a GPU with the relevance of that time, the paper's.
    "DCMI one lr (paper: head_lr=mask_lr=3e-5)": {
        "params": {
            "relevance": "learned",
            "head_lr": 3e-5,
            "mask_lr": 3e-5,
            **PAPER_HEAD,
        }
    },
    "D-AL": {"params": {"use_mask": False, "deferred_rebalancing": None}},
    "MTL": {"params": {"use_mask": False, "head": "per_domain"}},
    "MTL one lr (head_lr=3e-5)": {
        "params": {"use_mask": False, "head": "per_domain", "head_lr": 3e-5}
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
        "rows": ROWS,
        "unseen": False,
    },
    # The top 2 of MiniLM's 6 layers trained on a CPU (lower layers' token
    # states computed once per review), run in chunks: fits are stored one by one.
    "cpu-finetune": {
        "settings": dict(_baselines.PROFILES["cpu-finetune"]),
        "grid": [],
        "rows": {
            row: FINE_TUNED_ROWS[row]
            for row in (
                "DCMI",
                *VARIANTS,
                "DCMI lambda_con=0, training schedule",
                "D-AL",
                "MTL",
            )
        },
        "unseen": False,
        "chunked": True,
    },
    "gpu": {
        # Fine-tuning at lr="auto" (3e-5) for max_epochs="auto" (5), in bf16.
        "settings": {"batch_size": 32, "max_length": 128, "mixed_precision": True},
        "grid": [],
        "rows": FINE_TUNED_ROWS,
        "unseen": True,
    },
}
# DCMI against its baselines in the per-domain figure, per profile.
PLOTTED = {
    "cpu": {
        "DCMI (selected λ_con, schedule)": "DCMI (selected)",
        "D-AL": "D-AL",
        "MTL": "MTL",
        "D-DRW": "D-DRW",
        "D-DRS": "D-DRS",
        "D-Focal": "D-Focal",
    },
    "cpu-finetune": {"DCMI": "DCMI", "D-AL": "D-AL", "MTL": "MTL"},
    "gpu": {
        "DCMI": "DCMI",
        PAPER_RELEVANCE: "DCMI, domain-head relevance",
        "DCMI one lr (paper: head_lr=mask_lr=3e-5)": "DCMI, one lr",
        "D-AL": "D-AL",
        "MTL": "MTL",
    },
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


def _run_setting(
    name, X, y, domains, train_idx, test_idx, base, spec, seed, raw, store
):
    for row, row_spec in spec["rows"].items():

        def fit(row_spec=row_spec):
            return _fit_row(
                row_spec, X, y, domains, train_idx, test_idx, base, spec, seed
            )

        result = store.get((name, row, seed), fit)
        if result is None:
            continue
        raw[name][row].append(result)
        print(
            f"{name:8s} {row:42s} seed {seed}: macro {result['macro_auc']:.3f}",
            flush=True,
        )


def _fit_row(row_spec, X, y, domains, train_idx, test_idx, base, spec, seed):
    """Fit one row on a seed's training split; its test scores."""
    params = dict(row_spec["params"])
    chosen = tried = None
    if row_spec.get("select"):
        chosen, tried = _select(
            params,
            spec["grid"],
            X[train_idx],
            y[train_idx],
            domains[train_idx],
            base,
            seed,
        )
        params.update(chosen)
    start = time.perf_counter()
    clf = DCMIClassifier(**base, **params, random_state=seed)
    clf.fit(X[train_idx], y[train_idx], domains=domains[train_idx])
    fit_seconds = time.perf_counter() - start
    macro, micro, per_domain = _scores(clf, X[test_idx], y[test_idx], domains[test_idx])
    return {
        "seed": seed,
        "macro_auc": macro,
        "micro_auc": micro,
        "domain_auc": {str(d): float(a) for d, a in per_domain.items()},
        "fit_seconds": fit_seconds,
        "epochs": clf.n_epochs_,
        "selected": chosen,
        "validation": tried,
    }


def _unseen(X, labels, domains, train_idx, test_idx, base, seed):
    """Each domain left out of training in turn: ROC-AUC on its test reviews."""
    runs = []
    for left_out in np.unique(domains):
        keep = train_idx[domains[train_idx] != left_out]
        held = test_idx[domains[test_idx] == left_out]
        for row in ("DCMI", "D-AL"):
            clf = DCMIClassifier(
                **base, **FINE_TUNED_ROWS[row]["params"], random_state=seed
            )
            clf.fit(X[keep], labels[keep], domains=domains[keep])
            with warnings.catch_warnings():
                # The warning that names the unseen domain.
                warnings.simplefilter("ignore", UserWarning)
                proba = clf.predict_proba(X[held], domains=domains[held])[:, 1]
            auc = roc_auc_score(labels[held] == clf.classes_[1], proba)
            runs.append(
                {"seed": seed, "left_out": str(left_out), "row": row, "auc": auc}
            )
            print(f"unseen {left_out:12s} {row:5s} seed {seed}: {auc:.3f}", flush=True)
    return runs


def _flip(labels, domains, flipped):
    """Invert binary labels inside the ``flipped`` domains."""
    names = np.unique(labels)
    inverted = np.where(labels == names[0], names[1], names[0])
    return np.where(np.isin(domains, flipped), inverted, labels)


def run(*, profile, seeds, data_home, cache_dir, device, stored_only=False):
    """Run the suite and write ``results/dcmi_<profile>.md`` / ``.json``.

    A chunked profile (``cpu-finetune``) stores its fits one by one
    (:class:`~benchmarks._report.FitStore`); a later run resumes.
    """
    with torch_threads(1):
        return _run(
            profile=profile,
            seeds=seeds,
            data_home=data_home,
            cache_dir=cache_dir,
            device=device,
            stored_only=stored_only,
        )


def _run(*, profile, seeds, data_home, cache_dir, device, stored_only):
    bunch = load_benchmark(DATASET, data_home=data_home)
    texts = np.asarray(bunch.data, dtype=object)
    labels = np.asarray(bunch.target, dtype=object)
    domains = np.asarray(bunch.domains, dtype=object)
    spec = PROFILES[profile]
    base = {**spec["settings"], "device": device}
    embed_seconds = None
    if profile == "cpu":
        # The embeddings of trainable_layers=0, computed once for every fit.
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
    raw = {name: {row: [] for row in spec["rows"]} for name in settings}
    store = FitStore(
        f"dcmi_{profile}",
        stored_only=stored_only,
        persist=spec.get("chunked", False),
    )
    unseen = []
    train_sizes = []
    for seed in seeds:
        train_idx, test_idx = _train_test(labels, domains, seed)
        train_sizes.append(len(train_idx))
        for name, y in settings.items():
            _run_setting(
                name, X, y, domains, train_idx, test_idx, base, spec, seed, raw, store
            )
    if spec["unseen"]:
        train_idx, test_idx = _train_test(labels, domains, seeds[0])
        unseen = _unseen(X, labels, domains, train_idx, test_idx, base, seeds[0])
    counts = pd.crosstab(domains[train_idx], labels[train_idx]).to_dict("index")
    results = {
        "runs": raw,
        "unseen": unseen,
        "embed_seconds": embed_seconds,
        "profile": profile,
        "settings": {**base, "device": str(device)},
        "grid": spec["grid"],
        "domain_ratio": DOMAIN_RATIO,
        "class_ratio": CLASS_RATIO,
        "altered_domains": ALTERED_DOMAINS,
        "train_sizes": train_sizes,
        "last_train_counts": counts,
        "seeds": list(seeds),
        "torch_threads": torch.get_num_threads(),
    }
    return report(results, device=device)


def _train_test(labels, domains, seed):
    """The untouched test split and the imbalanced training sample of a seed."""
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
    return pool_idx[kept], test_idx


def report(results, *, device, environment=None):
    """Write ``results/dcmi_<profile>.md`` and ``.json`` from a run's results.

    ``environment`` replaces the description of this machine, for results
    measured elsewhere (see :func:`~benchmarks._report.write`).
    """
    profile = results["profile"]
    spec = PROFILES[profile]
    raw = results["runs"]

    def cell(runs, key):
        return mean_std([r[key] for r in runs])

    rows = [
        [
            row,
            cell(raw["original"].get(row, []), "macro_auc"),
            cell(raw["original"].get(row, []), "micro_auc"),
            cell(raw["altered"].get(row, []), "macro_auc"),
            cell(raw["altered"].get(row, []), "micro_auc"),
        ]
        for row in spec["rows"]
    ]
    selected = {
        name: {
            row: [r["selected"] for r in raw[name].get(row, [])]
            for row, spec_row in spec["rows"].items()
            if spec_row.get("select")
        }
        for name in raw
    }
    settings = results["settings"]
    epochs = settings.get("max_epochs", "`max_epochs='auto'` (5)")
    body = {
        "cpu": "MLP head (256 hidden units) on frozen all-MiniLM-L6-v2 mean-pooled "
        "embeddings (`trainable_layers=0` embeddings, computed once through the "
        "shared cache)",
        "cpu-finetune": "the top 2 of all-MiniLM-L6-v2's 6 layers trained "
        "(`trainable_layers=2`; the 4 frozen layers' token states computed once "
        "per review), `max_length=64`, lr 1e-4 for the encoder (DCMI's and MTL's "
        "heads at `head_lr='auto'`), early stopping with patience 2 on a "
        "stratified 10% validation split",
        "gpu": "all-MiniLM-L6-v2 fine-tuned end to end (`lr='auto'`: 3e-5 for the "
        "encoder; bf16 autocast)",
    }[profile]
    notes = [
        f"Blitzer et al. (2007) Amazon reviews, 4 domains. Per seed: a stratified "
        f"{TEST_FRACTION:.0%} of every (domain, class) cell is the untouched test set "
        f"(2000 reviews); the rest is made imbalanced with `make_domain_imbalance` "
        f"(domain ratio {DOMAIN_RATIO}, class ratio {CLASS_RATIO}; "
        f"{int(np.mean(results['train_sizes']))} training reviews, e.g. "
        f"{results['last_train_counts']} for the last seed). *Altered*: labels of "
        f"{', '.join(ALTERED_DOMAINS)} inverted in both splits. Metrics: ROC-AUC "
        "macro-averaged over domains, and micro (all test reviews pooled); mean ± "
        f"std over seeds {results['seeds']} (the seed draws the split, the "
        "sub-sample and the training run).",
        f"Profile `{profile}`: {body}; {epochs} epochs, batches of "
        f"{settings['batch_size']}, Adam. All rows are `DCMIClassifier` "
        "configurations. DCMI, its ablations and MTL use deferred re-sampling "
        "(DRS, the paper's choice for all methods); D-AL and D-Focal use none.",
    ]
    if spec["grid"]:
        notes.append(
            "DCMI rows marked *selected* pick `lambda_con` and `tau_schedule` from "
            f"{spec['grid']} by domain-macro AUC on a stratified "
            f"{VALIDATION_FRACTION:.0%} validation split of the training data, then "
            f"refit on all of it; chosen per seed: {selected}."
        )
    if profile == "gpu":
        notes.append(
            "The paper's numbers are on other data (BERT, aspect sentiment in 19 "
            "domains, Table 1: domain-macro AUC 77.8 for DCMI, 76.3 for MTL, 51.9 "
            "for D-AL with 9 domains reversed); the pattern to compare is DCMI level "
            "with MTL and far above D-AL when domains disagree, and level with D-AL "
            "when they agree."
        )
    if profile == "gpu" and not results["runs"]["original"].get("DCMI"):
        notes.append(
            'This run predates `relevance="agreement"`, `head="auto"` and '
            '`contrastive_mask_updates="own"`: its DCMI rows, and DCMI in the '
            "unseen-domain note, used the domain head's relevance, one shared "
            f"head and L_con on every mask (row *{PAPER_RELEVANCE}*); the "
            "default's row awaits the next GPU run."
        )
    if results["embed_seconds"] is not None:
        notes.append(
            "Loading MiniLM and embedding the 8000 reviews: "
            f"{results['embed_seconds']:.1f} s (cached embeddings are read from "
            "`cache_dir`)."
        )
    if results["unseen"]:
        by_domain = {}
        for run in results["unseen"]:
            by_domain.setdefault(run["left_out"], {})[run["row"]] = run["auc"]
        shown = "; ".join(
            f"{domain} {aucs['DCMI']:.3f} vs {aucs['D-AL']:.3f}"
            for domain, aucs in by_domain.items()
        )
        notes.append(
            "Unseen domains (seed "
            f"{results['unseen'][0]['seed']}, original labels): each domain left "
            "out of training in turn, ROC-AUC on its test reviews, DCMI (the "
            f"relevance-weighted view) vs D-AL: {shown}."
        )
    notes += [
        "",
        "Train-step time and memory: see the `cost` suite. Domain-macro and micro "
        "ROC-AUC on the test set:",
    ]
    stem = f"dcmi_{profile}"
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
        environment=environment,
    )


def draw(results, stem):
    """Per-domain test AUC of DCMI and its baselines; returns ``(what, caption)``."""
    runs = results["runs"]
    # Rows never run in this profile's results (added after a run on a
    # machine lent for it) are left out; a chunked run not finished: no figure.
    plotted = {
        row: label
        for row, label in PLOTTED[results["profile"]].items()
        if any(rows.get(row) for rows in runs.values())
    }
    if any(not rows.get(row) for rows in runs.values() for row in plotted):
        return []
    panels = {}
    for setting, rows in results["runs"].items():
        domains = list(rows[next(iter(plotted))][0]["domain_auc"])
        panels[f"{setting} labels"] = {
            domain: {
                label: [run["domain_auc"][domain] for run in rows[row]]
                for row, label in plotted.items()
            }
            for domain in domains
        }
    _plots.grouped_bars(
        figure_path(stem, "domain_auc"),
        panels,
        ylabel="test ROC-AUC",
        zero_based=False,
        legend_columns=len(plotted),
    )
    return [
        (
            "domain_auc",
            "Per-domain test ROC-AUC of DCMI and the baselines (mean ± std over "
            "seeds); training domains from the largest (books) to the smallest "
            "(kitchen)",
        )
    ]
