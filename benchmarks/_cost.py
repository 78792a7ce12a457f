"""Suite ``cost``: what each method costs next to plain fine-tuning.

Every measurement is repeated for each seed (the seed draws the data, the
initialisation and the batch); the tables give mean ± std over seeds.

- **Train-step time.** A step is what ``fit`` does per batch: the callbacks'
  ``on_batch_begin``, forward pass, loss, backward pass, optimiser step and
  ``on_batch_end``, here on one fixed training batch of a fitted estimator. The
  steps of all configurations of a body alternate in one run, so load changes on
  the machine hit them alike; each configuration's time is the median of its
  steps, and its ratio is taken against *plain fine-tuning* measured in the same
  run: a :class:`~skimbtext.TextClassifier` (cross-entropy, linear head) with the
  same body, batch, optimiser, learning rate and gradient clipping as the method.
  DCMI runs at M = 4, 100 and 1000 domains (binary labels, domains assigned in
  turn), next to D-AL (``DCMIClassifier(use_mask=False)``, domain head but no
  masks); SharpReCL at C = 2 and 52 classes (long-tailed labels, two views).
- **Peak memory** of the same configuration: building and fitting the estimator
  (one epoch) and two steps on the timed batch, measured in a process forked for
  that alone. CPU: growth of the peak resident set (``VmHWM``, reset through
  ``/proc/self/clear_refs``; Linux only) over the resident set at the start; GPU:
  ``torch.cuda.max_memory_allocated`` over the memory allocated at the start.
- **Inference throughput**: texts per second of ``predict`` (texts in, labels
  out) for each estimator, and rows per second of the trained head alone on
  precomputed 384-d features.
- **MISO generation**: texts per second of MISOSampler's generation stage
  (``timings_["generation"]``) on SMS spam at 1% minority, with the ``miso``
  suite's settings but one epoch per training stage (the generation speed does not
  depend on how long the generators trained).

Profile ``cpu``: one torch thread; the MLP body of the cpu suites (384-d
features → 256 hidden units, batches of 64) on random features, and MiniLM
fine-tuning (batches of 16 Amazon reviews cut to 64 tokens) for DCMI and
SharpReCL; inference with the frozen MiniLM and an MLP head, the embedding cache
off. Profile ``gpu``: the MLP body, and MiniLM fine-tuning (batches of 32 × 128
tokens) for every configuration; inference with fine-tuned MiniLM.
"""

import gc
import multiprocessing
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from skimbtext import TextClassifier
from skimbtext.classifiers._dcmi import DCMIClassifier
from skimbtext.classifiers._sharprecl import SharpReCLClassifier
from skimbtext.datasets import load_benchmark
from skimbtext.encoders import EncodedDataset
from skimbtext.over_sampling._miso import MISOSampler

from . import _miso, _plots
from ._report import figure_path, mean_std, torch_threads, write

N_FEATURES = 384
TAIL_RATIO = 50  # head/tail class ratio of the SharpReCL labels
FIT_WORDS = 8  # fits of the MiniLM configurations run on the first words only
# (method, M or C) in table order; "plain-*" are the references of the ratios.
CONFIGS_ALL = (
    ("plain-dcmi", 2),
    ("d-al", 4),
    ("dcmi", 4),
    ("d-al", 100),
    ("dcmi", 100),
    ("d-al", 1000),
    ("dcmi", 1000),
    ("plain-sharprecl", 2),
    ("sharprecl", 2),
    ("plain-sharprecl", 52),
    ("sharprecl", 52),
)
BODIES = {
    "mlp": {
        "label": "MLP body (384-d features → 256)",
        "params": {"hidden_layer_sizes": (256,), "batch_size": 64},
    },
    "minilm": {"label": "MiniLM fine-tuned", "params": {}},
}
PROFILES = {
    "cpu": {
        "bodies": {
            "mlp": {"configs": CONFIGS_ALL, "n_steps": 50, "warmup": 3},
            # MiniLM steps take seconds on a CPU: the middle and the hardest
            # setting of each method only, next to their plain references.
            "minilm": {
                "configs": (
                    ("plain-dcmi", 2),
                    ("dcmi", 100),
                    ("plain-sharprecl", 52),
                    ("sharprecl", 52),
                ),
                "n_steps": 3,
                "warmup": 1,
                "params": {"max_length": 64, "batch_size": 16},
            },
        },
        "inference": {"trainable_layers": 0, "n_fit": 512, "n_predict": 64},
    },
    "gpu": {
        "bodies": {
            "mlp": {"configs": CONFIGS_ALL, "n_steps": 50, "warmup": 3},
            "minilm": {
                "configs": CONFIGS_ALL,
                "n_steps": 20,
                "warmup": 3,
                "params": {"max_length": 128, "batch_size": 32},
            },
        },
        "inference": {"trainable_layers": None, "n_fit": 512, "n_predict": 2048},
    },
}
METHOD_NAMES = {
    "plain-dcmi": "plain (DCMI's optimiser)",
    "plain-sharprecl": "plain (SharpReCL's optimiser)",
    "dcmi": "DCMI",
    "d-al": "D-AL",
    "sharprecl": "SharpReCL",
}
# Training settings a plain reference copies from the method it is set against.
SHARED_TRAINING = ("optimizer", "weight_decay", "max_grad_norm", "lr", "dropout")


def _reference(config):
    method, size = config
    if method.startswith("plain"):
        return None
    return ("plain-sharprecl", size) if method == "sharprecl" else ("plain-dcmi", 2)


def _setting(config):
    method, size = config
    if method.startswith("plain"):
        return f"C={size}"
    return f"M={size}" if method in ("dcmi", "d-al") else f"C={size}"


def _estimator(method, params):
    if method == "dcmi":
        return DCMIClassifier(**params)
    if method == "d-al":
        return DCMIClassifier(use_mask=False, deferred_rebalancing=None, **params)
    if method == "sharprecl":
        return SharpReCLClassifier(**params)
    like = DCMIClassifier() if method == "plain-dcmi" else SharpReCLClassifier()
    shared = {name: like.get_params()[name] for name in SHARED_TRAINING}
    return TextClassifier(loss="ce", **shared, **params)


def _labels(n_samples, n_classes, rng):
    """Long-tailed labels (head/tail ratio 50) with every class present."""
    prior = float(TAIL_RATIO) ** (-np.arange(n_classes) / max(n_classes - 1, 1))
    drawn = rng.choice(n_classes, n_samples - n_classes, p=prior / prior.sum())
    return rng.permutation(np.concatenate([np.arange(n_classes), drawn]))


def _data(config, body, batch_size, seed, texts):
    """Fit data ``(X, y, fit kwargs)`` and the timed batch ``(X, y, extra)``."""
    method, size = config
    rng = np.random.RandomState(seed)
    n_domains = size if method in ("dcmi", "d-al") else None
    n_classes = 2 if n_domains else size
    # Enough samples for every domain: two each on features, one each for the
    # MiniLM fits (which run on short texts, only to build the estimator).
    n_samples = (
        max(2048, 2 * (n_domains or 0))
        if body == "mlp"
        else max(4 * batch_size, n_domains or 0)
    )
    y = _labels(n_samples, n_classes, rng)
    if body == "mlp":
        X = rng.normal(size=(n_samples, N_FEATURES)).astype(np.float32)
        X_fit, X_batch = X, X[:batch_size]
    else:
        order = rng.permutation(len(texts))[:n_samples]
        X_batch = [texts[i] for i in order[:batch_size]]
        X_fit = [" ".join(texts[i].split()[:FIT_WORDS]) for i in order]
    fit_kwargs, extra = {}, {}
    if n_domains:
        domains = np.arange(n_samples) % n_domains
        fit_kwargs["domains"], extra["domains"] = domains, domains[:batch_size]
    if method == "plain-dcmi":
        fit_kwargs, extra = {}, {}
    return (X_fit, y, fit_kwargs), (X_batch, y[:batch_size], extra)


def training_batch(clf, X, y, **extra):
    """One training mini-batch of ``clf``'s net, built as ``fit`` builds them."""
    fields, _, texts = clf._input_fields(X, fitting=False)
    fields["sample_weight"] = np.ones(len(y), dtype=np.float32)
    # SharpReCL makes its second view only when fitting; DCMI maps the domains of
    # new samples onto the fitted ones only when not fitting.
    second_view = isinstance(clf, SharpReCLClassifier)
    fields.update(clf._extra_fields(X, texts=texts, fitting=second_view, **extra))
    dataset = EncodedDataset(fields, np.searchsorted(clf.classes_, y))
    # The training iterator samples from the fitted training set; the validation
    # iterator batches and collates the same way, in order.
    return next(iter(clf.net_.get_iterator(dataset, training=False)))


def _prepare(config, body, params, seed, device, texts):
    """A fitted estimator of ``config`` and its timed batch."""
    method, _ = config
    batch_size = params["batch_size"]
    (X, y, fit_kwargs), (X_batch, y_batch, extra) = _data(
        config, body, batch_size, seed, texts
    )
    estimator = _estimator(
        method, {**params, "max_epochs": 1, "device": device, "random_state": seed}
    )
    estimator.fit(X, y, **fit_kwargs)
    return estimator, training_batch(estimator, X_batch, y_batch, **extra)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _step(clf, batch):
    net = clf.net_
    net.notify("on_batch_begin", batch=batch, training=True)
    net.train_step(batch)
    net.notify("on_batch_end", batch=batch, training=True)


def median_step_seconds(fitted, n_steps, *, warmup=3, device="cpu"):
    """Median seconds of a training step of each ``(estimator, batch)`` pair.

    Steps of the estimators alternate, so load changes on the machine hit all of
    them alike.
    """
    timings = [[] for _ in fitted]
    for step in range(warmup + n_steps):
        for k, (clf, batch) in enumerate(fitted):
            _sync(device)
            start = time.perf_counter()
            _step(clf, batch)
            _sync(device)
            if step >= warmup:
                timings[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in timings]


# --------------------------------------------------------------------- memory

_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _peak_bytes(function, device):
    """Extra memory at the peak of ``function()``, in this process."""
    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated()
        function()
        return torch.cuda.max_memory_allocated() - start
    _CLEAR_REFS.write_text("5")  # resets VmHWM to the current resident set
    start = _status_kib("VmRSS")
    function()
    return 1024 * (_status_kib("VmHWM") - start)


def _child(connection, function, args):
    try:
        connection.send(("ok", function(*args)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _in_fork(function, *args):
    """``function(*args)`` in a forked process, so its memory is its own."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, args))
    process.start()
    sender.close()
    status, value = receiver.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(f"memory measurement failed in the child: {value}")
    return value


def _config_peak_bytes(config, body, params, seed, device, texts):
    def fit_and_step():
        clf, batch = _prepare(config, body, params, seed, device, texts)
        for _ in range(2):
            _step(clf, batch)

    return _peak_bytes(fit_and_step, device)


def peak_memory(config, body, params, seed, device, texts):
    """Peak extra bytes of fitting ``config`` and two steps; None if unmeasurable."""
    if torch.device(device).type == "cuda":
        return _config_peak_bytes(config, body, params, seed, device, texts)
    if not _CLEAR_REFS.exists():
        return None
    return _in_fork(_config_peak_bytes, config, body, params, seed, device, texts)


# ------------------------------------------------------------------ the parts


def _train_steps(profile, seeds, device, texts):
    """Per body and configuration: step ms and peak memory of every seed."""
    results = {}
    for body, spec in PROFILES[profile]["bodies"].items():
        params = {**BODIES[body]["params"], **spec.get("params", {})}
        per_config = {
            config: {"step_ms": [], "peak_mb": []} for config in spec["configs"]
        }
        # Fit each estimator class once here first: the one-off initialisation
        # of the first fit (lazy imports, about 90 MB) then stays out of the
        # memory measured in the forked children.
        warm = {
            _estimator(method, {}).__class__: (method, size)
            for method, size in spec["configs"]
        }
        for config in warm.values():
            _prepare(config, body, params, seeds[0], device, texts)
        for seed in seeds:
            for config in spec["configs"]:
                peak = peak_memory(config, body, params, seed, device, texts)
                per_config[config]["peak_mb"].append(
                    None if peak is None else peak / 2**20
                )
            fitted = [
                _prepare(config, body, params, seed, device, texts)
                for config in spec["configs"]
            ]
            seconds = median_step_seconds(
                fitted, spec["n_steps"], warmup=spec["warmup"], device=device
            )
            for config, step in zip(spec["configs"], seconds):
                per_config[config]["step_ms"].append(1000 * step)
            print(
                f"cost {body} seed {seed}: "
                + ", ".join(
                    f"{method}/{size} {1000 * s:.1f} ms"
                    for (method, size), s in zip(spec["configs"], seconds)
                ),
                flush=True,
            )
        rows = []
        for config, measured in per_config.items():
            reference = _reference(config)
            row = {
                "method": config[0],
                "size": config[1],
                "reference": None if reference is None else list(reference),
                **measured,
            }
            if reference is not None:
                base = per_config[reference]
                row["step_ratio"] = list(
                    np.divide(measured["step_ms"], base["step_ms"])
                )
                if None not in measured["peak_mb"] + base["peak_mb"]:
                    row["memory_ratio"] = list(
                        np.divide(measured["peak_mb"], base["peak_mb"])
                    )
            rows.append(row)
        results[body] = {
            "params": {
                k: list(v) if isinstance(v, tuple) else v for k, v in params.items()
            },
            "n_steps": spec["n_steps"],
            "warmup": spec["warmup"],
            "configs": rows,
        }
    return results


def _inference(profile, seeds, device, bunch, cache_dir):
    """Texts/s of ``predict`` per estimator, and rows/s of the head alone."""
    spec = PROFILES[profile]["inference"]
    n_fit, n_predict = spec["n_fit"], spec["n_predict"]
    texts = list(bunch.data)
    estimators = {
        "TextClassifier": TextClassifier,
        "DCMIClassifier": DCMIClassifier,
        "SharpReCLClassifier": SharpReCLClassifier,
    }
    results = {name: {"texts_per_s": [], "rows_per_s": []} for name in estimators}
    for seed in seeds:
        order = np.random.RandomState(seed).permutation(len(texts))
        fit_idx, predict_idx = order[:n_fit], order[n_fit : n_fit + n_predict]
        X_fit = [texts[i] for i in fit_idx]
        X_predict = [texts[i] for i in predict_idx]
        features = np.random.RandomState(seed).normal(size=(n_fit, N_FEATURES))
        many_rows = np.random.RandomState(seed).normal(size=(20000, N_FEATURES))
        for name, estimator in estimators.items():
            common = {"device": device, "random_state": seed, "max_epochs": 2}
            domain_kwargs = name == "DCMIClassifier"

            def timed_predict(clf, X, rows):
                kwargs = {"domains": bunch.domains[rows]} if domain_kwargs else {}
                _sync(device)
                start = time.perf_counter()
                clf.predict(X, **kwargs)
                _sync(device)
                return len(X) / (time.perf_counter() - start)

            def fit(clf, X, rows):
                kwargs = {"domains": bunch.domains[rows]} if domain_kwargs else {}
                return clf.fit(X, bunch.target[rows], **kwargs)

            clf = fit(
                estimator(
                    trainable_layers=spec["trainable_layers"],
                    cache_dir=cache_dir,
                    **common,
                ),
                X_fit,
                fit_idx,
            )
            if spec["trainable_layers"] == 0:
                # The fit read the cached embeddings; predict encodes from scratch.
                clf.embedder_.set_params(cache_dir=None)
            results[name]["texts_per_s"].append(
                timed_predict(clf, X_predict, predict_idx)
            )
            head = fit(estimator(**common), features, fit_idx)
            row_idx = np.arange(len(many_rows)) % len(texts)
            results[name]["rows_per_s"].append(timed_predict(head, many_rows, row_idx))
        print(
            f"cost inference seed {seed}: "
            + ", ".join(
                f"{n} {r['texts_per_s'][-1]:.0f}/s" for n, r in results.items()
            ),
            flush=True,
        )
    return {"n_fit": n_fit, "n_predict": n_predict, **spec, "estimators": results}


def _miso_generation(profile, seeds, device, data_home, cache_dir):
    """Texts/s of MISO's generation stage on SMS spam at 1% minority."""
    settings = _miso.PROFILES[profile]
    params = {
        name: 1 if name.endswith("_epochs") else value
        for name, value in settings["miso"].items()
    }
    dataset, minority = "sms_spam", _miso.DATASETS["sms_spam"]
    data = load_benchmark(dataset, data_home=data_home)
    texts = np.asarray(data.data, dtype=object)
    labels = np.asarray(data.target)
    runs = []
    for seed in seeds:
        train_idx, _ = _miso._imbalanced_split(
            texts, labels, minority, settings["n_majority"], settings["n_test"], seed
        )
        sampler = MISOSampler(
            **params,
            k_neighbors=_miso.K_NEIGHBORS,
            cache_dir=cache_dir,
            device=device,
            random_state=seed,
        )
        sampler.fit_resample(list(texts[train_idx]), labels[train_idx])
        n_generated = sum(sampler.n_generated_.values())
        runs.append(
            {
                "seed": seed,
                "n_generated": n_generated,
                "generation_seconds": sampler.timings_["generation"],
                "texts_per_s": n_generated / sampler.timings_["generation"],
            }
        )
        print(f"cost MISO seed {seed}: {runs[-1]}", flush=True)
    return {"dataset": dataset, "settings": params, "runs": runs}


# ----------------------------------------------------------------------- run


def run(*, profile, seeds, data_home, cache_dir, device):
    """Run the suite and write ``results/cost_<profile>.md`` / ``.json``."""
    on_cpu = torch.device(device).type == "cpu"
    # One intra-op thread on CPU, as the other suites (shared cores).
    with torch_threads(1 if on_cpu else torch.get_num_threads()):
        start = time.perf_counter()
        reviews = load_benchmark("amazon_multi_domain", data_home=data_home)
        texts = list(reviews.data)
        results = {
            "profile": profile,
            "seeds": list(seeds),
            "torch_threads": torch.get_num_threads(),
            "train_steps": _train_steps(profile, seeds, device, texts),
            "inference": _inference(profile, seeds, device, reviews, cache_dir),
            "miso_generation": _miso_generation(
                profile, seeds, device, data_home, cache_dir
            ),
        }
        results["seconds"] = time.perf_counter() - start
    return _write(results, device)


def _cell(values, digits=2, suffix=""):
    if not values or None in values:
        return "–"
    return mean_std(values, digits, suffix)


def _write(results, device):
    profile = results["profile"]
    rows = []
    for body, part in results["train_steps"].items():
        for row in part["configs"]:
            rows.append(
                [
                    BODIES[body]["label"],
                    METHOD_NAMES[row["method"]],
                    _setting((row["method"], row["size"])),
                    _cell(row["step_ms"]),
                    _cell(row.get("step_ratio"), suffix="×"),
                    _cell(row["peak_mb"], 1),
                    _cell(row.get("memory_ratio"), suffix="×"),
                ]
            )
    inference = results["inference"]
    miso = results["miso_generation"]
    encoder = (
        "frozen MiniLM (embedding cache off) + MLP head"
        if inference["trainable_layers"] == 0
        else "fine-tuned MiniLM"
    )
    notes = [
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        f"Profile `{profile}`; torch ran with {results['torch_threads']} thread(s); "
        f"seeds {results['seeds']}; the suite took {results['seconds']:.0f} s. "
        "Batches: "
        + "; ".join(
            f"{BODIES[body]['label']}: {part['params']['batch_size']} samples"
            + (
                f" × {part['params']['max_length']} tokens"
                if "max_length" in part["params"]
                else ""
            )
            + f", median of {part['n_steps']} steps after {part['warmup']} warm-up"
            for body, part in results["train_steps"].items()
        )
        + ". The MiniLM fits that make the estimators run on the first "
        f"{FIT_WORDS} words of each review (only the timed batch is full length).",
        "",
        "Inference throughput (mean ± std over seeds): `predict` on "
        f"{inference['n_predict']} Amazon reviews (at most 128 tokens) with "
        f"{encoder}, fitted on {inference['n_fit']} reviews; and the head alone "
        "(the same estimator fitted on 384-d features) on 20,000 feature rows.",
        "",
        "| estimator | texts/s | head only: rows/s |",
        "|---|---|---|",
        *[
            f"| {name} | {_cell(r['texts_per_s'], 1)} | {_cell(r['rows_per_s'], 0)} |"
            for name, r in inference["estimators"].items()
        ],
        "",
        f"MISO generation on {miso['dataset']} at 1% minority (settings "
        f"`{miso['settings']}`): "
        f"{_cell([r['n_generated'] for r in miso['runs']], 0)} texts generated in "
        f"{_cell([r['generation_seconds'] for r in miso['runs']])} s, "
        f"{_cell([r['texts_per_s'] for r in miso['runs']], 0)} texts/s.",
        "",
        "Train-step time and peak memory; ratios against plain fine-tuning of the "
        "same body (DCMI and D-AL: the binary plain classifier with DCMI's "
        "optimiser; SharpReCL: the plain classifier with as many classes and "
        "SharpReCL's optimiser), the mean of the per-seed ratios. Peak memory "
        "counts everything the fit and the two steps add to a fresh process: "
        "for the MLP body that is mostly a fixed cost (the plain rows), so the "
        "differences between rows say more than the ratios; for MiniLM it "
        "includes the weights, gradients and optimiser state.",
    ]
    stem = f"cost_{profile}"
    return write(
        stem,
        title="Cost: train steps, memory, inference and generation speed",
        notes=notes,
        columns=[
            "body",
            "method",
            "setting",
            "step ms",
            "step / plain",
            "peak MB",
            "memory / plain",
        ],
        rows=rows,
        raw=results,
        device=device,
        figures=draw(results, stem),
    )


def draw(results, stem):
    """Step-time and memory ratios against plain fine-tuning."""
    panels = {}
    for body, part in results["train_steps"].items():
        groups = {}
        for row in part["configs"]:
            if row.get("step_ratio") is None:
                continue
            setting = _setting((row["method"], row["size"]))
            name = f"{METHOD_NAMES[row['method']]}\n{setting}"
            groups[name] = {"step time": row["step_ratio"]}
            if row.get("memory_ratio") is not None:
                groups[name]["peak memory"] = row["memory_ratio"]
        panels[BODIES[body]["label"]] = groups
    _plots.grouped_bars(
        figure_path(stem, "ratios"),
        panels,
        ylabel="ratio to plain fine-tuning",
        reference=1.0,
        legend_columns=2,
    )
    return [
        (
            "ratios",
            "Train-step time and peak memory relative to plain fine-tuning of the "
            "same body (mean ± std over seeds; the line marks 1)",
        )
    ]
