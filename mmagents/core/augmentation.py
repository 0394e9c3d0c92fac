"""Function augmentation (thesis §3.3.4–3.3.5): grow a trained network with
a new input module attached to one of its hidden layers.

A Stage-1 network maps a *main* input (an agent's own observation and goal,
or its part of the state) through ``hidden_sizes`` to an output. Its Stage-2
version keeps those layers (restored from the Stage-1 checkpoint) and adds

  h_{i*} = f(W_{i*} h_{i*-1} + b_{i*} + W^{1:2} h^2_K),

where h^2_K is the output of a new MLP (``side_sizes``) on the *side* input
(what the agent sees of the others) and W^{1:2} a new bias-free connection.
The Stage-1 layers live under ``trunk``, so a Stage-2 network restores them
with `restore_trunk` from any checkpoint that saved a Stage-1 network under
a known path; with W^{1:2} = 0 it computes exactly the Stage-1 function.

Main and side inputs may start with flattened images (`ImageInput`), each
encoded by a convolution (valid padding, stride 1, ReLU), flattened and optionally
passed through a dense layer, then concatenated with the rest of the input.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from mmagents.core import networks


@dataclasses.dataclass(frozen=True)
class ImageInput:
  """A flattened ``H, W, C`` image at the front of the main input."""
  shape: Tuple[int, int, int]
  filters: int
  kernel_size: Tuple[int, int]
  dense_units: int = 0   # 0: the flattened convolution joins directly.

  @property
  def size(self) -> int:
    return int(np.prod(self.shape))


class ImageEncoder(tf.keras.layers.Layer):
  """Encodes the images at the front of a flat input; passes the rest."""

  def __init__(self, images: Sequence[ImageInput], name: str = "encoder"):
    super().__init__(name=name)
    self.images = tuple(images)
    self.convs = [tf.keras.layers.Conv2D(image.filters, image.kernel_size,
                                         activation="relu",
                                         name=f"conv_{i}")
                  for i, image in enumerate(self.images)]
    self.image_dense = [
        tf.keras.layers.Dense(image.dense_units, activation="relu",
                              name=f"image_dense_{i}")
        if image.dense_units else None
        for i, image in enumerate(self.images)]

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    """Images through their encoders, concatenated with the vector rest."""
    parts, offset = [], 0
    for image, conv, dense in zip(self.images, self.convs, self.image_dense):
      pixels = tf.reshape(inputs[:, offset:offset + image.size],
                          (-1,) + image.shape)
      maps = conv(pixels)
      features = tf.reshape(maps, [-1, int(np.prod(maps.shape[1:]))])
      parts.append(dense(features) if dense is not None else features)
      offset += image.size
    parts.append(inputs[:, offset:])
    return tf.concat(parts, axis=-1)


class Trunk(tf.keras.layers.Layer):
  """The Stage-1 part: image encoders, hidden layers and the output layer."""

  def __init__(self, images: Sequence[ImageInput],
               hidden_sizes: Sequence[int], output_size: int,
               name: str = "trunk"):
    super().__init__(name=name)
    if not hidden_sizes:
      raise ValueError("an augmentable network needs a hidden layer")
    self.encoder = ImageEncoder(images)
    self.hidden = [tf.keras.layers.Dense(units, name=f"hidden_{i}")
                   for i, units in enumerate(hidden_sizes)]
    self.output_layer = tf.keras.layers.Dense(output_size, name="output")

  def encode(self, main: tf.Tensor) -> tf.Tensor:
    return self.encoder(main)


class AugmentableNetwork(networks.TargetTracking, tf.keras.layers.Layer):
  """A feed-forward network on ``[B, D_main]`` (and, augmented, a side input
  ``[B, D_side]``) → ``[B, output_size]``; hidden layers use ReLU."""

  def __init__(self, images: Sequence[ImageInput],
               hidden_sizes: Sequence[int], output_size: int,
               side_sizes: Optional[Sequence[int]] = None,
               side_images: Sequence[ImageInput] = (),
               attach_layer: int = -1,
               zero_connection: bool = False,
               name: Optional[str] = None):
    """Builds the layers (weights are created on the first call).

    Args:
      images: images at the front of the main input, in order.
      hidden_sizes: widths of the Stage-1 hidden layers.
      output_size: outputs (actions for a policy, 1 for a value).
      side_sizes: None for a Stage-1 network; else the widths of the new
        module's layers (the last one is h^2_K).
      side_images: images at the front of the side input (SUMO's grid of
        the vehicles around an agent), encoded before the side layers.
      attach_layer: index i* of the hidden layer that receives the new
        module (default: the last, the thesis' choice).
      zero_connection: start W^{1:2} at zero, so the augmented network
        initially computes the Stage-1 function.
      name: layer name.
    """
    super().__init__(name=name)
    self.trunk = Trunk(images, hidden_sizes, output_size)
    num_hidden = len(hidden_sizes)
    if not -num_hidden <= attach_layer < num_hidden:
      raise ValueError(f"attach_layer {attach_layer} is not one of the "
                       f"{num_hidden} hidden layers")
    self.attach_layer = attach_layer % num_hidden
    self.augmented = side_sizes is not None
    if self.augmented:
      if not side_sizes:
        raise ValueError("side_sizes needs at least one layer")
      self.side_encoder = ImageEncoder(side_images, name="side_encoder")
      self.side = [tf.keras.layers.Dense(units, activation="relu",
                                         name=f"side_{i}")
                   for i, units in enumerate(side_sizes)]
      self.connection = tf.keras.layers.Dense(
          hidden_sizes[self.attach_layer], use_bias=False,
          kernel_initializer="zeros" if zero_connection else "glorot_uniform",
          name="connection")

  def call(self, main: tf.Tensor,
           side: Optional[tf.Tensor] = None) -> tf.Tensor:
    return self.head(self.trunk.encode(main), side)

  def head(self, encoded: tf.Tensor,
           side: Optional[tf.Tensor] = None) -> tf.Tensor:
    """The layers after the image encoders, on ``trunk.encode(main)``.

    Inputs that share their images (one state, many actions) can be encoded
    once and joined with what differs: ``encode(concat(x, y))`` equals
    ``concat(encode(x), y)`` when `y` has no image.
    """
    if self.augmented != (side is not None):
      raise ValueError("an augmented network needs a side input and a "
                       "Stage-1 network none")
    x = encoded
    for i, layer in enumerate(self.trunk.hidden):
      pre = layer(x)
      if self.augmented and i == self.attach_layer:
        h = self.side_encoder(side)
        for side_layer in self.side:
          h = side_layer(h)
        pre = pre + self.connection(h)
      # ReLU as max(x, 0): inside the update loop's while_loop TF 2.15's
      # grappler remapper breaks on the Relu op ("empty op name") and skips
      # optimizing the graph; the values and gradients are the same.
      x = tf.maximum(pre, 0.0)
    return self.trunk.output_layer(x)

  def build_weights(self, main_size: int, side_size: int = 0) -> None:
    """Creates every weight now (a call on zeros), e.g. before a restore."""
    side = tf.zeros([1, side_size]) if self.augmented else None
    self(tf.zeros([1, main_size]), side)


def restore_trunk(network: AugmentableNetwork, checkpoint_path: str,
                  path: Sequence[str]) -> None:
  """Loads the Stage-1 trunk weights into `network`'s trunk.

  Args:
    network: a built network (its trunk shapes match the saved one).
    checkpoint_path: a checkpoint prefix.
    path: attribute names from the checkpoint's root object to the saved
      network, e.g. ``("agent", "actor")``; the trunk is that network's
      ``trunk``.
  """
  node = tf.train.Checkpoint(trunk=network.trunk)
  for name in reversed(path):
    node = tf.train.Checkpoint(**{name: node})
  status = node.restore(checkpoint_path)
  status.expect_partial()
  status.assert_existing_objects_matched()
