"""Suite ``miso``: MISO anchors against standard over-samplers at 1% and 5% minority.

SMS spam (spam the minority) and AG News (``Business`` the minority against the
three other topics) are split into stratified train/test pools; the training
split is made 1%- or 5%-minority by keeping ``n_majority`` majority samples (split
evenly over the majority classes) and ``n_majority / 99`` (1%) or
``n_majority / 19`` (5%) minority samples; the test split keeps the natural class
balance. Every row trains the same classifier,
``LogisticRegression(max_iter=1000)`` on frozen all-MiniLM-L6-v2 embeddings, on
the training data after: nothing, random over-sampling, SMOTE, ADASYN or MISO in
numeric mode (on the embeddings), or MISO in text mode (on the texts; the
resampled texts are then embedded).

A second table repeats every resampling before TF-IDF + the same logistic
regression, a classifier that learns its features from the resampled data.

The difficult-sample share before and after resampling, and the share of
generated samples inside the class overlap, are drawn to
``miso_<profile>_difficult_share.png`` and ``miso_<profile>_overlap.png``.
"""

import time

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

from skimbtext import TextEmbedder
from skimbtext.datasets import load_benchmark
from skimbtext.metrics import difficult_sample_mask, difficult_sample_ratio
from skimbtext.over_sampling._miso import MISOSampler

from . import _plots
from ._report import figure_path, mean_std, write

DATASETS = {"sms_spam": "spam", "ag_news": "Business"}
K_NEIGHBORS = 5
PROFILES = {
    # MISO with its defaults, sized to run on a CPU. 1,500 majority training
    # texts per data set (15 or 79 minority); the whole suite takes about 20
    # minutes on two CPU cores (max_length="auto" gives 64 tokens on both data
    # sets). Run it with OMP_NUM_THREADS=1 on shared cores: torch's thread
    # spinning there slows the small recurrent steps of MISO a hundredfold.
    "cpu": {
        "n_majority": 1500,
        "n_test": 1000,
        "miso": {},
    },
    "gpu": {
        "n_majority": 5000,
        "n_test": 2000,
        "miso": {
            "lr": 1e-4,
            "max_length": 64,
            "pretrain_epochs": 30,
            "mine_pretrain_epochs": 10,
            "adversarial_epochs": 30,
            "max_pairs": 4096,
        },
    },
}
# ``--smoke``: a tiny run that checks the suite end to end in a few minutes; it
# writes ``miso_<profile>_smoke.*``, never the results of the real profile.
SMOKE = {
    "n_majority": 600,
    "n_test": 300,
    "miso": {"pretrain_epochs": 1, "mine_pretrain_epochs": 1, "adversarial_epochs": 1},
}
MINORITY_SHARES = (0.01, 0.05)
METHODS = (
    "none",
    "random over-sampling",
    "SMOTE",
    "ADASYN",
    "MISO (numeric)",
    "MISO (text)",
)
N_EXAMPLES = 10


def _share_label(share):
    return f"{share:.0%}"


def _imbalanced_split(texts, labels, minority, n_majority, n_test, seed, share=0.01):
    """Stratified train/test split; the training split made ``share`` minority."""
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=n_test, stratify=labels, random_state=seed
    )
    rng = np.random.RandomState(seed)
    majority_classes = [c for c in np.unique(labels) if c != minority]
    n_minority = max(2, round(n_majority * share / (1 - share)))
    n_per_majority_class = n_majority // len(majority_classes)
    keep = [
        rng.choice(
            train_idx[labels[train_idx] == c],
            n_minority if c == minority else n_per_majority_class,
            replace=False,
        )
        for c in np.unique(labels)
    ]
    keep = np.sort(np.concatenate(keep))
    return keep, test_idx


def _classify(features, labels, test_features, test_labels):
    clf = LogisticRegression(max_iter=1000).fit(features, labels)
    return clf, f1_score(test_labels, clf.predict(test_features), average="macro")


def _baseline_samplers(seed):
    """imbalanced-learn's over-samplers, as every table of the suite runs them."""
    return {
        "random over-sampling": RandomOverSampler(random_state=seed),
        "SMOTE": SMOTE(k_neighbors=K_NEIGHBORS, random_state=seed),
        "ADASYN": ADASYN(n_neighbors=K_NEIGHBORS, random_state=seed),
    }


def _bag_of_words_scores(train, miso_texts, test, miso_numeric, seed):
    """Macro-F1 of TF-IDF + logistic regression trained after each resampling.

    A classifier that learns its features from the resampled data, as the
    paper's do: ``make_pipeline(TfidfVectorizer(), <sampler>,
    LogisticRegression())``, with the TF-IDF fitted once on the original
    training texts. MISO's texts are vectorised with that TF-IDF too: fitted on
    the resampled texts, the inverse document frequencies would count each
    anchor (or copy) as one more document and down-weight the minority's words.
    """
    tfidf = TfidfVectorizer().fit(train[0])
    X, y = tfidf.transform(train[0]), train[1]
    samplers = {**_baseline_samplers(seed), "MISO (numeric)": miso_numeric}
    resampled = {
        "none": (X, y),
        **{name: s.fit_resample(X, y) for name, s in samplers.items()},
        "MISO (text)": (tfidf.transform(miso_texts[0]), miso_texts[1]),
    }
    X_test = tfidf.transform(test[0])
    return {
        name: _classify(X_res, y_res, X_test, test[1])[1]
        for name, (X_res, y_res) in resampled.items()
    }


def _difficult_share(features, labels, minority):
    return difficult_sample_ratio(
        features, labels, minority_class=minority, n_neighbors=K_NEIGHBORS
    )


def _nearest_real_distance(features, generated):
    """Mean Euclidean distance of generated samples to their nearest training
    sample: do they lie on the data, as SMOTE's interpolations do?"""
    neighbours = NearestNeighbors(n_neighbors=1).fit(features)
    return float(neighbours.kneighbors(generated)[0].mean())


def _generated_in_overlap(features, labels, generated, minority):
    """Share of generated samples with another class among their k nearest
    original training samples: do the new samples land in the overlap?"""
    neighbours = NearestNeighbors(n_neighbors=K_NEIGHBORS).fit(features)
    indices = neighbours.kneighbors(generated, return_distance=False)
    return float(np.any(labels[indices] != minority, axis=1).mean())


def _run_once(texts, labels, minority, share, *, settings, seed, embedder, **miso):
    """One seed of one setting: every resampling, scored; and the MISO sampler."""
    train_idx, test_idx = _imbalanced_split(
        texts,
        labels,
        minority,
        settings["n_majority"],
        settings["n_test"],
        seed,
        share,
    )
    X_text, y = list(texts[train_idx]), labels[train_idx]
    X_test_text = list(texts[test_idx])
    X_test = embedder.transform(X_test_text)
    y_test = labels[test_idx]
    X = embedder.transform(X_text)
    # The difficult minority samples of the training set: how many of them does
    # the classifier trained after each resampling put on the minority side?
    is_difficult = difficult_sample_mask(X, y, n_neighbors=K_NEIGHBORS)
    difficult = X[(y == minority) & is_difficult]
    clf, none_f1 = _classify(X, y, X_test, y_test)
    result = {
        "seed": seed,
        "train_counts": {
            str(c): int(n) for c, n in zip(*np.unique(y, return_counts=True))
        },
        "difficult_before": _difficult_share(X, y, minority),
        "macro_f1": {"none": none_f1},
        "difficult_on_minority_side": {
            "none": float(np.mean(clf.predict(difficult) == minority))
        },
        "difficult_after": {},
        "generated_in_overlap": {},
        "nearest_real_distance": {},
    }

    def score(name, X_res, y_res):
        clf, result["macro_f1"][name] = _classify(X_res, y_res, X_test, y_test)
        result["difficult_on_minority_side"][name] = float(
            np.mean(clf.predict(difficult) == minority)
        )
        result["difficult_after"][name] = _difficult_share(X_res, y_res, minority)
        result["generated_in_overlap"][name] = _generated_in_overlap(
            X, y, X_res[len(y) :], minority
        )
        result["nearest_real_distance"][name] = _nearest_real_distance(
            X, X_res[len(y) :]
        )

    for name, sampler in _baseline_samplers(seed).items():
        score(name, *sampler.fit_resample(X, y))
    numeric = MISOSampler(
        **settings["miso"], k_neighbors=K_NEIGHBORS, random_state=seed, **miso
    )
    start = time.perf_counter()
    score("MISO (numeric)", *numeric.fit_resample(X, y))
    numeric_seconds = time.perf_counter() - start

    sampler = MISOSampler(
        **settings["miso"], k_neighbors=K_NEIGHBORS, random_state=seed, **miso
    )
    start = time.perf_counter()
    text_res, y_res = sampler.fit_resample(X_text, y)
    seconds = time.perf_counter() - start
    score("MISO (text)", embedder.transform(text_res), y_res)
    result["bag_of_words_macro_f1"] = _bag_of_words_scores(
        (X_text, y),
        (text_res, y_res),
        (X_test_text, y_test),
        MISOSampler(
            **settings["miso"], k_neighbors=K_NEIGHBORS, random_state=seed, **miso
        ),
        seed,
    )
    n_generated = sum(sampler.n_generated_.values())
    result["miso"] = {
        "fit_resample_seconds": seconds,
        "numeric_fit_resample_seconds": numeric_seconds,
        "timings": sampler.timings_,
        "n_generated": n_generated,
        "texts_per_second": n_generated / sampler.timings_["generation"],
        "difficult_share": sampler.difficult_share_,
        "n_difficult": {str(c): len(i) for c, i in sampler.difficult_indices_.items()},
        "vocabulary_size": len(sampler.vocabulary_),
        "history": [
            {k: v for k, v in epoch.items() if k != "batches"}
            for epoch in sampler.training_history_[minority]
        ],
    }
    anchors = text_res[len(X_text) :]
    examples = [
        {"source": X_text[source], "anchor": anchor}
        for source, anchor in zip(sampler.anchor_sources_, anchors)
    ][:N_EXAMPLES]
    return result, examples


def run(*, profile, seeds, data_home, cache_dir, device, smoke=False):
    settings = PROFILES[profile]
    stem = f"miso_{profile}"
    if smoke:
        settings = {
            **settings,
            **SMOKE,
            "miso": {**settings["miso"], **SMOKE["miso"]},
        }
        stem += "_smoke"
    embedder = TextEmbedder(cache_dir=cache_dir, device=device).fit(["warm-up"])
    raw = {}
    examples = {}
    for dataset, minority in DATASETS.items():
        data = load_benchmark(dataset, data_home=data_home)
        texts = np.asarray(data.data, dtype=object)
        labels = np.asarray(data.target)
        raw[dataset] = {}
        for share in MINORITY_SHARES:
            label = _share_label(share)
            raw[dataset][label] = []
            for seed in seeds:
                result, pairs = _run_once(
                    texts,
                    labels,
                    minority,
                    share,
                    settings=settings,
                    seed=seed,
                    embedder=embedder,
                    cache_dir=cache_dir,
                    device=device,
                )
                if seed == seeds[0]:
                    examples[f"{dataset} ({label} minority)"] = pairs
                raw[dataset][label].append(result)
                print(
                    f"{dataset} {label} seed {seed}: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in result["macro_f1"].items())
                    + f"; MISO {result['miso']['fit_resample_seconds']:.0f} s",
                    flush=True,
                )

    rows = []
    for dataset, by_share in raw.items():
        for label, runs in by_share.items():
            for method in METHODS:
                before = mean_std([r["difficult_before"] for r in runs])
                after = (
                    mean_std([r["difficult_after"][method] for r in runs])
                    if method != "none"
                    else before
                )
                overlap = (
                    mean_std([r["generated_in_overlap"][method] for r in runs])
                    if method != "none"
                    else "–"
                )
                distance = (
                    mean_std([r["nearest_real_distance"][method] for r in runs])
                    if method != "none"
                    else "–"
                )
                rows.append(
                    [
                        dataset,
                        label,
                        method,
                        mean_std([r["macro_f1"][method] for r in runs]),
                        mean_std(
                            [r["difficult_on_minority_side"][method] for r in runs]
                        ),
                        after,
                        overlap,
                        distance,
                    ]
                )
    notes = [
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        f"Profile `{profile}`: {settings['n_majority']} majority training texts "
        f"per data set, {settings['n_test']} test texts; MISO "
        + (f"settings `{settings['miso']}`" if settings["miso"] else "defaults")
        + " (d=64 and 8 heads as in the paper). Mean ± std "
        f"over seeds {list(seeds)}; the seed draws the split, the subsample and "
        "every sampler. The difficult-sample share is the share of minority "
        f"samples with at least one other-class sample among their {K_NEIGHBORS} "
        "nearest neighbours in the MiniLM embedding space, on the training set "
        "after resampling (generated samples count as minority; row `none`: "
        "before resampling). Any over-sampler that puts k or more samples near "
        "each minority sample drives this share to about 0, so it does not show "
        "the paper's re-embedding (which retrains the backbone; here the "
        "encoder is frozen). *Generated in overlap* tells more: the share of "
        "generated samples with another-class sample among their "
        f"{K_NEIGHBORS} nearest original training samples (anchors meant to lie "
        "outside the overlap should score low). *Difficult on minority side*: "
        "the paper measures its re-embedding by the drop of the difficult share "
        "with the retrained backbone; with a frozen encoder, the closest "
        "measure is the share of the original difficult minority samples that "
        "the classifier trained after resampling puts on the minority side "
        "(row `none`: trained without resampling). *Nearest real*: mean "
        "Euclidean distance from a generated sample to its nearest original "
        "training sample (0 for copies). MISO (numeric) resamples the "
        "embeddings, MISO (text) the texts, both with the same settings.",
        "",
        "Run with `OMP_NUM_THREADS=1` (one torch thread: on shared cores, thread "
        "spinning slows MISO's small recurrent steps many times over).",
        "",
        "| data set | minority | MISO (text) fit_resample s | embedding s | "
        "training s | generation s | texts generated | generation texts/s | "
        "vocabulary | MISO (numeric) fit_resample s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, label), runs in (
        ((dataset, label), runs)
        for dataset, by_share in raw.items()
        for label, runs in by_share.items()
    ):
        miso = [r["miso"] for r in runs]
        notes.append(
            f"| {dataset} | {label}"
            f" | {np.mean([m['fit_resample_seconds'] for m in miso]):.1f}"
            f" | {np.mean([m['timings']['embedding'] for m in miso]):.1f}"
            f" | {np.mean([m['timings']['training'] for m in miso]):.1f}"
            f" | {np.mean([m['timings']['generation'] for m in miso]):.2f}"
            f" | {np.mean([m['n_generated'] for m in miso]):.0f}"
            f" | {np.mean([m['texts_per_second'] for m in miso]):.0f}"
            f" | {np.mean([m['vocabulary_size'] for m in miso]):.0f}"
            f" | {np.mean([m['numeric_fit_resample_seconds'] for m in miso]):.1f} |"
        )
    notes += [
        "",
        "The same resamplings before a classifier that learns its features from "
        "the resampled data: `make_pipeline(TfidfVectorizer(), <sampler>, "
        "LogisticRegression(max_iter=1000))` (SMOTE, ADASYN and MISO (numeric) on "
        "the TF-IDF features; MISO (text): MISO's resampled texts above, "
        "vectorised by the TF-IDF of the original training texts, as in every "
        "other row), same splits, macro-F1:",
        "",
        "| data set | minority | " + " | ".join(METHODS) + " |",
        "|---|---|" + "---|" * len(METHODS),
    ]
    for dataset, by_share in raw.items():
        for label, runs in by_share.items():
            cells = [
                mean_std([r["bag_of_words_macro_f1"][m] for r in runs]) for m in METHODS
            ]
            notes.append(f"| {dataset} | {label} | " + " | ".join(cells) + " |")
    for setting, pairs in examples.items():
        notes += [
            "",
            f"Anchors for {setting}, seed {seeds[0]}, next to the difficult "
            "training text each was generated from:",
            "",
            "| difficult source text | MISO anchor |",
            "|---|---|",
        ]
        for pair in pairs:
            source = pair["source"].replace("|", "/")[:160]
            anchor = pair["anchor"].replace("|", "/")[:160]
            notes.append(f"| {source} | {anchor} |")
    notes.append("")
    results = {"runs": raw, "examples": examples, "settings": settings}
    return write(
        stem,
        title="MISO against over-samplers on SMS spam and AG News at 1% and 5% "
        "minority",
        notes=notes,
        columns=[
            "data set",
            "minority",
            "resampling",
            "macro-F1",
            "difficult on minority side",
            "difficult share",
            "generated in overlap",
            "nearest real",
        ],
        rows=rows,
        raw=results,
        device=device,
        figures=draw(results, stem),
    )


def draw(results, stem):
    """Difficult-sample share before/after, and generated samples in the overlap."""
    runs = results["runs"]
    difficult = {
        dataset: {
            ("before" if method == "none" else method): {
                f"{label} minority": [
                    r["difficult_before"]
                    if method == "none"
                    else r["difficult_after"][method]
                    for r in by_share[label]
                ]
                for label in by_share
            }
            for method in METHODS
        }
        for dataset, by_share in runs.items()
    }
    overlap = {
        dataset: {
            method: {
                f"{label} minority": [
                    r["generated_in_overlap"][method] for r in by_share[label]
                ]
                for label in by_share
            }
            for method in METHODS[1:]
        }
        for dataset, by_share in runs.items()
    }
    figures = {
        "difficult_share": (
            difficult,
            "share of difficult minority samples",
            "Difficult-sample share of the training set before resampling and "
            "after each over-sampler (mean ± std over seeds)",
        ),
        "overlap": (
            overlap,
            "share of generated samples in the overlap",
            "Share of generated samples with another-class sample among their "
            f"{K_NEIGHBORS} nearest original training samples (mean ± std over seeds)",
        ),
    }
    for what, (panels, ylabel, _) in figures.items():
        _plots.grouped_bars(
            figure_path(stem, what),
            panels,
            ylabel=ylabel,
            legend_columns=len(MINORITY_SHARES),
        )
    return [(what, caption) for what, (_, _, caption) in figures.items()]
