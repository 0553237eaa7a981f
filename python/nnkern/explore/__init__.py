"""``nnkern.explore``: pictures of what a layer does.

- ``explore.layer(layer, x)``: input, weights and output of one layer side by side as annotated grids
  (for convolutions and pooling, ``cell=`` outlines what makes one output cell; LSTM: gates and
  states over time; attention: the scores per head);
- ``explore.model(model, x)``: every layer's output for one sample, in graph order.

Both return a matplotlib Figure (matplotlib is the ``plot`` extra) and write it with ``to_file=``.
"""
from nnkern.explore.layer_view import layer
from nnkern.explore.model_view import model

__all__ = ["layer", "model"]
