import pytest
import torch

from skimbtext.encoders import MLPEncoder
from skimbtext.nn import ClassifierModule, CosineLinear


def test_cosine_head_gives_cosines():
    torch.manual_seed(0)
    head = CosineLinear(4, 3)
    features = torch.randn(6, 4) * 100
    logits = head(features)
    assert logits.abs().max() <= 1 + 1e-6
    expected = torch.nn.functional.cosine_similarity(
        features.unsqueeze(1), head.weight.unsqueeze(0), dim=-1
    )
    torch.testing.assert_close(logits, expected)


def test_dropout_only_in_training():
    torch.manual_seed(0)
    module = ClassifierModule(MLPEncoder(4, ()), n_classes=2, dropout=0.5)
    x = torch.ones(8, 4)
    module.eval()
    assert torch.equal(module(features=x), module(features=x))
    module.train()
    assert not torch.equal(module(features=x), module(features=x))


def test_unknown_head_is_named():
    with pytest.raises(ValueError, match="logits must be"):
        ClassifierModule(MLPEncoder(4, ()), n_classes=2, logits="mlp")


def test_make_head_defaults_to_linear_logits_and_builds_cosine_ones():
    from skimbtext.nn import make_head

    assert type(make_head(4, 3)) is torch.nn.Linear
    head = make_head(4, 3, logits="cosine")
    assert isinstance(head, CosineLinear) and head.weight.shape == (3, 4)
