"""PG-c: squashed-Gaussian give-reward actions and their REINFORCE loss."""

import math

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment
from tf_agents.replay_buffers import tf_uniform_replay_buffer

from environments import escape_room
from mmagents.agents import pg_c
from mmagents.core import incentives
from mmagents.core import returns


def _setup(num_agents=2, min_at_lever=1, seed=0):
  tf.keras.utils.set_random_seed(seed)
  env = escape_room.EscapeRoom(num_agents, min_at_lever, seed=seed)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  agent = pg_c.PGcAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                        env.agent_ids, config=pg_c.PGcConfig(
                            hidden_sizes=(8,), incentive_hidden_sizes=(8,),
                            epsilon_start=0.5),
                        seed=seed)
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      agent.collect_data_spec, batch_size=1, max_length=2 * 6)
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, agent.collect_policy, observers=[buffer.add_batch],
      num_episodes=2).run(tf_env.reset())
  return agent, buffer.gather_all()


class SquashedGaussianTest(absltest.TestCase):

  def test_density_is_the_derivative_of_the_cdf(self):
    # a = R σ(u), u ~ N(m, 1): P(a <= x) = Φ(logit(x / R) - m).
    r_max, mean, h = 2.0, 0.4, 1e-5
    cdf = lambda x: 0.5 * (1 + math.erf(
        (math.log(x / (r_max - x)) - mean) / math.sqrt(2)))
    for x in (0.1, 0.7, 1.0, 1.6, 1.95):
      u = math.log(x / (r_max - x))
      density = math.exp(float(pg_c.squashed_gaussian_log_prob(
          tf.constant(u, tf.float64), tf.constant(mean, tf.float64), r_max)))
      self.assertAlmostEqual(density, (cdf(x + h) - cdf(x - h)) / (2 * h),
                             places=5)


class PGcAgentTest(absltest.TestCase):

  def test_recorded_noise_reproduces_the_rewards_given(self):
    agent, experience = _setup(3, 2, seed=1)
    info = experience.policy_info
    mask = returns.valid_mask(experience).numpy()[0] > 0
    recomputed = agent.incentives(
        agent._policy_inputs(experience),
        agent.layout.stack_actions(experience.action),
        info[incentives.NOISE])
    np.testing.assert_allclose(recomputed.numpy()[0][mask],
                               info[incentives.INCENTIVES].numpy()[0][mask],
                               rtol=1e-5, atol=1e-6)
    given = info[incentives.INCENTIVES].numpy()[0][mask]
    self.assertTrue(np.all(given[:, np.arange(3), np.arange(3)] == 0))
    self.assertGreater(given.std(), 0.0)  # Sampled, not deterministic.

  def test_loss_matches_a_hand_computation(self):
    agent, experience = _setup(seed=2)
    cfg = agent.config
    loss = agent.loss(experience)
    info = {k: v.numpy()[0] for k, v in experience.policy_info.items()}
    valid = returns.valid_mask(experience).numpy()[0]
    last = experience.is_last().numpy()[0]
    mean = agent.incentive_outputs(
        agent._policy_inputs(experience),
        agent.layout.stack_actions(experience.action)).numpy()[0]
    u = mean + info[incentives.NOISE]
    off = 1.0 - np.eye(2)
    given = cfg.max_incentive / (1 + np.exp(-u)) * off           # [T,G,N]
    rewards = (experience.reward.numpy()[0] + given.sum(axis=1)
               - cfg.give_cost * given.sum(axis=2))            # [T,N]
    g = np.zeros_like(rewards)
    running = np.zeros(2)
    for t in reversed(range(len(rewards))):
      running = rewards[t] + cfg.gamma * running * (1.0 - last[t])
      g[t] = running
    sig = 1 / (1 + np.exp(-u))
    log_density = (-0.5 * (u - mean) ** 2 - 0.5 * np.log(2 * np.pi)
                   - np.log(cfg.max_incentive * sig * (1 - sig)))
    log_give = (log_density * off).sum(axis=2)                   # [T,G]
    episodes = max(last.sum(), 1)
    give_loss = -(valid[:, None] * log_give * g).sum(axis=0) / episodes
    np.testing.assert_allclose(loss.extra.give_loss.numpy(), give_loss,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        loss.loss.numpy(),
        np.sum(loss.extra.policy_loss.numpy() + give_loss
               - cfg.entropy_coeff * loss.extra.entropy.numpy()),
        rtol=1e-5)

  def test_train_moves_policy_and_give_networks(self):
    agent, experience = _setup(seed=3)
    agent.build_optimizers()
    before = [v.numpy() for v in agent._trainable_variables()]
    self.assertTrue(np.isfinite(agent.train(experience).loss.numpy()))
    moved = [np.any(b != v.numpy()) for b, v in
             zip(before, agent._trainable_variables())]
    self.assertTrue(all(moved[:2]) and any(moved[-3:]))


if __name__ == "__main__":
  absltest.main()
