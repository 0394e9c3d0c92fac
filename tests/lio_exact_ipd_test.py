"""Exact LIO on the stateless IPD: autodiff vs. Eq. B.4-B.8, Proposition 3."""

import numpy as np
from absl.testing import absltest

from mmagents.lio import exact_ipd

_ALPHA, _BETA, _GAMMA = 0.01, 0.01, 0.9


def _random_points(num):
  rng = np.random.default_rng(0)
  for _ in range(num):
    yield (rng.uniform(0, 1, 2), rng.uniform(0, exact_ipd.R_MAX, (2, 2)),
           rng.uniform(0.001, 0.1), rng.uniform(0.001, 0.1),
           rng.uniform(0.5, 0.99))


class ExactIPDTest(absltest.TestCase):

  def test_values_match_payoff_table(self):
    eta = np.array([[0.5, 0.25], [2.0, 1.0]])
    for (a1, a2), payoff in zip([(1, 1), (1, 0), (0, 1), (0, 0)],
                                exact_ipd.PAYOFFS):
      v1, v2 = exact_ipd.values(float(a1), float(a2), eta[0], eta[1], 0.5)
      # Each agent receives the other's incentive for its own action.
      np.testing.assert_allclose(
          [v1, v2], 2 * (payoff + [eta[1][1 - a1], eta[0][1 - a2]]))

  def test_recipient_update_matches_closed_form(self):
    for theta, eta, alpha, _, gamma in _random_points(5):
      hat1, hat2 = exact_ipd.recipient_update(theta[0], theta[1], eta[0],
                                              eta[1], alpha, gamma)
      np.testing.assert_allclose(
          [hat1, hat2],
          [exact_ipd.closed_form_policy_update(theta[0], eta[1], alpha, gamma),
           exact_ipd.closed_form_policy_update(theta[1], eta[0], alpha, gamma)],
          atol=1e-6)

  def test_incentive_update_matches_closed_form(self):
    for theta, eta, alpha, beta, gamma in _random_points(5):
      new1, new2, hat1, hat2 = exact_ipd.incentive_update(
          theta[0], theta[1], eta[0], eta[1], alpha, beta, gamma)
      np.testing.assert_allclose(
          new1, exact_ipd.closed_form_incentive_update(
              eta[0], hat1, eta[1], alpha, beta, gamma), atol=1e-6)
      np.testing.assert_allclose(
          new2, exact_ipd.closed_form_incentive_update(
              eta[1], hat2, eta[0], alpha, beta, gamma), atol=1e-6)
      # Eq. B.6: η^1 moves by exactly βα/(1-γ)²·2·[1, -1].
      np.testing.assert_allclose(
          new1 - eta[0], beta * alpha / (1 - gamma) ** 2 * 2 * np.array(
              [1.0, -1.0]), atol=1e-6)

  def test_b_is_two(self):
    for theta, eta, *_ in _random_points(5):
      self.assertAlmostEqual(
          float(exact_ipd.closed_form_b(theta[0], eta[1])), 2.0, places=12)

  def test_step_clips(self):
    state = exact_ipd.State(theta=np.array([0.999, 0.001]),
                            eta=np.array([[2.99, 0.01], [0.0, 3.0]]))
    new = exact_ipd.step(state, alpha=0.1, beta=0.1, gamma=0.9)
    np.testing.assert_allclose(new.theta, [0.0, 1.0])
    np.testing.assert_allclose(new.eta, [[3.0, 0.0], [2.0, 1.0]])

  def _check_converges(self, theta0, eta0):
    thetas, etas = exact_ipd.simulate(200, theta0, eta0, _ALPHA, _BETA,
                                      _GAMMA)
    eta_c, eta_d = etas[..., 0], etas[..., 1]
    self.assertTrue(np.all(np.diff(eta_c, axis=0) >= 0))
    self.assertTrue(np.all(np.diff(eta_d, axis=0) <= 0))
    self.assertTrue(np.all(eta_c[-1] > eta_c[0]))
    np.testing.assert_allclose(etas[-1], [[3.0, 0.0], [3.0, 0.0]])
    # CC becomes dominant once η_C - η_D - 1 > 0 (Table B.1) for both givers;
    # from then on both agents only move toward cooperation.
    dominant = np.all(eta_c - eta_d - 1 > 0, axis=1)
    self.assertTrue(dominant[-1])
    first = int(np.argmax(dominant))
    self.assertTrue(np.all(np.diff(thetas[first:], axis=0) >= 0))
    self.assertTrue(np.all(thetas[-1] > 0.95))
    self.assertTrue(np.all(thetas[-1] > np.asarray(theta0)))
    return thetas, etas

  def test_converges_to_mutual_cooperation(self):
    """Proposition 3, from θ = (0.3, 0.3) and no incentives."""
    thetas, _ = self._check_converges((0.3, 0.3), ((0.0, 0.0), (0.0, 0.0)))
    reached = int(np.argmax(np.all(thetas > 0.95, axis=1)))
    self.assertBetween(reached, 1, 100)

  def test_incentive_for_defection_falls(self):
    _, etas = self._check_converges((0.6, 0.2), ((0.5, 1.0), (0.0, 2.0)))
    self.assertTrue(np.all(np.diff(etas[:20, :, 1], axis=0) < 0))


if __name__ == "__main__":
  absltest.main()
