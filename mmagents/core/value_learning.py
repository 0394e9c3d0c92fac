"""Q-learning pieces that value-based methods share (IQL, QMIX, HSD).

* `QNetwork`: a Keras MLP (ReLU hidden layers, linear outputs) applied to
  the last axis, so one call evaluates every agent of a ``[B, N, D]`` batch
  (parameter sharing);
* `epsilon_greedy`: the behaviour distribution (1 − ε) onehot(argmax) + ε/|A|;
* `QLearner`: independent DQN with a soft-updated target network. A batch
  carries its own bootstrap factor, so one learner serves one-step targets
  (factor γ·discount) and semi-Markov ones (γ^k over a k-step segment):

    y = r + bootstrap · max_a' Q'(x', a'),    L = mean (y − Q(x, a))².

  The thesis writes the loss with a factor ½ (Eq. 4.7): the same minimiser,
  the learning rate acts twice as large here.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import tensorflow as tf

from mmagents.core import networks

Batch = Dict[str, tf.Tensor]


class QNetwork(networks.TargetTracking, tf.keras.Model):
  """MLP ``[..., D] → [..., outputs]`` with ReLU hidden layers."""

  def __init__(self, input_size: int, hidden_sizes: Sequence[int],
               outputs: int, name: Optional[str] = None):
    super().__init__(name=name)
    if not hidden_sizes:
      raise ValueError("a Q network needs at least one hidden layer")
    self.input_size = int(input_size)
    self.stack = [tf.keras.layers.Dense(h, activation="relu",
                                        name=f"hidden_{i}")
                  for i, h in enumerate(hidden_sizes)]
    self.stack.append(tf.keras.layers.Dense(outputs, name="values"))
    self(tf.zeros([1, self.input_size]))  # Creates the weights now.

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    outer = tf.shape(inputs)[:-1]
    x = tf.reshape(inputs, [-1, self.input_size])
    for layer in self.stack:
      x = layer(x)
    return tf.reshape(x, tf.concat([outer, tf.shape(x)[-1:]], 0))


def epsilon_greedy(q_values: tf.Tensor, epsilon) -> tf.Tensor:
  """(1 − ε) onehot(argmax Q) + ε/|A| along the last axis (ties: lowest)."""
  num = q_values.shape[-1]
  greedy = tf.one_hot(tf.argmax(q_values, -1), num)
  return (1.0 - epsilon) * greedy + epsilon / num


def take(values: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
  """``values[..., actions]``: the entries of the chosen actions."""
  return tf.reduce_sum(values * tf.one_hot(actions, values.shape[-1]), -1)


class QLearner(tf.Module):
  """Independent DQN on inputs x with a target network and Adam.

  Batch keys: ``input`` ``[B, D]``, ``action`` ``[B]``, ``reward`` ``[B]``,
  ``next_input`` ``[B, D]``, ``bootstrap`` ``[B]`` (0 at terminations).
  """

  def __init__(self, input_size: int, num_actions: int,
               hidden_sizes: Sequence[int], learning_rate: float,
               target_update_rate: float, grad_clip_norm: float = 0.0,
               name: str = "q_learner"):
    super().__init__(name=name)
    self.q_network = QNetwork(input_size, hidden_sizes, num_actions,
                              name="q_network")
    self.target_network = QNetwork(input_size, hidden_sizes, num_actions,
                                   name="target_q_network")
    self.target_network.copy_weights_from(self.q_network)
    self.optimizer = tf.keras.optimizers.Adam(learning_rate)
    self.tau = float(target_update_rate)
    self.grad_clip_norm = float(grad_clip_norm)

  def build_optimizer(self) -> None:
    self.optimizer.build(self.q_network.trainable_variables)

  def targets(self, batch: Batch) -> tf.Tensor:
    """y = r + bootstrap · max_a' Q'(x', a') ``[B]`` (a constant)."""
    best = tf.reduce_max(self.target_network(batch["next_input"]), -1)
    return tf.stop_gradient(batch["reward"] + batch["bootstrap"] * best)

  def loss(self, batch: Batch, targets: Optional[tf.Tensor] = None
           ) -> tf.Tensor:
    if targets is None:
      targets = self.targets(batch)
    chosen = take(self.q_network(batch["input"]), batch["action"])
    return tf.reduce_mean((targets - chosen) ** 2)

  def update(self, batch: Batch) -> tf.Tensor:
    """One Adam step, then the soft target update; the loss before it."""
    targets = self.targets(batch)
    variables = self.q_network.trainable_variables
    with tf.GradientTape() as tape:
      loss = self.loss(batch, targets)
    apply_gradients(self.optimizer, tape.gradient(loss, variables), variables,
                    self.grad_clip_norm)
    self.target_network.soft_update_from(self.q_network, self.tau)
    return loss


def apply_gradients(optimizer: tf.keras.optimizers.Optimizer, gradients,
                    variables, clip_norm: float = 0.0) -> None:
  """One optimizer step, clipping the global norm first if `clip_norm` > 0."""
  if clip_norm > 0:
    gradients, _ = tf.clip_by_global_norm(gradients, clip_norm)
  optimizer.apply_gradients(zip(gradients, variables))
