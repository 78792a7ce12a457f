import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skimbtext.datasets import list_benchmarks, load_benchmark


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tiny_home(tmp_path):
    home = tmp_path / "bench"
    # Official split, with README and an extra column.
    _write(
        home / "split_ds" / "train.csv",
        'text,label,fine\n"hello, world",greeting,g1\nhow are you ?,question,q1\n'
        "bye,greeting,g2\n",
    )
    _write(
        home / "split_ds" / "test.csv",
        "text,label,fine\nwhat time is it ?,question,q2\nhi there,greeting,g1\n",
    )
    _write(home / "split_ds" / "README.md", "# Split data set\n")
    # Single file with domains, numeric-looking labels and tricky texts.
    _write(
        home / "single_ds" / "data.csv",
        "text,label,domain,rating\n"
        "great novel,1,books,5\n"
        "NA,007,dvd,3\n"
        "café crème brûlée,10,kitchen,4\n"
        "null,2,books,1\n",
    )
    # Test split only (like a test-only release).
    _write(home / "test_only" / "test.csv", "text,label\na,x\nb,y\n")
    # Not data sets: an empty folder, a folder with other files, a plain file.
    (home / "empty").mkdir()
    _write(home / "docs" / "notes.txt", "nothing here")
    _write(home / "stray.csv", "text,label\na,b\n")
    return home


def test_list_benchmarks(tiny_home):
    assert list_benchmarks(tiny_home) == ["single_ds", "split_ds", "test_only"]
    assert list_benchmarks(str(tiny_home)) == ["single_ds", "split_ds", "test_only"]


def test_split_dataset_all(tiny_home):
    bunch = load_benchmark("split_ds", data_home=tiny_home)
    frame = bunch.frame
    assert list(frame.columns) == ["text", "label", "fine", "split"]
    assert frame["split"].tolist() == ["train"] * 3 + ["test"] * 2
    pd.testing.assert_index_equal(frame.index, pd.RangeIndex(5))
    assert isinstance(bunch.data, pd.Series)
    assert bunch.data.tolist() == [
        "hello, world",
        "how are you ?",
        "bye",
        "what time is it ?",
        "hi there",
    ]
    assert isinstance(bunch.target, np.ndarray)
    assert bunch.target.tolist() == [
        "greeting",
        "question",
        "greeting",
        "question",
        "greeting",
    ]
    assert bunch.target_names.tolist() == ["greeting", "question"]
    assert bunch.domains is None
    assert bunch.DESCR == "# Split data set\n"


@pytest.mark.parametrize("subset, n_rows", [("train", 3), ("test", 2)])
def test_split_dataset_subsets(tiny_home, subset, n_rows):
    bunch = load_benchmark("split_ds", subset=subset, data_home=tiny_home)
    assert len(bunch.frame) == len(bunch.data) == len(bunch.target) == n_rows
    assert "split" not in bunch.frame.columns
    pd.testing.assert_index_equal(bunch.frame.index, pd.RangeIndex(n_rows))


def test_single_file_dataset(tiny_home):
    bunch = load_benchmark("single_ds", data_home=tiny_home)
    assert len(bunch.frame) == 4
    # Numeric-looking labels stay strings ("007" is not turned into 7).
    assert bunch.target.tolist() == ["1", "007", "10", "2"]
    assert all(isinstance(v, str) for v in bunch.target)
    assert bunch.target_names.tolist() == ["007", "1", "10", "2"]
    # Texts like "NA" / "null" are texts, not missing values; UTF-8 is decoded.
    assert bunch.data.tolist() == ["great novel", "NA", "café crème brûlée", "null"]
    assert bunch.domains.tolist() == ["books", "dvd", "kitchen", "books"]
    assert bunch.frame["rating"].tolist() == [5, 3, 4, 1]  # extra column kept
    assert bunch.DESCR == ""


def test_single_file_dataset_has_no_split(tiny_home):
    with pytest.raises(ValueError, match="no official train/test split.*subset='all'"):
        load_benchmark("single_ds", subset="train", data_home=tiny_home)


def test_test_only_dataset(tiny_home):
    assert (
        len(load_benchmark("test_only", subset="test", data_home=tiny_home).frame) == 2
    )
    bunch = load_benchmark("test_only", data_home=tiny_home)
    assert bunch.frame["split"].tolist() == ["test", "test"]
    with pytest.raises(ValueError, match="no 'train' split"):
        load_benchmark("test_only", subset="train", data_home=tiny_home)


def test_return_X_y(tiny_home):
    X, y = load_benchmark(
        "split_ds", subset="test", data_home=tiny_home, return_X_y=True
    )
    assert isinstance(X, pd.Series) and isinstance(y, np.ndarray)
    assert X.tolist() == ["what time is it ?", "hi there"]
    assert y.tolist() == ["question", "greeting"]


def test_env_var(tiny_home, monkeypatch):
    monkeypatch.setenv("SKIMBTEXT_DATA", str(tiny_home))
    assert list_benchmarks() == ["single_ds", "split_ds", "test_only"]
    assert len(load_benchmark("single_ds").frame) == 4
    # An explicit data_home wins over the environment variable.
    monkeypatch.setenv("SKIMBTEXT_DATA", str(tiny_home / "empty"))
    assert len(load_benchmark("single_ds", data_home=tiny_home).frame) == 4


def test_no_data_home_raises(monkeypatch):
    monkeypatch.delenv("SKIMBTEXT_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="data_home.*SKIMBTEXT_DATA"):
        load_benchmark("trec")
    with pytest.raises(FileNotFoundError, match="SKIMBTEXT_DATA"):
        list_benchmarks()


def test_missing_data_home_raises(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_benchmark("trec", data_home=tmp_path / "nope")
    monkeypatch.setenv("SKIMBTEXT_DATA", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="SKIMBTEXT_DATA environment variable"):
        list_benchmarks()


@pytest.mark.parametrize("name", ["trec", "empty", "docs", "../bench", "."])
def test_unknown_dataset_lists_available(tiny_home, name):
    with pytest.raises(
        ValueError, match=r"Available: \['single_ds', 'split_ds', 'test_only'\]"
    ):
        load_benchmark(name, data_home=tiny_home)


def test_invalid_subset(tiny_home):
    with pytest.raises(ValueError, match="subset must be one of"):
        load_benchmark("split_ds", subset="validation", data_home=tiny_home)


def test_missing_columns(tmp_path):
    _write(tmp_path / "bad" / "data.csv", "text,category\nhello,a\n")
    with pytest.raises(ValueError, match=r"data\.csv is missing .*\['label'\]"):
        load_benchmark("bad", data_home=tmp_path)
    _write(tmp_path / "bad2" / "train.csv", "sentence,label\nhello,a\n")
    _write(tmp_path / "bad2" / "test.csv", "text,label\nhello,a\n")
    with pytest.raises(ValueError, match=r"train\.csv is missing .*\['text'\]"):
        load_benchmark("bad2", data_home=tmp_path)


def test_empty_texts_are_reported_not_dropped(tmp_path):
    _write(tmp_path / "holes" / "data.csv", 'text,label\nfine,a\n,b\nok,a\n"   ",b\n')
    with pytest.raises(
        ValueError, match=r"2 row\(s\) with an empty or missing 'text'.*data row 1"
    ):
        load_benchmark("holes", data_home=tmp_path)


def test_missing_labels_are_reported(tmp_path):
    _write(tmp_path / "nolabel" / "data.csv", "text,label\nfine,a\nok,\n")
    with pytest.raises(ValueError, match=r"1 row\(s\) .* 'label'.*data row 1"):
        load_benchmark("nolabel", data_home=tmp_path)


def test_ambiguous_layout(tmp_path):
    _write(tmp_path / "both" / "data.csv", "text,label\na,b\n")
    _write(tmp_path / "both" / "train.csv", "text,label\na,b\n")
    with pytest.raises(ValueError, match="holds both data.csv and train.csv"):
        load_benchmark("both", data_home=tmp_path)


# --------------------------------------------------------------------------
# Real benchmark data (only when SKIMBTEXT_DATA points at it)
# --------------------------------------------------------------------------


def _real_data_home(*names):
    home = os.environ.get("SKIMBTEXT_DATA")
    if not home:
        pytest.skip("SKIMBTEXT_DATA is not set; real benchmark data unavailable")
    missing = [n for n in names if not (Path(home) / n).is_dir()]
    if missing:
        pytest.skip(f"SKIMBTEXT_DATA has no folder(s) {missing}")
    return home


@pytest.mark.slow
def test_real_benchmarks_row_counts():
    home = _real_data_home("trec", "sms_spam", "amazon_multi_domain")
    assert {"trec", "sms_spam", "amazon_multi_domain"} <= set(list_benchmarks(home))

    trec_train = load_benchmark("trec", subset="train", data_home=home)
    trec_test = load_benchmark("trec", subset="test", data_home=home)
    assert len(trec_train.frame) == 5452 and len(trec_test.frame) == 500
    assert trec_train.target_names.tolist() == [
        "ABBR",
        "DESC",
        "ENTY",
        "HUM",
        "LOC",
        "NUM",
    ]
    assert len(load_benchmark("trec", data_home=home).frame) == 5952

    sms = load_benchmark("sms_spam", data_home=home)
    assert len(sms.data) == 5574
    assert dict(zip(*np.unique(sms.target, return_counts=True))) == {
        "ham": 4827,
        "spam": 747,
    }

    amazon = load_benchmark("amazon_multi_domain", data_home=home)
    assert len(amazon.frame) == 8000
    domains, counts = np.unique(amazon.domains, return_counts=True)
    assert domains.tolist() == ["books", "dvd", "electronics", "kitchen"]
    assert counts.tolist() == [2000] * 4
