"""Recurrent networks and BPTT: kept importable here; the code lives in :mod:`bplab.nn.recurrent`.

(``clip_grad_norm_`` and ``clip_grad_value_``, which live in :mod:`bplab.nn.clip`, are still
importable from here, as before.)
"""

from bplab.nn.clip import clip_grad_norm_, clip_grad_value_
from bplab.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, State, stack, stack_primitive

__all__ = [
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "stack", "stack_primitive", "State",
    "clip_grad_norm_", "clip_grad_value_",
]
