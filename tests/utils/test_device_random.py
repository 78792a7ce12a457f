import pytest
import torch

from skimbtext.utils import draw_seed, resolve_device, torch_random_context


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="not a device"):
        resolve_device("gpu-please")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_resolve_device_refuses_missing_cuda():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


def test_torch_random_context_is_repeatable_and_restores_global_state():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    with torch_random_context(draw_seed(0)):
        first = torch.rand(3)
    after = torch.rand(3)
    with torch_random_context(draw_seed(0)):
        second = torch.rand(3)
    assert torch.equal(first, second)
    # The caller's generator continues as if the block never ran.
    assert torch.equal(after, expected_next)
