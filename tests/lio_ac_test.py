"""LIO on actor-critic learners on a tiny Cleanup: the incentive gradient
against finite differences, the inner step, and what each update touches."""

import tempfile

import numpy as np
import tensorflow as tf
from absl.testing import absltest

from mmagents.core import incentives as incentives_lib
from mmagents.core import meta
from mmagents.lio import actor_critic as lio_ac
from mmagents.lio import agent as lio
from tests import finite_differences
from tests import tiny_cleanup

TINY = dict(hidden_sizes=(8,), incentive_hidden_sizes=(8,), conv_filters=2,
            learning_rate=0.5, epsilon_start=0.3, epsilon_end=0.3,
            cost_coeff=0.1)


def _setup(seed):
  return tiny_cleanup.setup(lio_ac.LIOACAgent, lio_ac.LIOACConfig(**TINY),
                            seed)


_collect = tiny_cleanup.collect


def _td_errors(experience, values: np.ndarray, gamma: float) -> np.ndarray:
  """r_t + γ V(s_{t+1}) − V(s_t), no bootstrap after a termination."""
  errors = experience.reward.numpy() - values
  discount = experience.discount.numpy()
  errors[:, :-1] += gamma * discount[:, :-1, None] * values[:, 1:]
  return errors


class LIOActorCriticTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.tf_env = _setup(seed=2)
    self.first = _collect(self.agent, self.tf_env)

  def test_networks(self):
    # 5x5 view -> 3x3x2 after the convolution; the incentive function adds
    # whether the other agent cleaned after its first hidden layer.
    shapes = [w.shape for w in self.agent.incentive_net.layer_weights]
    self.assertEqual(shapes[2], (2, 18, 8))
    self.assertEqual(shapes[4], (2, 8 + 1, 2))

  def test_inner_step_is_the_functional_step_with_td_advantages(self):
    self.agent.update_policies(self.first)
    inputs = self.agent._policy_inputs(self.first)
    rewards, _ = self.agent._total_rewards(self.first, inputs)
    advantages = self.agent.step_weights(self.first, inputs, rewards)
    expected = meta.differentiable_sgd_step(
        lambda w: self.agent._inner_loss(w, self.first, inputs, rewards),
        self.agent._policy_before, self.agent.config.learning_rate)
    for got, want in zip(self.agent.policy_net.layer_weights, expected):
      np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5,
                                 atol=1e-6)
    # The advantage is the critic's TD error, not the Monte-Carlo return.
    self.assertEqual(advantages.shape, rewards.shape)

  def test_incentive_gradient_matches_finite_differences(self):
    self.agent.update_policies(self.first)
    experience = lio.LIOExperience(self.first,
                                   _collect(self.agent, self.tf_env))
    finite_differences.assert_incentive_gradients(self.agent, experience, 2)

  def test_iteration_moves_policies_incentives_and_critics(self):
    policy = [w.numpy() for w in self.agent.policy_net.layer_weights]
    incentive = [w.numpy() for w in self.agent.incentive_net.layer_weights]
    value = [w.numpy() for w in self.agent.value_net.layer_weights]
    target = [w.numpy() for w in self.agent.target_value_net.layer_weights]
    collected = iter([self.first, _collect(self.agent, self.tf_env)])
    loss_info, _ = self.agent.train_iteration(lambda: next(collected))
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))

    def moved(before, net):
      return any(not np.allclose(b, w.numpy())
                 for b, w in zip(before, net.layer_weights))
    self.assertTrue(moved(policy, self.agent.policy_net))
    self.assertTrue(moved(incentive, self.agent.incentive_net))
    self.assertTrue(moved(value, self.agent.value_net))
    tau = self.agent.config.target_update_rate
    for old_t, new_t, v in zip(target,
                               self.agent.target_value_net.layer_weights,
                               self.agent.value_net.layer_weights):
      np.testing.assert_allclose(new_t.numpy(),
                                 tau * v.numpy() + (1 - tau) * old_t,
                                 rtol=1e-5, atol=1e-7)

  def test_authors_giver_signal_reads_the_main_critic(self):
    agent, tf_env = tiny_cleanup.setup(
        lio_ac.LIOACAgent, lio_ac.LIOACConfig(**TINY, giver_signal="td"),
        seed=2)
    self.assertIsNone(agent.extrinsic_critic)
    first = _collect(agent, tf_env)
    values = agent.state_values(agent.value_net,
                                agent._policy_inputs(first)).numpy()
    np.testing.assert_allclose(agent.giver_signal(first).numpy(),
                               _td_errors(first, values, agent.config.gamma),
                               rtol=1e-5, atol=1e-6)

  def test_extrinsic_critic_gives_the_signal_and_fits_extrinsic_rewards(self):
    agent, tf_env = self.agent, self.tf_env   # The default signal.
    net, target, _ = agent.extrinsic_critic
    first = self.first
    inputs = agent._policy_inputs(first)
    values = agent.state_values(net, inputs).numpy()
    np.testing.assert_allclose(agent.giver_signal(first).numpy(),
                               _td_errors(first, values, agent.config.gamma),
                               rtol=1e-5, atol=1e-6)

    # After an iteration it has taken one step on τ's extrinsic rewards
    # (not the totals the main critic fits): the loss it saw then drops.
    before = agent.value_loss(first, inputs, first.reward,
                              nets=(net, target)).numpy()
    collected = iter([first, _collect(agent, tf_env)])
    agent.train_iteration(lambda: next(collected))
    after_target = [w.numpy() for w in target.layer_weights]
    after = agent.value_loss(first, inputs, first.reward,
                             nets=(net, target)).numpy()
    self.assertLess(after.sum(), before.sum())

    # Saved and restored with the agent.
    other, _ = tiny_cleanup.setup(
        lio_ac.LIOACAgent,
        lio_ac.LIOACConfig(**TINY), seed=3)
    with tempfile.TemporaryDirectory() as directory:
      path = tf.train.Checkpoint(agent=agent).save(directory + "/ckpt")
      tf.train.Checkpoint(agent=other).restore(path).assert_consumed()
    for got, want in zip(other.extrinsic_critic[1].layer_weights,
                         after_target):
      np.testing.assert_array_equal(got.numpy(), want)

  def test_incentive_sees_which_others_cleaned(self):
    actions = tf.constant([[5, 2], [0, 5]])
    np.testing.assert_array_equal(
        incentives_lib.who_chose(actions, 5).numpy(),
        [[[0], [1]], [[1], [0]]])
    three = tf.constant([[5, 5, 1]])
    np.testing.assert_array_equal(
        incentives_lib.who_chose(three, 5).numpy(),
        [[[1, 0], [1, 0], [1, 1]]])


if __name__ == "__main__":
  absltest.main()
