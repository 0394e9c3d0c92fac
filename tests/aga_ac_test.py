"""AgA for actor-critic learners: the loaded-DiCE surrogate's Hessian against
the exact Hessian of an enumerated game, and each method's direction on a
tiny Cleanup against the gradients it is defined by."""

import itertools

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from absl.testing import parameterized

from mmagents.aga import actor_critic as aga_ac
from mmagents.aga import game as game_lib
from mmagents.aga import policy_gradient
from mmagents.agents import pg
from mmagents.core import returns as returns_lib
from tests import tiny_cleanup

# Two agents, two actions each, two steps; reward of step t for joint action
# (a1, a2), summed over agents (the collective reward).
_REWARDS = np.array([[[1.0, -0.5], [2.0, 0.3]],
                     [[-1.0, 0.7], [0.4, 1.5]]])       # [t, a1, a2]
_LOGITS = np.array([[0.3, -0.2], [-0.4, 0.6]])          # [agent, action]


def _reward(t, a):
  """Collective reward of step t on trajectory a = (a1_0, a2_0, a1_1,
  a2_1); step 1's also depends on step 0's actions."""
  if t == 0:
    return _REWARDS[0, a[0], a[1]]
  return _REWARDS[1, a[2], a[3]] + 0.8 * (a[2] == a[0]) - 0.5 * a[1] * a[3]


def _exact_loss(logits):
  """-E[Σ_t r_t] of stateless softmax policies, by enumeration."""
  probs = tf.nn.softmax(logits)
  total = tf.constant(0.0, tf.float64)
  for a in itertools.product(range(2), repeat=4):       # a1_0 a2_0 a1_1 a2_1
    p = probs[0, a[0]] * probs[1, a[1]] * probs[0, a[2]] * probs[1, a[3]]
    total += p * (_reward(0, a) + _reward(1, a))
  return -total


def _dice_loss(logits, horizon=0):
  """The loaded-DiCE surrogate over all 16 trajectories, each weighted by
  its (constant) probability, with the return-to-go as advantage."""
  log_probs, advantages, weights = [], [], []
  probs = tf.nn.softmax(logits)
  for a in itertools.product(range(2), repeat=4):
    steps = ((a[0], a[1]), (a[2], a[3]))
    log_probs.append([[tf.math.log(probs[j, step[j]]) for j in range(2)]
                      for step in steps])
    rewards = [_reward(t, a) for t in range(2)]
    advantages.append([rewards[0] + rewards[1], rewards[1]])
    weights.append(tf.reduce_prod([probs[j, s[j]] for s in steps
                                   for j in range(2)]))
  weights = tf.stop_gradient(tf.stack(weights))[:, None]
  is_first = tf.constant([[True, False]] * 16)
  return policy_gradient.loaded_dice_loss(
      tf.convert_to_tensor(log_probs),
      weights * tf.constant(advantages, tf.float64), is_first, horizon)


def _flat(vector):
  return np.concatenate([np.ravel(np.asarray(v)) for v in vector])


class LoadedDiceTest(tf.test.TestCase):

  def test_prefix_sums_restart_at_each_episode(self):
    values = tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0]])
    is_first = tf.constant([[True, False, True, False, False]])
    self.assertAllClose(
        policy_gradient.episode_prefix_sums(values, is_first),
        [[1.0, 3.0, 3.0, 7.0, 12.0]])

  def test_prefix_sums_within_a_horizon(self):
    values = tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0]])
    is_first = tf.constant([[True, False, False, True, False]])
    self.assertAllClose(
        policy_gradient.episode_prefix_sums(values, is_first, horizon=2),
        [[1.0, 3.0, 5.0, 4.0, 9.0]])

  def test_horizon_one_drops_only_cross_time_terms(self):
    logits = tf.Variable(_LOGITS)

    def step_hessian(horizon):
      game = game_lib.SurrogateGame(
          [logits], lambda: (_dice_loss(logits, horizon),) * 2)
      return np.stack([_flat(game.collective_hvp([tf.reshape(e, (2, 2))]))
                       for e in np.eye(4)], 1)

    full, step = step_hessian(0), step_hessian(1)
    self.assertGreater(np.abs(full - step).max(), 1e-3)
    self.assertAllClose(step, step.T)       # Still a symmetric Hessian.

  def test_value_and_gradient_are_the_score_function_ones(self):
    log_probs = tf.Variable([[[-0.5, -1.0], [-0.2, -0.7]]])
    advantages = tf.constant([[2.0, -1.0]])
    with tf.GradientTape() as tape:
      loss = policy_gradient.loaded_dice_loss(log_probs, advantages,
                                              tf.constant([[True, False]]))
    self.assertAllClose(loss, 0.0)
    self.assertAllClose(tape.gradient(loss, log_probs),
                        [[[-2.0, -2.0], [1.0, 1.0]]])

  def test_hessian_is_the_exact_hessian_of_the_expected_return(self):
    logits = tf.Variable(_LOGITS)
    with tf.GradientTape() as outer:
      with tf.GradientTape() as inner:
        exact = _exact_loss(logits)
      exact_grad = inner.gradient(exact, logits)
    exact_hessian = outer.jacobian(exact_grad, logits).numpy().reshape(4, 4)

    game = game_lib.SurrogateGame([logits],
                                  lambda: (_dice_loss(logits),) * 2)
    self.assertAllClose(_flat(game.collective_gradient()),
                        _flat([exact_grad]), atol=1e-10)
    columns = [_flat(game.collective_hvp([tf.reshape(e, (2, 2))]))
               for e in np.eye(4)]
    self.assertAllClose(np.stack(columns, 1), exact_hessian, atol=1e-10)
    # A plain score-function loss misses the cross terms.
    self.assertGreater(np.abs(exact_hessian[:2, 2:]).max(), 1e-2)


class AgAACTest(tf.test.TestCase, parameterized.TestCase):

  def _agent(self, **config):
    agent, tf_env = tiny_cleanup.setup(
        aga_ac.AgAACAgent, aga_ac.AgAACConfig(**config), seed=1)
    return agent, tiny_cleanup.collect(agent, tf_env, episodes=2)

  def _reference(self, agent, experience):
    """ξ, ξ_c and H_c ξ_c from their definitions (reverse over reverse)."""
    variables = agent.policy_net.trainable_variables
    inputs = agent._policy_inputs(experience)
    mask = returns_lib.valid_mask(experience)[..., None]
    advantages = mask * agent.step_weights(experience, inputs,
                                           experience.reward)
    episodes = returns_lib.num_episodes(experience)
    with tf.GradientTape() as outer:
      with tf.GradientTape(persistent=True) as tape:
        probs = agent.policy_probs(agent.policy_net.layer_weights, inputs,
                                   agent.epsilon)
        log_probs = mask * pg.log_prob_taken(
            probs, agent.layout.stack_actions(experience.action), mask)
        entropy = tf.reduce_sum(
            mask * -tf.reduce_sum(tf.math.xlogy(probs, probs), -1))
        bonus = agent.config.entropy_coeff * entropy / episodes
        own = -tf.reduce_sum(log_probs * advantages) / episodes - bonus
        collective_score = -tf.reduce_sum(
            log_probs * tf.reduce_sum(advantages, -1, keepdims=True)
        ) / episodes - bonus
        dice = policy_gradient.loaded_dice_loss(
            log_probs, tf.reduce_sum(advantages, -1),
            experience.is_first()) / episodes - bonus
      xi = tape.gradient(own, variables)
      xi_c = tape.gradient(collective_score, variables)
      dice_grad = tape.gradient(dice, variables)
      inner = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(c))
                        for g, c in zip(dice_grad, xi_c)])
    hvp = outer.gradient(inner, variables)
    return _flat(xi), _flat(xi_c), _flat(hvp)

  @parameterized.parameters("simul_ind", "simul_co", "aga", "aga_no_sign")
  def test_direction_matches_its_definition(self, method):
    agent, experience = self._agent(method=method, alignment=0.5)
    xi, xi_c, hvp = self._reference(agent, experience)
    inputs = agent._policy_inputs(experience)
    game = game_lib.SurrogateGame(
        agent.policy_net.trainable_variables,
        lambda: agent.surrogates(experience, inputs)[:2])
    got = _flat(agent.method.direction(game))
    if method == "simul_ind":
      want = xi
    elif method == "simul_co":
      want = xi_c
    else:
      sign = 1.0
      if method == "aga":
        sign = np.sign(xi_c @ hvp * (xi @ hvp + hvp @ hvp)) or 1.0
      want = xi_c + sign * 0.5 * (xi + hvp)
    self.assertAllClose(got, want, rtol=1e-4, atol=1e-6)

  def test_individual_surrogate_is_the_actor_critic_loss(self):
    agent, experience = self._agent(method="simul_ind")
    inputs = agent._policy_inputs(experience)
    policy_loss, entropy = agent.reinforce_terms(
        agent.policy_net.layer_weights, experience, inputs,
        experience.reward, agent.epsilon)
    individual = agent.surrogates(experience, inputs)[0]
    self.assertAllClose(individual, tf.reduce_sum(
        policy_loss - agent.config.entropy_coeff * entropy))

  def test_train_moves_policy_and_critic_and_is_deterministic(self):
    results = []
    for _ in range(2):
      agent, experience = self._agent(method="aga", alignment=10.0)
      before = _flat(agent.policy_net.trainable_variables)
      critic = _flat(agent.value_net.trainable_variables)
      loss = agent.train(experience).loss
      self.assertTrue(np.isfinite(loss.numpy()))
      after = _flat(agent.policy_net.trainable_variables)
      self.assertGreater(np.abs(after - before).max(), 0.0)
      self.assertGreater(
          np.abs(_flat(agent.value_net.trainable_variables) - critic).max(),
          0.0)
      self.assertBetween(agent.scalars()["alignment_sign"], -1.0, 1.0)
      results.append(after)
    self.assertAllClose(results[0], results[1], rtol=0, atol=0)

  def test_bad_configs_raise(self):
    with self.assertRaisesRegex(ValueError, "method"):
      aga_ac.AgAACConfig(method="sga")
    with self.assertRaisesRegex(ValueError, "individual"):
      aga_ac.AgAACConfig(reward="collective")
    with self.assertRaisesRegex(ValueError, "finite"):
      aga_ac.AgAACConfig(alignment=float("inf"))
    with self.assertRaisesRegex(ValueError, "loss_scale"):
      aga_ac.AgAACConfig(loss_scale="batch")


if __name__ == "__main__":
  absltest.main()
