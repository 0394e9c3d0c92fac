"""Incentive channels: rewards that agents (or a designer) give each other.

Incentives are not part of the environment. A policy with an incentive channel
samples all agents' actions, then computes the incentive matrix
``[B, givers, recipients]`` from the observations and the chosen actions in
the same batched call, and records it in the trajectory's ``policy_info``.
Training code adds what each agent received to its extrinsic reward and can
recompute the matrix differentiably from the recorded observations and
actions. The policy state carries, per episode, the total each giver has
given each recipient so far; methods that let agents observe what they gave
(LIO in Escape Room) append it to their observations.
"""

from __future__ import annotations

from typing import Callable, Optional

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step

from mmagents.core import policies

INCENTIVES = "incentives"   # Given at this step, [givers, recipients].
GIVEN = "given"             # Given earlier in this episode, same shape.
NOISE = "noise"             # Standard normal draws of stochastic incentives.

# (observation dict, given so far [B, G, N]) -> network inputs [B, N or G, D].
InputsFn = Callable[[dict, tf.Tensor], tf.Tensor]
# (inputs) -> behaviour probabilities [B, N, A].
ProbsFn = Callable[[tf.Tensor], tf.Tensor]
# (inputs, joint actions [B, N], noise [B, G, N] or None) -> [B, G, N].
IncentiveFn = Callable[[tf.Tensor, tf.Tensor, Optional[tf.Tensor]],
                       tf.Tensor]


def info_spec(num_givers: int, num_agents: int, noise: bool = False) -> dict:
  spec = tensor_spec.TensorSpec([num_givers, num_agents], tf.float32)
  return dict({INCENTIVES: spec, GIVEN: spec}, **({NOISE: spec} if noise
                                                  else {}))


def others_one_hot(actions: tf.Tensor, num_actions: int) -> tf.Tensor:
  """One-hot actions of every other agent, per agent.

  Args:
    actions: int ``[..., N]`` joint actions.
    num_actions: one-hot width (the largest action count).

  Returns:
    ``[..., N, (N - 1) * num_actions]``: row i holds the one-hot actions of
    agents 0..N-1 without i, in index order.
  """
  num_agents = actions.shape[-1]
  one_hot = tf.one_hot(actions, num_actions)                 # [..., N, A]
  rows = []
  for i in range(num_agents):
    others = [one_hot[..., j, :] for j in range(num_agents) if j != i]
    rows.append(tf.concat(others, axis=-1))
  return tf.stack(rows, axis=-2)


def who_chose(actions: tf.Tensor, action: int) -> tf.Tensor:
  """Which of the other agents chose `action`, as each agent sees it.

  Args:
    actions: int ``[..., N]`` joint actions.
    action: the watched action (Cleanup: clean).

  Returns:
    ``[..., N, N-1]``: row i (what agent i sees) flags every other agent j,
    in agent order, whose action is `action` (the thesis' incentive function
    observes the other agents' actions, not its own).
  """
  chose = tf.cast(tf.equal(actions, action), tf.float32)      # [..., N]
  num_agents = actions.shape[-1]
  return off_diagonal(tf.repeat(chose[..., None, :], num_agents, axis=-2))


def off_diagonal(matrix: tf.Tensor) -> tf.Tensor:
  """``[..., N, N]`` → ``[..., N, N-1]``: row i without its entry i."""
  num_agents = matrix.shape[-1]
  rows = [tf.gather(matrix[..., i, :], [j for j in range(num_agents)
                                        if j != i], axis=-1)
          for i in range(num_agents)]
  return tf.stack(rows, axis=-2)


class IncentiveChannelPolicy(tf_policy.TFPolicy):
  """Joint categorical actions plus the incentives given at each step.

  With ``noise=True`` the incentives are stochastic (a give-reward *action*,
  as in PG-c): the policy draws standard normal noise, passes it to
  `incentive_fn` and records it, so training recomputes the exact sample.
  `incentive_fn` reads the agents' inputs, or with `giver_inputs_fn` inputs
  of its own (a central designer reads the global state).
  """

  def __init__(self, time_step_spec, action_spec, agent_ids,
               inputs_fn: InputsFn, probs_fn: ProbsFn,
               incentive_fn: IncentiveFn,
               num_givers: int, generator: tf.random.Generator,
               noise: bool = False,
               giver_inputs_fn: Optional[InputsFn] = None,
               name: Optional[str] = None):
    self._agent_ids = tuple(agent_ids)
    num_agents = len(self._agent_ids)
    super().__init__(
        time_step_spec, action_spec,
        policy_state_spec=tensor_spec.TensorSpec([num_givers, num_agents],
                                                 tf.float32),
        info_spec=info_spec(num_givers, num_agents, noise), name=name)
    self._noise = noise
    self._inputs_fn = inputs_fn
    self._probs_fn = probs_fn
    self._incentive_fn = incentive_fn
    self._giver_inputs_fn = giver_inputs_fn
    self._generator = generator

  def _action(self, time_step, policy_state, seed):
    del seed  # Sampling uses the checkpointed generator.
    first = time_step.is_first()[:, None, None]
    given = tf.where(first, tf.zeros_like(policy_state), policy_state)
    inputs = self._inputs_fn(time_step.observation, given)
    joint = policies.gumbel_max_sample(self._probs_fn(inputs), self._generator)
    info = {GIVEN: given}
    noise = None
    if self._noise:
      noise = info[NOISE] = self._generator.normal(tf.shape(given))
    giver_inputs = (inputs if self._giver_inputs_fn is None else
                    self._giver_inputs_fn(time_step.observation, given))
    incentives = info[INCENTIVES] = self._incentive_fn(giver_inputs, joint,
                                                       noise)
    actions = {a: tf.cast(joint[:, i], self.action_spec[a].dtype)
               for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(actions, given + incentives, info)
