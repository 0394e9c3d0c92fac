"""Math of the actor-critic agent and its convolutional networks."""

import numpy as np
import tensorflow as tf
from tf_agents.environments import tf_py_environment
from tf_agents.trajectories import time_step as ts

from environments import escape_room
from environments import give_reward
from environments.ssd import cleanup
from mmagents.agents import ac
from mmagents.agents import ac_c
from mmagents.core import networks
from tests import trajectories

FIRST, MID, LAST = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def _agent(env, **config):
  tf_env = tf_py_environment.TFPyEnvironment(env)
  return ac.ActorCriticAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                             env.agent_ids, ac.ACConfig(**config), seed=3)


def _experience(env, step_types, actions, rewards, discounts):
  """A [1, T] ER(2, 1) trajectory whose observations differ per step."""
  obs = np.random.default_rng(0).random((len(step_types), 6))
  return trajectories.single_row(env.agent_ids, obs, step_types, actions,
                                 rewards, discounts)


# An episode of three transitions (the last one a termination) and the
# boundary row after it.
_STEPS = [FIRST, MID, MID, LAST]
_ACTIONS = [[0, 1], [2, 2], [1, 0], [0, 0]]
_REWARDS = [[1.0, -1.0], [0.5, 2.0], [3.0, 0.0], [0.0, 0.0]]
_DISCOUNTS = [1.0, 1.0, 0.0, 1.0]


class ActorCriticMathTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.env = escape_room.EscapeRoom(2, 1)
    self.agent = _agent(self.env, conv_filters=0, gamma=0.9)
    # Make the target critic differ from the online one.
    for w in self.agent.target_value_net.layer_weights:
      w.assign(w + 0.05)
    self.experience = _experience(self.env, _STEPS, _ACTIONS, _REWARDS,
                                  _DISCOUNTS)
    self.inputs = self.agent._policy_inputs(self.experience)
    self.values = self.agent.state_values(self.agent.value_net,
                                          self.inputs).numpy()[0]
    self.targets = self.agent.state_values(self.agent.target_value_net,
                                           self.inputs).numpy()[0]

  def test_advantage_is_eq_b9(self):
    rewards = np.array(_REWARDS)
    got = self.agent.step_weights(self.experience, self.inputs,
                                  tf.constant([_REWARDS])).numpy()[0]
    for t in range(3):
      nxt = self.values[t + 1] * _DISCOUNTS[t]
      self.assertAllClose(got[t], rewards[t] + 0.9 * nxt - self.targets[t],
                          rtol=1e-5, atol=1e-6)

  def test_critic_loss_is_eq_b10(self):
    rewards = np.array(_REWARDS)
    errors = [rewards[t] + 0.9 * _DISCOUNTS[t] * self.targets[t + 1]
              - self.values[t] for t in range(3)]
    expected = np.mean(np.square(errors), axis=0)
    got = self.agent.value_loss(self.experience, self.inputs,
                                tf.constant([_REWARDS]))
    self.assertAllClose(got, expected, rtol=1e-5)

  def test_train_steps_and_soft_target_update(self):
    before_target = [w.numpy() for w in self.agent.target_value_net
                     .layer_weights]
    before_policy = [w.numpy() for w in self.agent.policy_net.layer_weights]
    self.agent.train(self.experience)
    tau = self.agent.config.target_update_rate
    for new_t, old_t, value in zip(self.agent.target_value_net.layer_weights,
                                   before_target,
                                   self.agent.value_net.layer_weights):
      self.assertAllClose(new_t, tau * value.numpy() + (1 - tau) * old_t,
                          rtol=1e-5, atol=1e-7)
    changed = [not np.allclose(a, b.numpy()) for a, b in
               zip(before_policy, self.agent.policy_net.layer_weights)]
    self.assertTrue(any(changed))
    self.assertEqual(int(self.agent.train_step_counter.numpy()), 1)

  def test_critic_fits_a_fixed_batch(self):
    first = self.agent.loss(self.experience).extra.value_loss.numpy().sum()
    for _ in range(200):
      self.agent.train(self.experience)
    last = self.agent.loss(self.experience).extra.value_loss.numpy().sum()
    self.assertLess(last, 0.2 * first)

  def test_collective_reward(self):
    agent = _agent(self.env, conv_filters=0, reward="collective")
    self.assertAllClose(agent.training_rewards(self.experience)[0, :3],
                        [[0.0, 0.0], [2.5, 2.5], [3.0, 3.0]])
    self.assertAllClose(self.agent.training_rewards(self.experience)[0, :3],
                        _REWARDS[:3])

  def test_bad_config(self):
    with self.assertRaises(ValueError):
      ac.ACConfig(target_update_rate=0.0)
    with self.assertRaises(ValueError):
      ac.ACConfig(reward="team")
    with self.assertRaises(ValueError):
      _agent(self.env, share_parameters=True)   # vector observations


class ConvNetworkTest(tf.test.TestCase):

  def test_matches_a_keras_convolution_per_agent(self):
    net = networks.StackedConvMLP(2, (5, 4, 3), 6, 3, (8,), 2)
    images = tf.random.stateless_uniform((7, 2, 5, 4, 3), seed=(1, 2))
    out = net(tf.reshape(images, (7, 2, 60)))
    w = [v.numpy() for v in net.layer_weights]
    for i in range(2):
      conv = tf.nn.conv2d(images[:, i], w[0][i].reshape(3, 3, 3, 6),
                          strides=1, padding="VALID")
      hidden = tf.reshape(tf.nn.relu(conv + w[1][i]), (7, -1)).numpy()
      hidden = np.maximum(hidden @ w[2][i] + w[3][i], 0)
      self.assertAllClose(out[:, i], hidden @ w[4][i] + w[5][i], rtol=1e-4,
                          atol=1e-5)

  def test_shared_weights_give_every_agent_the_same_function(self):
    net = networks.StackedConvMLP(3, (4, 4, 3), 2, 3, (5,), 1, shared=True)
    self.assertEqual(net.layer_weights[0].shape[0], 1)
    image = tf.random.stateless_uniform((1, 1, 48), seed=(3, 4))
    out = net(tf.tile(image, (1, 3, 1)))
    self.assertAllClose(out[:, 1], out[:, 0])
    self.assertAllClose(out[:, 2], out[:, 0])
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(net(tf.tile(image, (1, 3, 1))))
    grads = tape.gradient(loss, net.layer_weights)
    self.assertNotIn(None, grads)

  def test_explicit_weights_are_differentiable_twice(self):
    net = networks.StackedConvMLP(2, (4, 4, 3), 2, 3, (5,), 1)
    x = tf.random.stateless_uniform((2, 2, 48), seed=(5, 6))
    with tf.GradientTape() as outer:
      with tf.GradientTape() as inner:
        loss = tf.reduce_sum(net(x) ** 2)
      grads = inner.gradient(loss, net.layer_weights)
      updated = [w - 0.1 * g for w, g in zip(net.layer_weights, grads)]
      after = tf.reduce_sum(net.apply_weights(x, updated))
    self.assertNotIn(None, outer.gradient(after, net.layer_weights))

  def test_image_smaller_than_kernel(self):
    with self.assertRaises(ValueError):
      networks.StackedConvMLP(1, (2, 5, 3), 2, 3, (4,), 1)


class GivingActorCriticTest(tf.test.TestCase):

  def test_ac_c_critic_fits_rewards_with_gifts(self):
    env = cleanup.make("lio", seed=0)
    tf_env = tf_py_environment.TFPyEnvironment(env)
    agent = ac_c.ACcAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                          env.agent_ids, ac_c.ACcConfig(give_cost=0.5),
                          seed=1)
    step = tf_env.reset()
    info = agent.collect_policy.action(
        step, agent.collect_policy.get_initial_state(1)).info
    given = info["incentives"][0].numpy()                  # [givers, N]
    self.assertEqual(given[0, 0], 0.0)                     # Never to self.
    experience = trajectories.single_row(
        env.agent_ids, np.zeros((2, 9 * 9 * 3)), [FIRST, LAST],
        [[0, 5], [1, 1]], [[1.0, 0.0], [0.0, 2.0]])
    experience = experience._replace(
        observation={a: tf.zeros((1, 2, 9, 9, 3)) for a in env.agent_ids},
        policy_info={k: tf.repeat(v[:, None], 2, axis=1)
                     for k, v in info.items()})
    rewards = agent.critic_rewards(experience).numpy()[0]
    expected = (np.array([[1.0, 0.0], [0.0, 2.0]]) + given.sum(0)
                - 0.5 * given.sum(1))
    self.assertAllClose(rewards, expected, rtol=1e-5)
    value_before = [w.numpy() for w in agent.value_net.layer_weights]
    loss = agent.train(experience).loss
    self.assertTrue(np.isfinite(loss.numpy()))
    self.assertTrue(any(not np.allclose(b, w.numpy()) for b, w in
                        zip(value_before, agent.value_net.layer_weights)))

  def test_ac_d_keeps_image_observations(self):
    env = give_reward.cleanup_give(setting="lio", seed=0)
    self.assertEqual(env.observation_spec()["agent_0"].shape, (9, 9, 3))
    self.assertEqual(env.action_spec()["agent_0"].maximum, 11)
    agent = _agent(env)
    self.assertIsInstance(agent.policy_net, networks.StackedConvMLP)


class CleanupAgentTest(tf.test.TestCase):

  def test_builds_convolutional_nets_on_cleanup(self):
    agent = _agent(cleanup.make("lio", seed=0))
    self.assertIsInstance(agent.policy_net, networks.StackedConvMLP)
    self.assertIsInstance(agent.value_net, networks.StackedConvMLP)
    # 9x9 view -> 7x7x6 after the convolution, then 64 and 64.
    self.assertEqual(agent.policy_net.layer_weights[2].shape, (2, 294, 64))
    shared = _agent(cleanup.make("lio", seed=0), share_parameters=True)
    self.assertEqual(shared.policy_net.layer_weights[2].shape, (1, 294, 64))
    self.assertEqual(agent.target_value_net.trainable_variables, [])


if __name__ == "__main__":
  tf.test.main()
