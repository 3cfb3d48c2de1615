"""Naming the default initialization by its function or by its string gives the same layer."""

import numpy as np

from bplab import init, nn


def test_pytorch_default_as_a_function_or_a_string():
    by_name = nn.Linear(2, 3, init="pytorch_default", seed=0)
    by_function = nn.Linear(2, 3, init=init.pytorch_default, seed=0)
    assert np.array_equal(by_name.bias.data, by_function.bias.data) and np.any(by_function.bias.data != 0)
