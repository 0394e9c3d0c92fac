"""Keras networks shared by all methods.

`StackedMLP` holds one independent MLP per agent with the weights of all agents
stacked along a leading agent axis, so one einsum per layer evaluates every
agent at once (one batched policy call per environment step). It also runs
functionally on explicit weights (`apply`), which meta-gradient methods (LIO,
MetaGrad) need to differentiate through an inner update θ' = θ - α g without
assigning θ' to the variables.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf


class StackedMLP(tf.keras.layers.Layer):
  """N independent MLPs (no parameter sharing) evaluated in one call.

  Input ``[B, N, input_size]`` → output ``[B, N, output_size]``. Hidden layers
  use ReLU; the output layer is linear.
  """

  def __init__(self,
               num_agents: int,
               input_size: int,
               hidden_sizes: Sequence[int],
               output_size: int,
               output_bias: bool = True,
               name: Optional[str] = None):
    """Builds the weights.

    Args:
      num_agents: N, the leading axis of every weight.
      input_size: input width.
      hidden_sizes: ReLU hidden layer widths.
      output_size: output width.
      output_bias: whether the output layer learns a bias; without one its
        bias is a frozen zero (LIO's incentive function has none).
      name: layer name.
    """
    super().__init__(name=name)
    self.num_agents = num_agents
    self.input_size = input_size
    self.hidden_sizes = tuple(hidden_sizes)
    self.output_size = output_size
    sizes = (input_size,) + self.hidden_sizes + (output_size,)
    self._layer_weights = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
      limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
      kernel = self.add_weight(
          f"kernel_{i}", (num_agents, fan_in, fan_out),
          initializer=tf.keras.initializers.RandomUniform(-limit, limit))
      last = i == len(sizes) - 2
      bias = self.add_weight(f"bias_{i}", (num_agents, fan_out),
                             initializer="zeros",
                             trainable=output_bias or not last)
      self._layer_weights += [kernel, bias]

  @property
  def layer_weights(self) -> list:
    """Variables in apply() order: kernel_0, bias_0, kernel_1, bias_1, ..."""
    return list(self._layer_weights)

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    return self.apply(inputs, self._layer_weights)

  @staticmethod
  def apply(inputs: tf.Tensor, weights: Sequence[tf.Tensor]) -> tf.Tensor:
    """Runs the stacked MLP on explicit `weights` (same order as variables)."""
    x = inputs
    num_layers = len(weights) // 2
    for i in range(num_layers):
      kernel, bias = weights[2 * i], weights[2 * i + 1]
      x = tf.einsum("bni,nio->bno", x, kernel) + bias
      if i < num_layers - 1:
        x = tf.nn.relu(x)
    return x
