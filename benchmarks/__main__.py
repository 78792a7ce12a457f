"""Command line: ``python -m benchmarks [--suite NAME ...] --profile cpu|gpu``."""

import argparse
import os
from pathlib import Path

from skimbtext.utils import resolve_device

from . import _baselines, _dcmi, _miso, _sharprecl

SUITES = {
    "baselines": _baselines.run,
    "dcmi": _dcmi.run,
    "miso": _miso.run,
    "sharprecl": _sharprecl.run,
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--suite", nargs="+", choices=sorted(SUITES), default=sorted(SUITES)
    )
    parser.add_argument("--profile", choices=("cpu", "gpu"), default="cpu")
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
    args = parser.parse_args(argv)
    if args.data_home is None:
        parser.error("set --data-home or the SKIMBTEXT_DATA environment variable")
    device = resolve_device(args.device)
    for suite in args.suite:
        path = SUITES[suite](
            profile=args.profile,
            seeds=args.seeds,
            data_home=args.data_home,
            cache_dir=args.cache_dir,
            device=device,
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
