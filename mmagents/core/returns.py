"""Return and mask computations on TF-Agents trajectories ``[B, T, ...]``."""

from __future__ import annotations

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory as trajectory_lib


def valid_mask(experience: trajectory_lib.Trajectory) -> tf.Tensor:
  """1.0 for real transitions, 0.0 for episode-boundary (LAST→FIRST) ones."""
  return tf.cast(~experience.is_boundary(), tf.float32)


def discounted_returns(rewards: tf.Tensor, episode_ends: tf.Tensor,
                       gamma: float) -> tf.Tensor:
  """Monte-Carlo returns G_t = r_t + γ G_{t+1}, restarting after episode ends.

  Args:
    rewards: ``[B, T, ...]`` rewards (a vector reward keeps its last axes).
    episode_ends: bool ``[B, T]``, True where the transition ends an episode.
    gamma: discount factor.

  Returns:
    Returns with the shape of `rewards`. Steps after the last episode end in
    the batch get partial returns: collect whole episodes.
  """
  rewards = tf.convert_to_tensor(rewards, tf.float32)
  continues = 1.0 - tf.cast(episode_ends, tf.float32)
  extra = len(rewards.shape) - 2
  continues = tf.reshape(continues, tf.concat(
      [tf.shape(continues), tf.ones([extra], tf.int32)], 0))
  time_major_r = tf.experimental.numpy.moveaxis(rewards, 1, 0)
  time_major_c = tf.experimental.numpy.moveaxis(continues, 1, 0)
  returns = tf.scan(lambda g, rc: rc[0] + gamma * rc[1] * g,
                    (time_major_r, time_major_c),
                    initializer=tf.zeros_like(time_major_r[0]), reverse=True)
  return tf.experimental.numpy.moveaxis(returns, 0, 1)


def num_episodes(experience: trajectory_lib.Trajectory) -> tf.Tensor:
  """Episodes that end in the batch (at least 1, to divide by)."""
  return tf.maximum(
      tf.reduce_sum(tf.cast(experience.is_last(), tf.float32)), 1.0)


def steps_since_start(experience: trajectory_lib.Trajectory) -> tf.Tensor:
  """Index t of each transition within its episode, float ``[B, T]``.

  Assumes the batch starts at an episode start (collect whole episodes).
  """
  first = tf.cast(experience.is_first(), tf.float32)
  time_major = tf.transpose(first)                               # [T, B]
  counts = tf.scan(lambda t, f: (1.0 - f) * (t + 1.0), time_major,
                   initializer=-tf.ones_like(time_major[0]))
  return tf.transpose(counts)


def pad_time(experience: trajectory_lib.Trajectory,
             length: int) -> trajectory_lib.Trajectory:
  """Pads a ``[B, T]`` batch to ``[B, length]`` with masked boundary steps.

  Padding steps are LAST→FIRST boundaries with zero reward, so
  `valid_mask` is 0 there and returns, episode counts and losses are
  unchanged. A static time length lets compiled (XLA) train steps build once
  instead of once per episode length.
  """
  missing = length - tf.shape(experience.step_type)[1]

  def pad(x, value=0):
    x = tf.convert_to_tensor(x)
    paddings = [[0, 0], [0, missing]] + [[0, 0]] * (len(x.shape) - 2)
    out = tf.pad(x, paddings, constant_values=tf.cast(value, x.dtype))
    out.set_shape([x.shape[0], length] + x.shape[2:].as_list())
    return out

  return experience._replace(
      step_type=pad(experience.step_type, ts.StepType.LAST),
      next_step_type=pad(experience.next_step_type, ts.StepType.FIRST),
      observation=tf.nest.map_structure(pad, experience.observation),
      action=tf.nest.map_structure(pad, experience.action),
      policy_info=tf.nest.map_structure(pad, experience.policy_info),
      reward=pad(experience.reward),
      discount=pad(experience.discount))


def gae_advantages(rewards: tf.Tensor, values: tf.Tensor,
                   episode_ends: tf.Tensor, gamma: float,
                   lam: float) -> tf.Tensor:
  """Generalized advantage estimates A_t = Σ_l (γλ)^l δ_{t+l} ``[B, T]``.

  δ_t = r_t + γ V(s_{t+1}) - V(s_t), with V(s_{t+1}) = 0 where the
  transition ends an episode (a termination) and read from the next row of
  the batch otherwise (collect whole episodes).

  Args:
    rewards: ``[B, T]`` rewards.
    values: ``[B, T]`` V(s_t) of each row's observation.
    episode_ends: bool ``[B, T]``, True where the transition ends an episode.
    gamma: discount factor.
    lam: GAE λ (1: Monte-Carlo return minus V, 0: one-step TD error).
  """
  continues = 1.0 - tf.cast(episode_ends, tf.float32)
  next_values = tf.concat([values[:, 1:], tf.zeros_like(values[:, :1])], 1)
  deltas = rewards + gamma * continues * next_values - values
  return discounted_returns(deltas, episode_ends, gamma * lam)
