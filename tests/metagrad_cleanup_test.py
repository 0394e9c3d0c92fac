"""MetaGrad and dual-RL (c) on a tiny Cleanup: action types, the designer's
network and inputs, its meta-gradient against finite differences, and what
each update touches."""

import numpy as np
import tensorflow as tf
from absl.testing import absltest

from mmagents.agents import ac
from mmagents.metagrad import cleanup
from mmagents.metagrad import designer
from tests import finite_differences
from tests import tiny_cleanup
from tests import trajectories

TINY = dict(hidden_sizes=(8,), designer_hidden_sizes=(8, 4),
            designer_value_hidden_sizes=(8,), conv_filters=2,
            learning_rate=0.5, epsilon_start=0.3, epsilon_end=0.3,
            share_parameters=True)


def _setup(agent_cls, config_cls, seed=1, **overrides):
  return tiny_cleanup.setup(agent_cls, config_cls(**dict(TINY, **overrides)),
                            seed, with_state=True)


_collect = tiny_cleanup.collect


class ActionTypeTest(absltest.TestCase):

  def test_clean_apple_else(self):
    agent, _ = _setup(cleanup.MetaGradACAgent, cleanup.MetaGradACConfig)
    clean = ac.CLEANUP_CLEAN_ACTION
    experience = trajectories.single_row(
        agent.agent_ids, np.zeros((3, 1)), [0, 1, 2],
        [[clean, 0], [1, 2], [3, clean]], [[0, 1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(
        agent.action_types(experience).numpy()[0],
        [[cleanup.CLEAN, cleanup.APPLE], [cleanup.APPLE, cleanup.ELSE],
         [cleanup.ELSE, cleanup.CLEAN]])
    prices = tf.constant([[[0.5, 1.0, 1.5]] * 3])
    np.testing.assert_allclose(
        agent.paid_incentives(prices, experience).numpy()[0],
        [[0.5, 1.0], [1.0, 1.5], [1.5, 0.5]])


class MetaGradCleanupTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.tf_env = _setup(cleanup.MetaGradACAgent,
                                     cleanup.MetaGradACConfig)

  def test_designer_network_and_inputs(self):
    # 5x7 map image -> 3x5x2 after the convolution; who cleaned (2 agents)
    # joins after the first hidden layer; one price per action type.
    shapes = [w.shape for w in self.agent.designer_net.layer_weights]
    self.assertEqual(shapes[2], (1, 30, 8))
    self.assertEqual(shapes[4], (1, 8 + 2, 4))
    self.assertEqual(shapes[6], (1, 4, 3))
    self.assertEqual(self.agent.designer_value_net.output_size, 1)
    # Agents act without an incentive channel: nothing is recorded.
    self.assertEqual(self.agent.collect_policy.info_spec, ())

  def test_incentives_are_paid_per_action_type_after_the_episode(self):
    experience = _collect(self.agent, self.tf_env)
    rewards, given = self.agent._total_rewards(experience, None)
    state = self.agent._state(experience.observation)
    prices = self.agent.incentive_per_action(
        state, self.agent.layout.stack_actions(experience.action))
    expected = self.agent.paid_incentives(prices, experience)
    np.testing.assert_allclose(given.numpy()[..., 0, :], expected.numpy())
    np.testing.assert_allclose(rewards.numpy(),
                               experience.reward.numpy() + expected.numpy())
    metrics = self.agent.experience_metrics(experience)
    self.assertEqual(
        metrics[f"incentive_received_per_action/{self.agent.agent_ids[0]}"]
        .shape, (3,))
    mask = experience.step_type.numpy() != 2
    net = np.sum(mask * (experience.reward.numpy().sum(-1)
                         - expected.numpy().sum(-1))) / 2
    self.assertAlmostEqual(float(metrics["designer_return"]), net, places=4)

  def test_designer_gradient_matches_finite_differences(self):
    # A wide clip: finite steps must not cross PPO's kinks at 1 ± ε.
    self.agent, self.tf_env = _setup(cleanup.MetaGradACAgent,
                                     cleanup.MetaGradACConfig, ppo_clip=1.0)
    first = _collect(self.agent, self.tf_env)
    self.agent.update_policies(first)
    experience = designer.MetaGradExperience(first,
                                             _collect(self.agent,
                                                      self.tf_env))
    old = self.agent.current_log_probs(experience)
    variables = self.agent.designer_net.trainable_variables
    with tf.GradientTape() as tape:
      outer, _ = self.agent.designer_objectives(experience, old)
    grads = tape.gradient(outer, variables)
    self.assertGreater(max(float(tf.reduce_max(tf.abs(g))) for g in grads),
                       1e-4)
    rng = np.random.default_rng(0)
    for k, variable in enumerate(variables):
      index = tuple(rng.integers(0, s) for s in variable.shape)
      fd_outer, _ = finite_differences.central_difference(
          lambda: self.agent.designer_objectives(experience, old), variable,
          index)
      np.testing.assert_allclose(grads[k].numpy()[index], fd_outer,
                                 rtol=5e-2, atol=5e-4,
                                 err_msg=f"variable {k}, {index}")

  def test_iteration_moves_designer_policies_and_both_critics(self):
    nets = (self.agent.policy_net, self.agent.designer_net,
            self.agent.value_net, self.agent.designer_value_net)
    before = [[w.numpy() for w in net.layer_weights] for net in nets]
    collected = iter([_collect(self.agent, self.tf_env),
                      _collect(self.agent, self.tf_env)])
    loss_info, _ = self.agent.train_iteration(lambda: next(collected))
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    for net, old in zip(nets, before):
      self.assertTrue(any(not np.allclose(b, w.numpy())
                          for b, w in zip(old, net.layer_weights)),
                      net.name)


class DualRLCleanupTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.tf_env = _setup(cleanup.DualRLACAgent,
                                     cleanup.DualRLACConfig)

  def test_designer_gradient_is_the_advantage_weighted_score(self):
    experience = _collect(self.agent, self.tf_env)
    means = self.agent.designer_means(experience)
    u = means + 0.7
    _, _, designer_reward = self.agent._losses(experience, means, u)
    advantages = self.agent.designer_advantages(
        experience, designer_reward, self.agent.config.gae_lambda)
    mask = (experience.step_type.numpy() != 2).astype(np.float32)
    # ∂ log N(u; m, 1) / ∂m = u - m = 0.7 for every type.
    expected = -np.sum(mask * advantages.numpy())[None] * 0.7 / 2
    with tf.GradientTape() as tape:
      tape.watch(means)
      loss_info, _, _ = self.agent._losses(experience, means, u)
    got = tape.gradient(loss_info.extra.designer_loss, means).numpy()
    np.testing.assert_allclose(np.sum(got), 3 * expected[0], rtol=1e-4)

  def test_training_moves_designer_policies_and_both_critics(self):
    nets = (self.agent.policy_net, self.agent.designer_net,
            self.agent.value_net, self.agent.designer_value_net)
    before = [[w.numpy() for w in net.layer_weights] for net in nets]
    loss_info = self.agent.train(_collect(self.agent, self.tf_env))
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    for net, old in zip(nets, before):
      self.assertTrue(any(not np.allclose(b, w.numpy())
                          for b, w in zip(old, net.layer_weights)),
                      net.name)

  def test_test_time_pays_the_mean_action(self):
    experience = _collect(self.agent, self.tf_env)
    prices = 2.0 * tf.sigmoid(self.agent.designer_means(experience))
    np.testing.assert_allclose(
        self.agent.given_incentives(experience).numpy()[..., 0, :],
        self.agent.paid_incentives(prices, experience).numpy(), rtol=1e-6)


if __name__ == "__main__":
  absltest.main()
