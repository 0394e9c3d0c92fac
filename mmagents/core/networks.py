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


class TargetTracking:
  """Target-network updates for a Keras layer or model (a mixin)."""

  def copy_weights_from(self, other) -> None:
    """θ ← θ_other, weight by weight in creation order."""
    for target, source in zip(self.weights, other.weights):
      target.assign(source)

  def soft_update_from(self, other, tau: float) -> None:
    """θ ← τ θ_other + (1 − τ) θ, the soft target-network update."""
    for target, source in zip(self.weights, other.weights):
      target.assign(tau * source + (1.0 - tau) * target)


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

  def apply_weights(self, inputs: tf.Tensor,
                    weights: Sequence[tf.Tensor]) -> tf.Tensor:
    """`apply` as a method, the interface every stacked network offers."""
    return self.apply(inputs, weights)

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


class StackedConvMLP(tf.keras.layers.Layer):
  """Per agent: one convolution (valid padding, stride 1, ReLU), flattened,
  then an MLP; N agents evaluated in one call.

  Input ``[B, N, H * W * C + side_size]``: a flattened image (as
  `AgentLayout` stacks them) and, with ``side_size``, a vector that joins
  after the first hidden layer (LIO's incentive function: which others
  cleaned; inequity aversion: smoothed rewards). Output ``[B, N, output_size]``. The
  convolution is an einsum over image patches, so the network runs on
  explicit weights like `StackedMLP` and can be differentiated through an
  inner update. With ``shared`` all agents use one set of weights.
  """

  def __init__(self,
               num_agents: int,
               image_shape: Sequence[int],
               filters: int,
               kernel_size: int,
               hidden_sizes: Sequence[int],
               output_size: int,
               side_size: int = 0,
               output_bias: bool = True,
               shared: bool = False,
               name: Optional[str] = None):
    super().__init__(name=name)
    height, width, channels = (int(d) for d in image_shape)
    if min(height, width) < kernel_size:
      raise ValueError(f"image {tuple(image_shape)} is smaller than the "
                       f"{kernel_size}x{kernel_size} kernel")
    if side_size and not hidden_sizes:
      raise ValueError("a side input needs at least one hidden layer")
    self.num_agents = num_agents
    self.output_size = output_size
    self.image_shape = (height, width, channels)
    self.kernel_size = int(kernel_size)
    self.filters = int(filters)
    self.side_size = int(side_size)
    self.shared = shared
    self._out_cells = (height - kernel_size + 1) * (width - kernel_size + 1)
    copies = 1 if shared else num_agents
    patch = kernel_size * kernel_size * channels
    self._layer_weights = self._dense_weights(copies, patch, filters,
                                              "conv", True)
    sizes = ((self._out_cells * filters,) + tuple(hidden_sizes)
             + (output_size,))
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
      last = i == len(sizes) - 2
      self._layer_weights += self._dense_weights(
          copies, fan_in + (self.side_size if i == 1 else 0), fan_out,
          f"dense_{i}", output_bias or not last)

  def _dense_weights(self, copies: int, fan_in: int, fan_out: int,
                     name: str, trainable_bias: bool) -> list:
    limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
    kernel = self.add_weight(
        f"{name}_kernel", (copies, fan_in, fan_out),
        initializer=tf.keras.initializers.RandomUniform(-limit, limit))
    bias = self.add_weight(f"{name}_bias", (copies, fan_out),
                           initializer="zeros", trainable=trainable_bias)
    return [kernel, bias]

  @property
  def layer_weights(self) -> list:
    """Variables in apply order: conv kernel and bias, then each layer's."""
    return list(self._layer_weights)

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    return self.apply_weights(inputs, self._layer_weights)

  def apply_weights(self, inputs: tf.Tensor,
                    weights: Sequence[tf.Tensor]) -> tf.Tensor:
    """Runs the network on explicit `weights` (order of `layer_weights`)."""
    if self.shared:
      weights = [tf.broadcast_to(w, tf.concat([[self.num_agents],
                                               tf.shape(w)[1:]], 0))
                 for w in weights]
    height, width, channels = self.image_shape
    size = self.kernel_size
    pixels = height * width * channels
    images = tf.reshape(inputs[..., :pixels], [-1, height, width, channels])
    patches = tf.image.extract_patches(
        images, sizes=[1, size, size, 1], strides=[1, 1, 1, 1],
        rates=[1, 1, 1, 1], padding="VALID")
    patches = tf.reshape(patches, [-1, self.num_agents, self._out_cells,
                                   size * size * channels])
    x = tf.nn.relu(tf.einsum("bnpk,nkf->bnpf", patches, weights[0])
                   + weights[1][:, None, :])
    x = tf.reshape(x, [-1, self.num_agents, self._out_cells * self.filters])
    side = tf.reshape(inputs[..., pixels:], [-1, self.num_agents,
                                             self.side_size])
    dense = weights[2:]
    for i in range(len(dense) // 2):
      if i == 1 and self.side_size:
        x = tf.concat([x, side], -1)
      x = tf.einsum("bni,nio->bno", x, dense[2 * i]) + dense[2 * i + 1]
      if i < len(dense) // 2 - 1:
        x = tf.nn.relu(x)
    return x
