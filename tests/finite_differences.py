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


def assert_incentive_gradients(agent, experience, num_givers: int) -> None:
  """Checks LIO-style per-giver gradients against central differences.

  `agent.incentive_objectives(experience)` returns per-giver losses and
  costs ``[N]``; giver i's gradient w.r.t. its own slice of each incentive
  variable (leading axis i) must match the finite difference of its own
  loss and cost, at one random entry per variable and giver.
  """
  from mmagents.core import meta  # pylint: disable=g-import-not-at-top
  variables = agent.incentive_net.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    loss, cost = agent.incentive_objectives(experience)
    per_giver = tf.unstack(loss)
    total_cost = tf.reduce_sum(cost)
  grads = meta.per_owner_gradients(tape, per_giver, variables)
  cost_grads = tape.gradient(total_cost, variables)
  largest = max(float(tf.reduce_max(tf.abs(g))) for g in grads)
  assert largest > 1e-3, f"incentive gradients vanish ({largest})"
  rng = np.random.default_rng(0)
  for k, variable in enumerate(variables):
    for giver in range(num_givers):
      index = (giver,) + tuple(rng.integers(0, s) for s in variable.shape[1:])
      fd_loss, fd_cost = central_difference(
          lambda: agent.incentive_objectives(experience), variable, index)
      np.testing.assert_allclose(grads[k].numpy()[index], fd_loss[giver],
                                 rtol=5e-2, atol=5e-3,
                                 err_msg=f"loss, variable {k}, {index}")
      np.testing.assert_allclose(cost_grads[k].numpy()[index],
                                 fd_cost[giver], rtol=5e-2, atol=5e-3,
                                 err_msg=f"cost, variable {k}, {index}")
