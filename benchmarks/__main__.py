"""Command line: ``python -m benchmarks [--suite NAME ...] --profile cpu|gpu``."""

import argparse
import inspect
import json
import os
from pathlib import Path

from skimbtext.utils import resolve_device

from . import _baselines, _cost, _dcmi, _defaults, _finetune, _miso, _sharprecl
from ._report import RESULTS

SUITES = {
    "baselines": _baselines,
    "cost": _cost,
    "dcmi": _dcmi,
    "defaults": _defaults,
    "finetune": _finetune,
    "miso": _miso,
    "sharprecl": _sharprecl,
}


def replot(suite, profile):
    """Redraw a suite's figures from its ``results/<suite>_<profile>.json``."""
    stem = f"{suite}_{profile}"
    draw = getattr(SUITES[suite], "draw", None)
    if draw is None:
        return []
    results = json.loads((RESULTS / f"{stem}.json").read_text())["results"]
    return draw(results, stem)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--suite", nargs="+", choices=sorted(SUITES), default=sorted(SUITES)
    )
    parser.add_argument(
        "--profile", choices=("cpu", "cpu-finetune", "gpu"), default="cpu"
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--data-home",
        default=os.environ.get("SKIMBTEXT_DATA"),
        help="benchmark data directory (default: $SKIMBTEXT_DATA)",
    )
    parser.add_argument(
        "--cache-dir",
        default=str(Path(__file__).parent / ".cache"),
        help="embedding cache directory",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="only redraw the figures of the suites from their saved JSON results",
    )
    # A tiny end-to-end check of a suite (written apart from its results); only
    # suites whose ``run`` takes ``smoke`` have one.
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    # Suites run in chunks (profile cpu-finetune): report the stored fits only.
    parser.add_argument(
        "--stored-only",
        action="store_true",
        help="fit nothing new: write the report from the fits stored so far",
    )
    args = parser.parse_args(argv)
    for suite in args.suite:
        profiles = getattr(SUITES[suite], "PROFILES", ("cpu", "gpu"))
        if args.profile not in profiles:
            parser.error(f"suite {suite} has no profile {args.profile}")
    extra = {}
    for flag, wanted in (("smoke", args.smoke), ("stored_only", args.stored_only)):
        if not wanted:
            continue
        lacking = [
            suite
            for suite in args.suite
            if flag not in inspect.signature(SUITES[suite].run).parameters
        ]
        if lacking:
            option = "--" + flag.replace("_", "-")
            parser.error(f"{option} is not available for {', '.join(lacking)}")
        extra[flag] = True
    if args.replot:
        for suite in args.suite:
            for what, _ in replot(suite, args.profile):
                print(f"drew {RESULTS / f'{suite}_{args.profile}_{what}.png'}")
        return
    if args.data_home is None:
        parser.error("set --data-home or the SKIMBTEXT_DATA environment variable")
    device = resolve_device(args.device)
    for suite in args.suite:
        path = SUITES[suite].run(
            profile=args.profile,
            seeds=args.seeds,
            data_home=args.data_home,
            cache_dir=args.cache_dir,
            device=device,
            **extra,
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
