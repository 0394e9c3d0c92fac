"""Central finite differences, to check gradients against."""

from typing import Any, Callable, Tuple

import numpy as np
import tensorflow as tf


def central_difference(fn: Callable[[], Any], variable: tf.Variable,
                       index: Tuple[int, ...], h: float = 1e-2) -> Any:
  """(fn() with variable[index] + h  -  fn() with it - h) / 2h.

  `fn` returns a nest of tensors; the result is the same nest of arrays.
  The variable is restored afterwards.
  """
  original = variable.numpy()
  values = []
  for sign in (1.0, -1.0):
    shifted = original.copy()
    shifted[index] += sign * h
    variable.assign(shifted)
    values.append(tf.nest.map_structure(np.asarray, fn()))
  variable.assign(original)
  return tf.nest.map_structure(lambda plus, minus: (plus - minus) / (2 * h),
                               values[0], values[1])
