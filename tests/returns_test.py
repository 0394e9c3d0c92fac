"""Trajectory helpers: padding, step indices, episode counts."""

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from mmagents.core import returns

F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def _batch():
  # Episode of 3 steps, boundary, episode of 1 step.
  step = [F, M, M, L, F]
  next_step = [M, M, L, F, L]
  return trajectory.Trajectory(
      step_type=tf.constant([step], tf.int32),
      observation={"agent_0": tf.ones([1, 5, 2])},
      action={"agent_0": tf.constant([[1, 2, 0, 1, 2]])},
      policy_info=(),
      next_step_type=tf.constant([next_step], tf.int32),
      reward=tf.constant([[[1.0], [2.0], [3.0], [9.0], [4.0]]]),
      discount=tf.ones([1, 5]))


class ReturnsTest(absltest.TestCase):

  def test_steps_since_start_and_episode_count(self):
    batch = _batch()
    np.testing.assert_array_equal(
        returns.steps_since_start(batch).numpy()[0], [0, 1, 2, 3, 0])
    self.assertEqual(float(returns.num_episodes(batch)), 2.0)

  def test_padding_changes_nothing_but_the_length(self):
    batch = _batch()
    padded = returns.pad_time(batch, 8)
    self.assertEqual(padded.reward.shape.as_list(), [1, 8, 1])
    self.assertEqual(padded.action["agent_0"].shape.as_list(), [1, 8])
    np.testing.assert_array_equal(returns.valid_mask(padded).numpy()[0],
                                  [1, 1, 1, 0, 1, 0, 0, 0])
    self.assertEqual(float(returns.num_episodes(padded)), 2.0)
    g = returns.discounted_returns(padded.reward, padded.is_last(), 0.5)
    g0 = returns.discounted_returns(batch.reward, batch.is_last(), 0.5)
    np.testing.assert_allclose(g.numpy()[0, :5], g0.numpy()[0])
    np.testing.assert_array_equal(g.numpy()[0, 5:], 0.0)

  def test_gae_matches_its_closed_form(self):
    # Episode r = (1, 2, 3) ending in a termination, V = (0.5, -1, 2).
    rewards = tf.constant([[1.0, 2.0, 3.0]])
    values = tf.constant([[0.5, -1.0, 2.0]])
    ends = tf.constant([[False, False, True]])
    gamma, lam = 0.9, 0.8
    deltas = [1.0 + gamma * -1.0 - 0.5, 2.0 + gamma * 2.0 + 1.0, 3.0 - 2.0]
    expected = [deltas[0] + gamma * lam * deltas[1]
                + (gamma * lam) ** 2 * deltas[2],
                deltas[1] + gamma * lam * deltas[2], deltas[2]]
    got = returns.gae_advantages(rewards, values, ends, gamma, lam)
    np.testing.assert_allclose(got.numpy()[0], expected, rtol=1e-6)
    # λ = 1: the Monte-Carlo return minus V.
    mc = returns.discounted_returns(rewards, ends, gamma) - values
    np.testing.assert_allclose(
        returns.gae_advantages(rewards, values, ends, gamma, 1.0).numpy(),
        mc.numpy(), rtol=1e-6)


if __name__ == "__main__":
  absltest.main()
