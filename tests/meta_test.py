"""Differentiable inner updates against closed forms."""

import numpy as np
import tensorflow as tf
from absl.testing import absltest

from mmagents.core import meta


class DifferentiableSgdStepTest(absltest.TestCase):

  def test_meta_gradient_of_a_quadratic_matches_the_closed_form(self):
    # Inner: L(θ, η) = ½||θ - η||², so θ' = θ - lr (θ - η).
    # Outer: J = ||θ'||², so dJ/dη = 2 lr θ'.
    theta = tf.constant([0.5, -1.0, 2.0], tf.float64)
    eta = tf.Variable([1.0, 0.3, -0.7], dtype=tf.float64)
    lr = 0.3
    with tf.GradientTape() as tape:
      (updated,) = meta.differentiable_sgd_step(
          lambda w: 0.5 * tf.reduce_sum(tf.square(w[0] - eta)), [theta], lr)
      outer = tf.reduce_sum(tf.square(updated))
    expected_theta = theta - lr * (theta - eta)
    np.testing.assert_allclose(updated, expected_theta, rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(outer, eta),
                               2 * lr * expected_theta, rtol=1e-12)

  def test_second_order_term_is_kept(self):
    # L(θ, η) = η θ³ / 3: g = η θ², θ' = θ - lr η θ²; dθ'/dη = -lr θ².
    theta, lr = tf.constant(1.5, tf.float64), 0.1
    eta = tf.Variable(2.0, dtype=tf.float64)
    with tf.GradientTape() as tape:
      (updated,) = meta.differentiable_sgd_step(
          lambda w: eta * w[0] ** 3 / 3.0, [theta], lr)
    self.assertAlmostEqual(float(tape.gradient(updated, eta)),
                           -lr * 1.5 ** 2, places=12)

  def test_sgd_step_leaves_weights_without_gradient(self):
    w = [tf.constant(1.0), tf.constant(2.0)]
    out = meta.sgd_step(w, [tf.constant(0.5), None], 0.1)
    self.assertAlmostEqual(float(out[0]), 0.95, places=6)
    self.assertAlmostEqual(float(out[1]), 2.0, places=6)


class PerOwnerGradientsTest(absltest.TestCase):

  def test_each_owner_gets_only_its_own_objective(self):
    # Three owners stacked on axis 0; loss_i depends on every owner's row.
    variable = tf.Variable(np.arange(6.0).reshape(3, 2), dtype=tf.float64)
    coeffs = tf.constant(np.arange(1.0, 10.0).reshape(3, 3), tf.float64)
    with tf.GradientTape(persistent=True) as tape:
      row_sums = tf.reduce_sum(tf.square(variable), axis=1)   # [3]
      losses = tf.unstack(tf.linalg.matvec(coeffs, row_sums))  # loss_i
    (grad,) = meta.per_owner_gradients(tape, losses, [variable])
    # ∂ loss_i / ∂ row_i = coeffs[i, i] · 2 row_i.
    expected = np.diag(coeffs.numpy())[:, None] * 2 * variable.numpy()
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


if __name__ == "__main__":
  absltest.main()
