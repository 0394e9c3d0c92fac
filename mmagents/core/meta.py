"""Differentiable inner updates for meta-gradient methods (LIO, MetaGrad).

An inner update θ' = θ - lr ∇_θ L(θ, η) must keep its dependence on the outer
parameters η, so the outer loss J(θ'(η)) can be differentiated w.r.t. η. Here
θ' is a list of tensors computed inside the caller's outer `GradientTape`;
networks then run functionally on θ' (e.g. `StackedMLP.apply`). Assigning θ'
to the variables would cut the gradient, so nothing here assigns.
"""

from __future__ import annotations

from typing import Callable, List, Sequence

import tensorflow as tf

Weights = Sequence[tf.Tensor]


def sgd_step(weights: Weights, gradients: Weights,
             learning_rate: float) -> List[tf.Tensor]:
  """θ - lr·g for each weight (a missing gradient leaves the weight as is)."""
  return [w if g is None else w - learning_rate * g
          for w, g in zip(weights, gradients)]


def differentiable_sgd_step(loss_fn: Callable[[Weights], tf.Tensor],
                            weights: Weights,
                            learning_rate: float) -> List[tf.Tensor]:
  """One plain SGD step on `loss_fn`, differentiable w.r.t. what it reads.

  Call it under an outer `GradientTape` that watches the outer parameters
  (incentive functions, a designer): the inner gradient is recorded by that
  tape, so the returned weights carry second-order dependence on them.

  Args:
    loss_fn: inner loss as a function of the weights (run functionally).
    weights: current weights (variables or tensors), in `loss_fn`'s order.
    learning_rate: inner SGD step size.

  Returns:
    The updated weights as tensors.
  """
  tensors = [tf.convert_to_tensor(w) for w in weights]
  with tf.GradientTape() as inner:
    inner.watch(tensors)
    loss = loss_fn(tensors)
  return sgd_step(tensors, inner.gradient(loss, tensors), learning_rate)


def per_owner_gradients(tape: tf.GradientTape, losses: Sequence[tf.Tensor],
                        stacked_variables: Sequence[tf.Variable]
                        ) -> List[tf.Tensor]:
  """Gradient of loss i w.r.t. owner i's slice of agent-stacked variables.

  With N owners stacked along axis 0 (`StackedMLP`), owner i optimizes only
  its own objective ``losses[i]``: the result's slice i is
  ∂ losses[i] / ∂ variables[i]. Other owners' losses, which may also depend
  on owner i's parameters (three or more agents), do not leak in. `tape`
  must be persistent and must have recorded each ``losses[i]`` itself (split
  a loss vector with `tf.unstack` inside the tape's context).
  """
  per_owner = [tape.gradient(loss, stacked_variables) for loss in losses]
  result = []
  for k, variable in enumerate(stacked_variables):
    slices = [tf.zeros_like(variable[i]) if grads[k] is None else grads[k][i]
              for i, grads in enumerate(per_owner)]
    result.append(tf.stack(slices, axis=0))
  return result
