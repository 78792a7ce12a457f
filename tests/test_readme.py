"""The README's example runs, and prints what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)


def _scores(text):
    return {
        name.strip(): float(score)
        for name, score in re.findall(r"^(.+?)\s+macro-F1 ([0-9.]+)$", text, re.M)
    }


def test_the_readme_shows_one_example_and_its_output():
    assert len(_blocks("python")) == 1
    assert len(_scores(_blocks("text")[0])) == 3


def test_the_readme_example_prints_what_the_readme_shows():
    # In a fresh process, as a reader runs it.
    run = subprocess.run(
        [sys.executable, "-c", _blocks("python")[0]],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = _scores(run.stdout)
    shown = _scores(_blocks("text")[0])
    assert printed.keys() == shown.keys()
    # Float order differs between CPUs: the scores agree to rounding, except
    # MISO + SharpReCL, which moves within the range the README states.
    low, high = map(
        float,
        re.search(
            r"between about ([0-9.]+) and ([0-9.]+)", README.read_text()
        ).groups(),
    )
    assert low - 0.02 <= printed["MISO + SharpReCL"] <= high + 0.02
    for name in ("SMOTE + LogisticRegression", "ADASYN + LogisticRegression"):
        assert printed[name] == pytest.approx(shown[name], abs=0.02), name
