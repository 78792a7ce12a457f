import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skimbtext.utils import check_texts, input_kind


@pytest.mark.parametrize(
    "X, kind",
    [
        (["a", "b"], "text"),
        (("a", "b"), "text"),
        (np.array(["a", "b"]), "text"),
        (np.array([["a"], ["b"]], dtype=object), "text"),
        (pd.Series(["a", "b"]), "text"),
        (pd.DataFrame({"text": ["a", "b"]}), "text"),
        (np.zeros((2, 3)), "numeric"),
        ([[0.0, 1.0], [1.0, 0.0]], "numeric"),
        (pd.DataFrame({"x": [0.0, 1.0], "z": [1, 2]}), "numeric"),
        (sp.csr_matrix(np.eye(2)), "numeric"),
    ],
)
def test_input_kind(X, kind):
    assert input_kind(X) == kind


def test_input_kind_dataframe_needs_text_col_with_several_text_columns():
    frame = pd.DataFrame({"text": ["a", "b"], "domain": ["x", "y"]})
    with pytest.raises(ValueError, match="set text_col"):
        input_kind(frame)
    assert input_kind(frame, text_col="text") == "text"
    with pytest.raises(ValueError, match="'body' is not a column"):
        input_kind(frame, text_col="body")


def test_input_kind_rejects_single_string_and_misplaced_text_col():
    with pytest.raises(ValueError, match="single string"):
        input_kind("one text")
    with pytest.raises(ValueError, match="not a pandas DataFrame"):
        input_kind(["a"], text_col="text")


def test_check_texts_returns_list_of_str_and_keeps_empty_strings():
    texts = check_texts(pd.DataFrame({"t": ["x", ""], "d": [1, 2]}), text_col="t")
    assert texts == ["x", ""]


@pytest.mark.parametrize(
    "X, message",
    [
        (["ok", None], "missing text \\(None\\) at position 1"),
        (["ok", float("nan")], "missing text \\(nan\\) at position 1"),
        ([b"bytes"], "bytes at position 0"),
        (["ok", 3], "position 1 is int"),
        ([], "holds 0 texts"),
        (np.zeros((2, 2), dtype=object), "1-D collection"),
    ],
)
def test_check_texts_names_the_problem(X, message):
    with pytest.raises(ValueError, match=message):
        check_texts(X)
