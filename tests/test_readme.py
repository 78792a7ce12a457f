"""The README's example runs, and prints what the README says it prints."""

import re
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


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_readme_example_prints_what_the_readme_shows(capsys):
    exec(compile(_blocks("python")[0], str(README), "exec"), {})
    printed = _scores(capsys.readouterr().out)
    shown = _scores(_blocks("text")[0])
    assert printed.keys() == shown.keys()
    # Float order differs between CPUs: the scores agree to rounding.
    for name, score in shown.items():
        assert printed[name] == pytest.approx(score, abs=0.02), name
