"""AgA: Hessian-vector products, every method's direction on a quadratic game
against its closed form, the sign rule near stable and unstable fixed
points, the games and the experiments' contracts."""

import math

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from absl.testing import parameterized

from mmagents.aga import experiments
from mmagents.aga import game as game_lib
from mmagents.aga import games
from mmagents.aga import optimizers


class QuadraticGame:
  """l_i(w) = ½ wᵀ Q_i w + b_iᵀ w; player i owns coordinates `slices[i]`."""

  def __init__(self, q, b, slices, w):
    self.q = [np.asarray(m, np.float64) for m in q]
    self.b = [np.asarray(v, np.float64) for v in b]
    self.slices = slices
    self.w = np.asarray(w, np.float64)
    self.variables = [tf.Variable(self.w[s], dtype=tf.float64)
                      for s in slices]
    self.game = game_lib.Game([[v] for v in self.variables], self._losses)

  def _losses(self):
    w = tf.concat(self.variables, 0)
    return tf.stack([0.5 * tf.tensordot(w, tf.linalg.matvec(q, w), 1)
                     + tf.tensordot(b, w, 1)
                     for q, b in zip(self.q, self.b)])

  # Closed forms.
  def gradient(self, i):
    return self.q[i] @ self.w + self.b[i]

  def xi(self):
    return np.concatenate([self.gradient(i)[s]
                           for i, s in enumerate(self.slices)])

  def jacobian(self):
    return np.concatenate([self.q[i][s] for i, s in enumerate(self.slices)])

  def hessian(self):
    return sum(self.q)

  def xi_c(self):
    return sum(self.gradient(i) for i in range(len(self.q)))


def _flat(vector):
  return np.concatenate([np.ravel(v.numpy()) for v in vector])


def _mixed_game(sign=1.0, w=(0.3, -0.2, 0.5)):
  q1 = sign * np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.4]])
  q2 = sign * np.array([[0.5, -0.4, 0.2], [-0.4, 1.5, 0.0], [0.2, 0.0, 2.0]])
  return QuadraticGame([q1, q2], [[0.1, -0.3, 0.2], [-0.2, 0.1, 0.3]],
                       [slice(0, 2), slice(2, 3)], w)


class DerivativeTest(absltest.TestCase):

  def test_hvp_equals_the_explicit_hessian_product(self):
    tf.keras.utils.set_random_seed(0)
    nets = [tf.keras.Sequential([tf.keras.layers.Dense(4, "tanh"),
                                 tf.keras.layers.Dense(1)])
            for _ in range(2)]
    x = tf.constant(np.random.default_rng(0).normal(size=(5, 3)), tf.float32)
    for net in nets:
      net.build((None, 3))

    def losses():
      out = [tf.reduce_mean(net(x) ** 2) for net in nets]
      cross = tf.reduce_mean(nets[0](x) * nets[1](x))
      return tf.stack([out[0] + cross, out[1] - cross])

    game = game_lib.Game([net.trainable_variables for net in nets], losses)
    variables = game.variables
    rng = np.random.default_rng(1)
    vector = [tf.constant(rng.normal(size=v.shape), tf.float32)
              for v in variables]
    got = _flat(game.collective_hvp(vector))
    with tf.GradientTape() as outer:
      with tf.GradientTape() as inner:
        collective = tf.reduce_sum(losses())
      flat_grad = tf.concat([tf.reshape(g, [-1]) for g in
                             inner.gradient(collective, variables)], 0)
    hessian = tf.concat([tf.reshape(j, [flat_grad.shape[0], -1]) for j in
                         outer.jacobian(flat_grad, variables)], 1).numpy()
    np.testing.assert_allclose(got, hessian @ _flat(vector), atol=1e-5)
    # And finite differences of the gradient along the vector.
    h = 1e-3
    plus, minus = [], []
    for sign, store in ((1.0, plus), (-1.0, minus)):
      for var, v in zip(variables, vector):
        var.assign_add(sign * h * v)
      store.append(_flat(game.collective_gradient()))
      for var, v in zip(variables, vector):
        var.assign_sub(sign * h * v)
    np.testing.assert_allclose(got, (plus[0] - minus[0]) / (2 * h),
                               atol=2e-3)

  def test_game_jacobian_products(self):
    g = _mixed_game()
    xi = g.game.simultaneous_gradient()
    np.testing.assert_allclose(_flat(xi), g.xi(), atol=1e-12)
    np.testing.assert_allclose(_flat(g.game.jacobian_vector(xi)),
                               g.jacobian() @ g.xi(), atol=1e-12)
    np.testing.assert_allclose(_flat(g.game.jacobian_transpose_vector(xi)),
                               g.jacobian().T @ g.xi(), atol=1e-12)
    xi_c = g.game.collective_gradient()
    np.testing.assert_allclose(_flat(xi_c), g.xi_c(), atol=1e-12)
    np.testing.assert_allclose(_flat(g.game.collective_hvp(xi_c)),
                               g.hessian() @ g.xi_c(), atol=1e-12)


class DirectionTest(parameterized.TestCase):

  def test_closed_forms(self):
    g = _mixed_game()
    xi, j, h, xi_c = g.xi(), g.jacobian(), g.hessian(), g.xi_c()
    lam = 0.3
    expected = {
        "simul_ind": xi,
        "simul_co": xi_c,
        "cga": xi + lam * j.T @ xi,
    }
    a = 0.5 * (j - j.T)
    grad_h = j.T @ xi
    sga_sign = np.sign(xi @ grad_h * (a.T @ xi) @ grad_h / 3 + 0.1)
    expected["sga"] = xi + sga_sign * lam * a.T @ xi
    grad_hc = h @ xi_c
    aga_sign = np.sign(xi_c @ grad_hc * (xi @ grad_hc + grad_hc @ grad_hc))
    expected["aga"] = xi_c + aga_sign * lam * (xi + grad_hc)
    expected["aga_no_sign"] = xi_c + lam * (xi + grad_hc)
    # SL: each player's own coordinates of ½ own + ½ the other's gradient.
    mixed = [0.5 * g.gradient(0) + 0.5 * g.gradient(1)] * 2
    expected["sl"] = np.concatenate([mixed[i][s]
                                     for i, s in enumerate(g.slices)])
    for name, want in expected.items():
      got = _flat(optimizers.make(name, lam).direction(g.game))
      np.testing.assert_allclose(got, want, atol=1e-10, err_msg=name)

  def test_svo_matches_finite_differences_of_the_shaped_losses(self):
    g = _mixed_game()
    method = optimizers.make("svo")
    got = _flat(method.direction(g.game))
    expected = []
    for i, s in enumerate(g.slices):
      for k in range(s.start, s.stop):
        values = []
        for sign in (1.0, -1.0):
          w = g.w.copy()
          w[k] += sign * 1e-6
          shifted = QuadraticGame(g.q, g.b, g.slices, w)
          values.append(method.shaped_losses(shifted._losses()).numpy()[i])
        expected.append((values[0] - values[1]) / 2e-6)
    np.testing.assert_allclose(got, expected, atol=1e-6)

  def test_step_moves_against_the_direction(self):
    g = _mixed_game()
    before = _flat(g.variables)
    direction = _flat(optimizers.step(g.game, optimizers.make("aga", 0.5),
                                      0.1))
    np.testing.assert_allclose(_flat(g.variables), before - 0.1 * direction)

  def test_unknown_method(self):
    with self.assertRaisesRegex(ValueError, "unknown method"):
      optimizers.make("lola")


def _angle(a, b):
  return math.acos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b),
                           -1, 1))


class SignRuleTest(parameterized.TestCase):
  """The sign rule of AgA: λ ⟨ξ_c, ∇H_c⟩ (⟨ξ, ∇H_c⟩ + ||∇H_c||²) >= 0."""

  @parameterized.parameters((1.0,), (-1.0,))
  def test_chosen_sign_satisfies_the_rule_near_fixed_points(self, curvature):
    g0 = _mixed_game(curvature)
    fixed = np.linalg.solve(g0.hessian(), -sum(g0.b))   # ξ_c = 0 there.
    rng = np.random.default_rng(3)
    for _ in range(5):
      g = _mixed_game(curvature, fixed + 0.05 * rng.normal(size=3))
      xi, xi_c = g.xi(), g.xi_c()
      grad_h = g.hessian() @ xi_c
      adjusted = _flat(optimizers.make("aga", 0.5).direction(g.game))
      # Recover the λ used from the direction: ξ̃ - ξ_c = λ (ξ + ∇H_c).
      lam = ((adjusted - xi_c) @ (xi + grad_h)
             / ((xi + grad_h) @ (xi + grad_h)))
      self.assertAlmostEqual(abs(lam), 0.5, places=9)
      self.assertGreaterEqual(
          lam * (xi_c @ grad_h) * (xi @ grad_h + grad_h @ grad_h), 0.0)

  def test_pulls_toward_grad_h_near_a_stable_fixed_point(self):
    # Separable losses (ξ = ξ_c) with a positive definite H_c: the aligned
    # direction turns toward ∇H_c; the unaligned one can turn away.
    q1 = np.array([[2.0, 0.4, 0.0], [0.4, 1.0, 0.0], [0.0, 0.0, 0.0]])
    q2 = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.5]])
    rng = np.random.default_rng(4)
    for _ in range(5):
      g = QuadraticGame([q1, q2], [np.zeros(3)] * 2,
                        [slice(0, 2), slice(2, 3)], 0.1 * rng.normal(size=3))
      grad_h = g.hessian() @ g.xi_c()
      aligned = _flat(optimizers.make("aga", -0.5).direction(g.game))
      self.assertLessEqual(_angle(aligned, grad_h),
                           _angle(g.xi_c(), grad_h) + 1e-12)

  def test_sign_follows_the_rule(self):
    method = optimizers.AgA(2.0)
    vec = lambda *v: [tf.constant(np.array(v, np.float64))]
    # ⟨ξ_c, ∇H⟩ > 0 and ⟨ξ, ∇H⟩ + ||∇H||² > 0: λ stays positive.
    self.assertEqual(float(method.sign(vec(1.0, 0.0), vec(1.0, 0.0),
                                       vec(1.0, 0.0))), 1.0)
    # ⟨ξ_c, ∇H⟩ < 0 with the second factor positive: λ flips.
    self.assertEqual(float(method.sign(vec(1.0, 0.0), vec(-1.0, 0.0),
                                       vec(1.0, 0.0))), -1.0)
    # Both factors negative: positive again.
    self.assertEqual(float(method.sign(vec(-3.0, 0.0), vec(-1.0, 0.0),
                                       vec(1.0, 0.0))), 1.0)


class GamesTest(absltest.TestCase):

  def test_public_goods_payoffs_and_equilibria(self):
    pg = games.PublicGoods([0.0, 0.0], parameterization="clip")
    for w, a in zip(pg.weights, (1.0, 0.0)):
      w.assign(a)
    np.testing.assert_allclose(pg.payoffs().numpy(), [0.75, 1.75])
    # Contributing lowers one's own payoff and raises the sum (c/n < 1 < c).
    xi = _flat(pg.game.simultaneous_gradient())
    xi_c = _flat(pg.game.collective_gradient())
    self.assertTrue(np.all(xi[:1] > 0) and np.all(xi_c[:1] < 0))
    sig = games.PublicGoods([0.0, 0.0, 0.0])
    np.testing.assert_allclose(sig.contributions().numpy(), [0.5] * 3)
    np.testing.assert_allclose(sig.payoffs().numpy(), [1.25] * 3)

  def test_toy_game_losses(self):
    toy = games.ToyGame([0.5, -1.0])
    np.testing.assert_allclose(
        toy.losses().numpy(),
        [-math.sin(0.5 * -1.0 + 1.0), -math.cos(1 + 0.5 - 0.0 + 0.5)],
        rtol=1e-6)

  def test_equality(self):
    np.testing.assert_allclose(games.equality([1.0, 1.0]), 1.0)
    np.testing.assert_allclose(games.equality([3.0, 1.0]), 1 - 2 / 8)


class ExperimentsTest(absltest.TestCase):

  def test_public_goods_table_ordering_on_a_short_run(self):
    setup = experiments.PublicGoodsSetup(runs=8, steps=40)
    table = experiments.summarize(experiments.public_goods(
        setup, ["simul_ind", "simul_co", "aga"]))
    sw = {m: table[m]["SW"][0] for m in table}
    self.assertGreater(sw["aga"], sw["simul_co"])
    self.assertGreater(sw["simul_co"], sw["simul_ind"])
    self.assertIn("Equality", experiments.format_table(table))

  def test_toy_game_only_collective_methods_reach_the_optimum(self):
    paths = experiments.toy_trajectories(
        experiments.ToySetup(), ["simul_ind", "simul_co", "aga",
                                 "aga_no_sign"])
    steps = {m: experiments.steps_to_optimum(p) for m, p in paths.items()}
    self.assertEqual(steps["simul_ind"], -1)
    self.assertGreater(steps["simul_co"], 0)
    self.assertGreater(steps["aga"], 0)
    self.assertLess(steps["aga"], steps["aga_no_sign"])


if __name__ == "__main__":
  absltest.main()
