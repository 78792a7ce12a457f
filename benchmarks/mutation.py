"""Mutation scores per module from a ``mutmut run``, as a Markdown report.

``make mutation`` runs mutmut over the modules named in ``[tool.mutmut]`` of
``pyproject.toml`` and then this module, which reads the verdicts mutmut keeps
next to the mutated copies (``mutants/**/*.py.meta``) and writes
``benchmarks/results/mutation.md``: per module, the mutants killed, surviving,
timed out, without a covering test and not checked yet, and the score, killed
(timeouts included) over all checked mutants. Surviving mutants judged
equivalent are listed in ``EQUIVALENT`` with one line of reason and leave the
denominator.

Run with ``python -m benchmarks.mutation [--mutants DIR]``.
"""

import argparse
import json
from collections import Counter
from pathlib import Path

from ._report import RESULTS

# mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped.
KILLED = {1, 3, 24, -24, 36, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}

#: Surviving mutants that cannot change behaviour: mutant name -> reason.
EQUIVALENT = {}

COMMAND = "make mutation"


def collect(mutants_dir):
    """``{module: Counter(status)}`` and the surviving mutant names."""
    counts, survivors = {}, []
    for meta in sorted(Path(mutants_dir).rglob("*.py.meta")):
        module = str(meta.relative_to(mutants_dir)).removesuffix(".meta")
        verdicts = json.loads(meta.read_text()).get("exit_code_by_key", {})
        if not verdicts:
            continue
        tally = counts.setdefault(module, Counter())
        for name, code in verdicts.items():
            if code is None:
                tally["not checked"] += 1
            elif code in KILLED:
                tally["killed"] += 1
            elif code in SURVIVED:
                if name in EQUIVALENT:
                    tally["equivalent"] += 1
                else:
                    tally["survived"] += 1
                    survivors.append(name)
            elif code in NO_TESTS:
                tally["no tests"] += 1
            else:
                tally["other"] += 1
    return counts, survivors


def score(tally):
    """Killed over killed + survived + no tests (equivalent ones excluded)."""
    checked = tally["killed"] + tally["survived"] + tally["no tests"]
    return tally["killed"] / checked if checked else float("nan")


def report(counts, survivors):
    columns = ["killed", "survived", "no tests", "equivalent", "not checked"]
    lines = [
        "# Mutation testing",
        "",
        f"Command: `{COMMAND}` (mutmut over the modules in `[tool.mutmut]` of "
        "`pyproject.toml`; each mutant runs the tests that cover the mutated "
        "function). Score: killed / (killed + survived + no tests); mutants "
        "judged equivalent are listed below with their reason and left out; "
        "*not checked* counts mutants the run had not reached.",
        "",
        "| module | " + " | ".join(columns) + " | score |",
        "|---|" + "---|" * (len(columns) + 1),
    ]
    for module, tally in sorted(counts.items()):
        cells = " | ".join(str(tally[column]) for column in columns)
        lines.append(f"| {module} | {cells} | {score(tally):.0%} |")
    lines += ["", "## Equivalent mutants", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in EQUIVALENT.items()] or [
        "None listed."
    ]
    lines += ["", f"## Surviving mutants ({len(survivors)})", ""]
    lines += [f"- `{name}`" for name in survivors]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", default="mutants", type=Path)
    args = parser.parse_args(argv)
    counts, survivors = collect(args.mutants)
    path = RESULTS / "mutation.md"
    path.write_text(report(counts, survivors))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
