import numpy as np
import pytest
import torch

from skimbtext.encoders import (
    EncodedDataset,
    MLPEncoder,
    PadCollator,
    TransformerEncoder,
    canonical_order,
    length_order,
    load_encoder_model,
    load_tokenizer,
    resolve_encoder_source,
    tokenize,
)
from skimbtext.utils import torch_random_context


def test_minilm_resolves_to_the_bundled_weights():
    source = resolve_encoder_source("minilm")
    assert source == resolve_encoder_source("sentence-transformers/all-MiniLM-L6-v2")
    assert resolve_encoder_source("tiny-bert") == "tiny-bert", (
        "tiny-bert is built, not loaded"
    )


def test_unknown_encoder_gives_an_offline_error():
    with pytest.raises(ValueError, match="never downloads"):
        load_tokenizer("no-such-org/no-such-model")


def test_tiny_bert_is_small_reuses_minilm_vocab_and_is_seeded():
    with torch_random_context(0):
        first = load_encoder_model("tiny-bert")
    with torch_random_context(0):
        second = load_encoder_model("tiny-bert")
    assert first.config.hidden_size == 128
    assert first.config.vocab_size == load_tokenizer("minilm").vocab_size
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)


def test_tokenize_truncates_without_padding():
    tokenizer = load_tokenizer("tiny-bert")
    ids = tokenize(tokenizer, ["short", "a much longer text " * 50], max_length=16)
    assert len(ids[0]) == 3  # [CLS] short [SEP]
    assert len(ids[1]) == 16
    assert ids[1][-1] == tokenizer.sep_token_id


def test_collator_pads_to_batch_longest_and_masks():
    ids = [np.array([101, 5, 6, 102]), np.array([101, 102])]
    inputs, target = PadCollator(pad_token_id=0)(
        [
            ({"input_ids": ids[0], "sample_weight": np.float32(2)}, 1),
            ({"input_ids": ids[1], "sample_weight": np.float32(1)}, 0),
        ]
    )
    assert inputs["input_ids"].shape == (2, 4)
    assert inputs["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    assert inputs["sample_weight"].tolist() == [2.0, 1.0]
    assert target.tolist() == [1, 0]


def test_length_order_and_dataset_order():
    ids = [np.arange(5), np.arange(2), np.arange(3)]
    order = length_order(ids)
    assert order.tolist() == [1, 2, 0]
    data = EncodedDataset({"input_ids": ids}, order=order)
    assert [len(data[i][0]["input_ids"]) for i in range(3)] == [2, 3, 5]


def test_canonical_order_depends_on_contents_only():
    rng = np.random.default_rng(0)
    ids = [rng.integers(0, 50, size=n) for n in (4, 2, 4, 3, 2, 4)]
    domain = np.array([1, 0, 0, 1, 0, 1])
    fields = {"input_ids": ids, "domain": domain}
    perm = rng.permutation(len(ids))
    shuffled = {"input_ids": [ids[i] for i in perm], "domain": domain[perm]}
    order, shuffled_order = canonical_order(fields), canonical_order(shuffled)
    assert perm[shuffled_order].tolist() == order.tolist()
    # shortest sequences first, so inference batches stay short
    assert [len(ids[i]) for i in order] == sorted(len(row) for row in ids)


def test_canonical_order_of_features_ignores_row_order():
    X = np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32)
    perm = np.random.default_rng(2).permutation(30)
    order = canonical_order({"features": X})
    assert np.array_equal(X[order], X[perm][canonical_order({"features": X[perm]})])


def test_mean_pooling_ignores_padding():
    with torch_random_context(0):
        body = TransformerEncoder(
            load_encoder_model("tiny-bert"), pooling="mean"
        ).eval()
    ids = torch.tensor([[101, 2204, 3185, 102]])
    padded = torch.tensor([[101, 2204, 3185, 102, 0, 0]])
    alone = body(input_ids=ids, attention_mask=torch.ones_like(ids))
    in_batch = body(input_ids=padded, attention_mask=(padded != 0).long())
    torch.testing.assert_close(alone, in_batch, rtol=1e-5, atol=1e-5)


def test_cls_pooling_takes_first_token():
    with torch_random_context(0):
        model = load_encoder_model("tiny-bert").eval()
    ids = torch.tensor([[101, 2204, 102]])
    mask = torch.ones_like(ids)
    pooled = TransformerEncoder(model, pooling="cls")(
        input_ids=ids, attention_mask=mask
    )
    expected = model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
    torch.testing.assert_close(pooled, expected)


def test_mlp_encoder_width_and_identity():
    assert MLPEncoder(6, (4, 3)).output_dim == 3
    identity = MLPEncoder(6, ())
    x = torch.randn(2, 6)
    assert identity.output_dim == 6 and torch.equal(identity(features=x), x)


def test_collator_pads_every_view_of_token_ids():
    sample = {
        "input_ids": np.array([101, 102]),
        "aug_input_ids": np.array([101, 9, 102]),
    }
    inputs, _ = PadCollator(pad_token_id=0)([(sample, 0)])
    assert inputs["aug_input_ids"].shape == (1, 3)
    assert inputs["aug_attention_mask"].tolist() == [[1, 1, 1]]
    assert inputs["attention_mask"].tolist() == [[1, 1]]
