"""Maps per-agent dict specs to stacked ``[B, N, ...]`` tensors and back.

Agents may differ in observation size and number of actions (the asymmetric
Escape Room); observations are zero-padded to the largest size and missing
actions are masked out, so all agents still run in one batched network call.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf

# Which probabilities a policy-gradient score function log p(a) uses:
# "behaviour" the ε-floored π̃ the actions came from (thesis), "policy" π
# itself, whose gradient does not vanish on actions far below the floor
# ε/|A|, so a near-deterministic policy can still move.
SCORE_FUNCTIONS = ("behaviour", "policy")
# Probabilities that underflowed to 0 (a saturated π without the floor)
# count as the smallest normal float: a finite log with no gradient.
SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


def check_score_function(score_function: str) -> None:
  if score_function not in SCORE_FUNCTIONS:
    raise ValueError(f"score_function must be one of {SCORE_FUNCTIONS}, "
                     f"got {score_function!r}")


def mean_entropy(probs: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """Each agent's policy entropy ``[N]`` averaged over the valid steps:
  `probs` ``[B, T, N, A]``, `mask` ``[B, T, 1]`` (1 on valid steps). Near 0
  a policy is deterministic and, through an ε floor, rarely changes
  again."""
  entropy = -tf.reduce_sum(tf.math.xlogy(probs, probs), axis=-1)
  return (tf.reduce_sum(mask * entropy, [0, 1])
          / tf.maximum(tf.reduce_sum(mask), 1.0))


def score_epsilon(score_function: str, epsilon):
  """The floor of the probabilities a score function uses: ε, or 0 for
  ``"policy"``."""
  return 0.0 if score_function == "policy" else epsilon


class AgentLayout:
  """Sizes of every agent and the conversions between dicts and stacks."""

  def __init__(self, agent_ids: Sequence[str], observation_spec: Mapping,
               action_spec: Mapping):
    self.agent_ids = tuple(agent_ids)
    missing = [a for a in self.agent_ids
               if a not in observation_spec or a not in action_spec]
    if missing:
      raise ValueError(f"specs lack entries for agents {missing}")
    for a in self.agent_ids:
      spec = action_spec[a]
      if spec.shape.rank != 0 or not spec.dtype.is_integer:
        raise ValueError(f"{a}: only scalar discrete actions are supported, "
                         f"got {spec}")
      if int(spec.minimum) != 0:
        raise ValueError(f"{a}: discrete actions must start at 0, got {spec}")
    self._obs_ranks = {a: len(observation_spec[a].shape)
                       for a in self.agent_ids}
    self.obs_sizes = [int(np.prod(observation_spec[a].shape))
                      for a in self.agent_ids]
    self.num_actions = [int(action_spec[a].maximum) + 1 for a in self.agent_ids]
    self.max_obs = max(self.obs_sizes)
    self.max_actions = max(self.num_actions)
    mask = np.zeros((self.num_agents, self.max_actions), np.float32)
    for i, n in enumerate(self.num_actions):
      mask[i, :n] = 1.0
    self.action_mask = tf.constant(mask)                       # [N, A]
    self.action_counts = tf.constant(self.num_actions, tf.float32)  # [N]

  @property
  def num_agents(self) -> int:
    return len(self.agent_ids)

  def stack_observations(self, observation: Mapping) -> tf.Tensor:
    """Dict of ``[*outer, ...]`` → float ``[*outer, N, max_obs]``."""
    parts = []
    for a, size in zip(self.agent_ids, self.obs_sizes):
      x = tf.cast(observation[a], tf.float32)
      outer = tf.shape(x)[:len(x.shape) - self._obs_ranks[a]]
      x = tf.reshape(x, tf.concat([outer, [size]], 0))
      if size < self.max_obs:
        pad = tf.zeros(tf.concat([outer, [self.max_obs - size]], 0))
        x = tf.concat([x, pad], -1)
      parts.append(x)
    return tf.stack(parts, axis=-2)

  def stack_actions(self, action: Mapping) -> tf.Tensor:
    """Dict of ``[*outer]`` ints → int32 ``[*outer, N]``."""
    return tf.stack([tf.cast(action[a], tf.int32) for a in self.agent_ids], -1)

  def masked_probs(self, logits: tf.Tensor, epsilon: tf.Tensor) -> tf.Tensor:
    """Behaviour probabilities π̃ = (1 - ε) softmax(logits) + ε / |A_i|.

    Args:
      logits: ``[..., N, A_max]``; entries of actions an agent lacks ignored.
      epsilon: exploration lower bound in [0, 1].
    """
    masked = tf.where(self.action_mask > 0, logits, -1e9 * tf.ones_like(logits))
    probs = tf.nn.softmax(masked, axis=-1)
    uniform = self.action_mask / self.action_counts[:, None]
    return (1.0 - epsilon) * probs + epsilon * uniform
