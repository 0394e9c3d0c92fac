"""Exact LIO on the stateless Iterated Prisoner's Dilemma (thesis App. B.2).

Each agent i has a policy parameter θ^i (its probability of cooperating) and
an incentive η^i = [η_C^i, η_D^i] that it gives the other agent when that
agent plays C or D. Values are exact (no sampling), V^i = pᵀ r^i / (1 - γ),
and all gradients come from TensorFlow autodiff: recipients take one gradient
ascent step on their own value, and givers differentiate their value under
the updated recipient policy through that step (a meta-gradient). The
``closed_form_*`` helpers give Eq. B.4-B.8 so tests can check the autodiff
updates, and ``simulate`` traces the dynamics behind Proposition 3.
"""

from __future__ import annotations

from typing import NamedTuple, Tuple

import numpy as np
import tensorflow as tf

DTYPE = tf.float64  # Double precision so autodiff matches closed forms tightly.
R_MAX = 3.0  # Incentives lie in [0, R_MAX], as in the thesis' IPD runs.

# Extrinsic payoffs (agent 1, agent 2) for joint actions CC, CD, DC, DD.
PAYOFFS = np.array([[-1.0, -1.0], [-3.0, 0.0], [0.0, -3.0], [-2.0, -2.0]])


class State(NamedTuple):
  """Parameters of both agents; index 0 is agent 1, index 1 agent 2."""
  theta: tf.Tensor  # [2] probabilities of cooperating.
  eta: tf.Tensor  # [2, 2]; eta[i] = [η_C, η_D] that agent i gives the other.


def _t(x) -> tf.Tensor:
  return tf.convert_to_tensor(x, DTYPE)


def joint_probs(theta1: tf.Tensor, theta2: tf.Tensor) -> tf.Tensor:
  """Probabilities p of the joint actions CC, CD, DC, DD (Eq. B.1)."""
  return tf.stack([theta1 * theta2, theta1 * (1 - theta2),
                   (1 - theta1) * theta2, (1 - theta1) * (1 - theta2)])


def total_rewards(eta1: tf.Tensor,
                  eta2: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
  """Extrinsic payoff plus incentive received, per joint action (B.2, B.3)."""
  received1 = tf.stack([eta2[0], eta2[0], eta2[1], eta2[1]])  # By a^1.
  received2 = tf.stack([eta1[0], eta1[1], eta1[0], eta1[1]])  # By a^2.
  return _t(PAYOFFS[:, 0]) + received1, _t(PAYOFFS[:, 1]) + received2


def values(theta1, theta2, eta1, eta2,
           gamma: float) -> Tuple[tf.Tensor, tf.Tensor]:
  """Discounted values (V^1, V^2) of the repeated one-shot game (Eq. B.1)."""
  p = joint_probs(_t(theta1), _t(theta2))
  r1, r2 = total_rewards(_t(eta1), _t(eta2))
  scale = 1.0 / (1.0 - gamma)
  return scale * tf.tensordot(p, r1, 1), scale * tf.tensordot(p, r2, 1)


def recipient_update(theta1, theta2, eta1, eta2, alpha: float,
                     gamma: float) -> Tuple[tf.Tensor, tf.Tensor]:
  """One gradient ascent step of each agent on its own value (B.4, B.5).

  Differentiable in the incentives, so an enclosing tape that watches them
  sees how each recipient's step depends on what it was given.
  """
  theta1, theta2 = _t(theta1), _t(theta2)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([theta1, theta2])
    v1, v2 = values(theta1, theta2, eta1, eta2, gamma)
  grad1, grad2 = tape.gradient(v1, theta1), tape.gradient(v2, theta2)
  del tape
  return theta1 + alpha * grad1, theta2 + alpha * grad2


def incentive_update(theta1, theta2, eta1, eta2, alpha: float, beta: float,
                     gamma: float) -> Tuple[tf.Tensor, ...]:
  """Meta-gradient ascent step of each giver's incentive (B.6-B.8).

  Agent i's value is evaluated under the updated policies θ̂ and
  differentiated w.r.t. η^i through the recipient's update, which is
  recomputed inside the tape so that its dependence on η^i is recorded.

  Returns:
    (new η^1, new η^2, θ̂^1, θ̂^2), all unclipped.
  """
  eta1, eta2 = _t(eta1), _t(eta2)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([eta1, eta2])
    theta1_hat, theta2_hat = recipient_update(theta1, theta2, eta1, eta2,
                                              alpha, gamma)
    v1, v2 = values(theta1_hat, theta2_hat, eta1, eta2, gamma)
  grad1, grad2 = tape.gradient(v1, eta1), tape.gradient(v2, eta2)
  del tape
  return eta1 + beta * grad1, eta2 + beta * grad2, theta1_hat, theta2_hat


def step(state: State, alpha: float, beta: float, gamma: float) -> State:
  """One exact-LIO iteration for both agents.

  Recipients update their policies with the current incentives; givers then
  update their incentives by how those updates changed their own value. The
  meta-gradient is taken through the unclipped update (as in the analysis);
  policies are then clipped to [0, 1] and incentives to [0, R_MAX].
  """
  theta, eta = _t(state.theta), _t(state.eta)
  eta1, eta2, theta1, theta2 = incentive_update(
      theta[0], theta[1], eta[0], eta[1], alpha, beta, gamma)
  return State(theta=tf.clip_by_value(tf.stack([theta1, theta2]), 0.0, 1.0),
               eta=tf.clip_by_value(tf.stack([eta1, eta2]), 0.0, R_MAX))


def closed_form_policy_update(theta_j, eta_i, alpha: float, gamma: float):
  """θ̂^j = θ^j + α/(1-γ)·(η_C^i - η_D^i - 1): recipient j, giver i (B.4)."""
  return theta_j + alpha / (1.0 - gamma) * (eta_i[0] - eta_i[1] - 1.0)


def closed_form_b(theta_hat_i, eta_j):
  """Scalar B of Eq. B.7 for giver i, written out term by term; equals 2."""
  return (theta_hat_i * (-1.0 + eta_j[0]) - theta_hat_i * (-3.0 + eta_j[0])
          + (1.0 - theta_hat_i) * eta_j[1]
          - (1.0 - theta_hat_i) * (-2.0 + eta_j[1]))


def closed_form_incentive_update(eta_i, theta_hat_i, eta_j, alpha: float,
                                 beta: float, gamma: float) -> np.ndarray:
  """η^i + βα/(1-γ)²·B·[1, -1] for giver i, recipient j (B.6, B.8)."""
  b = closed_form_b(theta_hat_i, eta_j)
  return (np.asarray(eta_i, np.float64)
          + beta * alpha / (1.0 - gamma) ** 2 * b * np.array([1.0, -1.0]))


def simulate(num_iterations: int, theta0=(0.3, 0.3), eta0=((0.0, 0.0),) * 2,
             alpha: float = 0.01, beta: float = 0.01,
             gamma: float = 0.9) -> Tuple[np.ndarray, np.ndarray]:
  """Runs exact LIO from (θ0, η0).

  Returns:
    (thetas [num_iterations + 1, 2], etas [num_iterations + 1, 2, 2]) as
    numpy arrays, starting with the initial parameters.
  """
  state = State(theta=_t(theta0), eta=_t(eta0))
  update = tf.function(lambda s: step(s, alpha, beta, gamma))
  thetas, etas = [state.theta.numpy()], [state.eta.numpy()]
  for _ in range(num_iterations):
    state = update(state)
    thetas.append(state.theta.numpy())
    etas.append(state.eta.numpy())
  return np.stack(thetas), np.stack(etas)
