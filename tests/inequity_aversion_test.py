"""Inequity aversion: subjective rewards, reward smoothing, network inputs."""

import numpy as np
import tensorflow as tf
from tf_agents.environments import tf_py_environment
from tf_agents.trajectories import time_step as ts

from environments import escape_room
from environments.ssd import cleanup
from mmagents.agents import inequity_aversion as ia
from mmagents.core import networks


def _agent(env, **config):
  tf_env = tf_py_environment.TFPyEnvironment(env)
  return ia.InequityAversionAgent(tf_env.time_step_spec(),
                                  tf_env.action_spec(), env.agent_ids,
                                  ia.IAConfig(**config), seed=0), tf_env


class SubjectiveRewardTest(tf.test.TestCase):

  def test_closed_form(self):
    rewards = tf.constant([1.0, 0.0, 2.0])
    smoothed = tf.constant([3.0, 1.0, 4.0])
    alpha, beta = 0.5, 0.1
    got = ia.subjective_rewards(rewards, smoothed, alpha, beta).numpy()
    expected = []
    for i in range(3):
      envy = sum(max(smoothed[j] - smoothed[i], 0) for j in range(3))
      guilt = sum(max(smoothed[i] - smoothed[j], 0) for j in range(3))
      expected.append(rewards[i] - (alpha * envy + beta * guilt) / 2)
    self.assertAllClose(got, expected)

  def test_equal_smoothed_rewards_change_nothing(self):
    self.assertAllClose(
        ia.subjective_rewards(tf.constant([[1.0, 2.0]]),
                              tf.constant([[5.0, 5.0]]), 1.0, 1.0),
        [[1.0, 2.0]])


class SmoothingPolicyTest(tf.test.TestCase):

  def test_policy_state_smooths_the_rewards_it_sees(self):
    env = escape_room.EscapeRoom(2, 1)
    agent, tf_env = _agent(env, conv_filters=0, gamma=0.9, smoothing=0.5)
    policy = agent.collect_policy
    step = tf_env.reset()
    state = policy.get_initial_state(1)
    seen = []
    for reward in ([9.0, 9.0], [1.0, 0.0], [0.0, 2.0]):
      step = step._replace(reward=tf.constant([reward]))
      out = policy.action(step, state)
      state = out.state
      seen.append(out.info[ia.SMOOTHED].numpy()[0])
      step = step._replace(step_type=tf.constant([ts.StepType.MID]))
    decay = 0.45
    self.assertAllClose(seen, [[0.0, 0.0], [1.0, 0.0],
                               [decay * 1.0, 2.0]])

  def test_training_rewards_use_the_current_reward(self):
    env = escape_room.EscapeRoom(2, 1)
    agent, _ = _agent(env, conv_filters=0, gamma=1.0, smoothing=1.0,
                      advantageous_aversion=0.5)
    experience = type("E", (), {})()
    experience.reward = tf.constant([[[2.0, 0.0]]])
    experience.policy_info = {ia.SMOOTHED: tf.constant([[[1.0, 1.0]]])}
    # e = [3, 1]: agent 0 is ahead by 2 and loses 0.5 * 2.
    self.assertAllClose(agent.training_rewards(experience), [[[1.0, 0.0]]])


class NetworkTest(tf.test.TestCase):

  def test_smoothed_rewards_join_after_the_first_hidden_layer(self):
    agent, tf_env = _agent(cleanup.make("lio", seed=0))
    self.assertIsInstance(agent.policy_net, networks.StackedConvMLP)
    shapes = [w.shape for w in agent.policy_net.layer_weights]
    self.assertEqual(shapes[4], (2, 64 + 2, 64))
    out = agent.collect_policy.action(
        tf_env.reset(), agent.collect_policy.get_initial_state(1))
    self.assertEqual(out.info[ia.SMOOTHED].shape, (1, 2))

  def test_bad_config(self):
    with self.assertRaises(ValueError):
      ia.IAConfig(advantageous_aversion=-1.0)
    with self.assertRaises(ValueError):
      ia.IAConfig(smoothing=1.5)


if __name__ == "__main__":
  tf.test.main()
