"""The QMIX mixing network (Rashid et al. 2018; thesis ref. [18]).

The mixer turns the chosen per-agent values ``q = (Q^1, ..., Q^N)`` into

  Q_tot(q, c) = ELU(q W1(c) + b1(c)) W2(c) + b2(c),

where every parameter is produced by a *hypernetwork* from a conditioning
vector ``c`` (the global state; in the multi-goal setting of CM3 also every
agent's goal):

* W1 = |hyper_w1(c)| ``[N, E]`` and W2 = |hyper_w2(c)| ``[E, 1]``: absolute
  values make every weight non-negative; with ELU (strictly increasing)
  between them, ∂Q_tot/∂q_n ≥ 0 for every n (monotone by construction), so
  the joint argmax of Q_tot is the tuple of per-agent argmaxes;
* b1 = hyper_b1(c) ``[E]``: one linear layer, sign unconstrained;
* b2 = V(c): Dense(E, ReLU) → Dense(1), the state-dependent bias.

In the original paper hyper_w1 and hyper_w2 are single linear layers (the
default here, ``hypernet_hidden=0``, the "exact architecture of [18]" that
thesis App. A.8 asks for); ``hypernet_hidden=H > 0`` gives each of them a
hidden ReLU layer of H units (the two-layer variant of later QMIX code). The
embedding width E is 64 (particle, SUMO) or 128 (Checkers).

A conditioning vector may start with a flattened image (Checkers' state
tensor s_T): it then goes through a convolution (valid padding, stride 1,
ReLU) and is flattened before the hypernetworks read it, as the thesis'
Checkers mixer "feeds s_T into the same convolutional network" as the
critics.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf

from mmagents.core import augmentation
from mmagents.core import networks


def elu(x: tf.Tensor) -> tf.Tensor:
  """ELU(x) = x for x > 0, e^x − 1 otherwise, from elementary ops.

  Same values and gradients as `tf.nn.elu`. With the Elu op, TF 2.15's
  Grappler fails on the agent's update loop (a `tf.function` inside a
  while loop inside the runner's `tf.function`): it logs "Node .../Elu has
  an empty op name" and leaves the graph unoptimized.
  """
  return tf.where(x > 0.0, x, tf.math.expm1(tf.minimum(x, 0.0)))


def _dense_stack(hidden: int, units: int, name: str,
                 init_stddev: float = 0.0) -> List[tf.keras.layers.Dense]:
  """Dense(hidden, ReLU) → Dense(units), or one Dense(units) if hidden = 0.

  ``init_stddev`` > 0 draws the output layer's kernel from a truncated
  normal with that deviation (else Keras' Glorot uniform).
  """
  layers = []
  if hidden:
    layers.append(tf.keras.layers.Dense(hidden, activation="relu",
                                        name=f"{name}_hidden"))
  initializer = (tf.keras.initializers.TruncatedNormal(stddev=init_stddev)
                 if init_stddev > 0 else "glorot_uniform")
  layers.append(tf.keras.layers.Dense(units, kernel_initializer=initializer,
                                      name=name))
  return layers


def _apply(layers: List[tf.keras.layers.Dense], x: tf.Tensor) -> tf.Tensor:
  for layer in layers:
    x = layer(x)
  return x


class QMixer(networks.TargetTracking, tf.keras.layers.Layer):
  """Monotone mixing of ``[B, N]`` agent values into ``[B]`` team values."""

  def __init__(self, num_agents: int, embed_dim: int = 64,
               hypernet_hidden: int = 0,
               image: Optional[augmentation.ImageInput] = None,
               init_stddev: float = 0.0, name: str = "mixer"):
    """Creates the hypernetworks (weights are built on the first call).

    Args:
      num_agents: N, the width of the value input.
      embed_dim: E, the width of the mixing layer.
      hypernet_hidden: 0 for single linear hyper_w1/hyper_w2 (the original
        paper); else the width of their hidden ReLU layer.
      image: an image at the front of the conditioning vector, encoded by
        a convolution (and ``image.dense_units`` > 0: a dense ReLU layer).
      init_stddev: > 0: the hypernetworks that output W1 and W2 start from
        a truncated normal with this deviation (CM3's code: 0.01), so the
        mixer's gain from agent values to Q_tot starts small; 0: Glorot.
      name: layer name.
    """
    super().__init__(name=name)
    if (num_agents < 1 or embed_dim < 1 or hypernet_hidden < 0
        or init_stddev < 0):
      raise ValueError("need num_agents >= 1, embed_dim >= 1, "
                       "hypernet_hidden >= 0 and init_stddev >= 0")
    self.num_agents = num_agents
    self.embed_dim = embed_dim
    self.image = image
    if image is not None:
      self.conv = tf.keras.layers.Conv2D(image.filters, image.kernel_size,
                                         activation="relu", name="conv")
      self.image_dense = (tf.keras.layers.Dense(image.dense_units,
                                                activation="relu",
                                                name="image_dense")
                          if image.dense_units else None)
    self.hyper_w1 = _dense_stack(hypernet_hidden, num_agents * embed_dim,
                                 "hyper_w1", init_stddev)
    self.hyper_b1 = [tf.keras.layers.Dense(embed_dim, name="hyper_b1")]
    self.hyper_w2 = _dense_stack(hypernet_hidden, embed_dim, "hyper_w2",
                                 init_stddev)
    self.hyper_b2 = _dense_stack(embed_dim, 1, "hyper_b2")

  def encode(self, condition: tf.Tensor) -> tf.Tensor:
    """The conditioning vector with its image (if any) encoded."""
    if self.image is None:
      return condition
    size = self.image.size
    maps = self.conv(tf.reshape(condition[:, :size], (-1,) + self.image.shape))
    features = tf.reshape(maps, [-1, int(np.prod(maps.shape[1:]))])
    if self.image_dense is not None:
      features = self.image_dense(features)
    return tf.concat([features, condition[:, size:]], -1)

  def mixing_parameters(self, condition: tf.Tensor
                        ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """W1 ``[B, N, E]``, b1 ``[B, E]``, W2 ``[B, E]``, b2 ``[B]`` for `c`."""
    c = self.encode(condition)
    w1 = tf.reshape(tf.abs(_apply(self.hyper_w1, c)),
                    [-1, self.num_agents, self.embed_dim])
    b1 = _apply(self.hyper_b1, c)
    w2 = tf.abs(_apply(self.hyper_w2, c))
    b2 = _apply(self.hyper_b2, c)[:, 0]
    return w1, b1, w2, b2

  def call(self, agent_values: tf.Tensor, condition: tf.Tensor) -> tf.Tensor:
    """Q_tot ``[B]`` of agent values ``[B, N]`` under conditions ``[B, C]``."""
    w1, b1, w2, b2 = self.mixing_parameters(condition)
    hidden = elu(tf.einsum("bn,bne->be", agent_values, w1) + b1)
    return tf.reduce_sum(hidden * w2, -1) + b2

  def build_weights(self, condition_size: int) -> None:
    """Creates every weight now (a call on zeros), e.g. before a copy."""
    self(tf.zeros([1, self.num_agents]), tf.zeros([1, condition_size]))
