"""HSD's flat baselines on primitive actions (thesis §4.3.2): IQL and QMIX.

* IQL: independent DQN with parameter sharing, Q(o^n, a) by an MLP of
  128-128, each agent's transitions trained on separately with the team
  reward; one minibatch step per ``steps_per_train`` environment steps.
* QMIX: the same utility network over primitive actions, mixed by
  `QMixer` conditioned on the global state (hypernetworks of width 64),
  trained on the team reward; one minibatch step per ``steps_per_train``
  environment steps.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from mmagents.core import replay as replay_lib
from mmagents.core import value_learning
from mmagents.hsd import team
from mmagents.qmix import learner as qmix_learner


@dataclasses.dataclass(frozen=True)
class IQLConfig(team.TeamQConfig):
  """IQL hyperparameters (thesis §4.3.2)."""


@dataclasses.dataclass(frozen=True)
class QMIXTeamConfig(team.TeamQConfig):
  """QMIX hyperparameters (thesis §4.3.2)."""
  mixer_embed_dim: int = 64
  mixer_hypernet_hidden: int = 0        # 0: single linear hypernetworks.
  # 0: Glorot, as measured for STS2; the hierarchical-marl code (and the
  # CM3-game QMIX, see mmagents/qmix/agent.py) draws them from N(0, 0.01).
  mixer_init_stddev: float = 0.0
  double_q: bool = False

  def __post_init__(self):
    super().__post_init__()
    if (self.mixer_embed_dim < 1 or self.mixer_hypernet_hidden < 0
        or self.mixer_init_stddev < 0):
      raise ValueError("need mixer_embed_dim >= 1, mixer_hypernet_hidden "
                       ">= 0 and mixer_init_stddev >= 0")


def agent_fields(input_size: int) -> replay_lib.FieldSpecs:
  """Replay rows of one agent's transition for a shared Q-learner."""
  return {"input": ((input_size,), tf.float32),
          "next_input": ((input_size,), tf.float32),
          "action": ((), tf.int32), "reward": ((), tf.float32),
          "bootstrap": ((), tf.float32)}


def team_fields(num_agents: int, observation_size: int, state_size: int
                ) -> replay_lib.FieldSpecs:
  """Replay rows of one joint transition for a `QMIXLearner`."""
  return {"observation": ((num_agents, observation_size), tf.float32),
          "next_observation": ((num_agents, observation_size), tf.float32),
          "state": ((state_size,), tf.float32),
          "next_state": ((state_size,), tf.float32),
          "choice": ((num_agents,), tf.int32), "reward": ((), tf.float32),
          "bootstrap": ((), tf.float32)}


def make_qmix_learner(config: QMIXTeamConfig, num_agents: int,
                      observation_size: int, state_size: int,
                      num_choices: int, name: str = "qmix_learner"
                      ) -> qmix_learner.QMIXLearner:
  c = config
  return qmix_learner.QMIXLearner(
      num_agents, observation_size, state_size, num_choices, c.hidden_sizes,
      c.mixer_embed_dim, c.learning_rate, c.target_update_rate,
      c.mixer_hypernet_hidden, c.double_q, c.grad_clip_norm,
      c.mixer_init_stddev, name=name)


class IQLAgent(team.TeamQAgent):
  """Independent Q-learning with a shared network."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: IQLConfig = IQLConfig(), seed: int = 0,
               name: str = "iql"):
    super().__init__(time_step_spec, action_spec, agent_ids, config,
                     seed=seed, name=name)
    c, d = config, self.layout.max_obs
    self.learner = value_learning.QLearner(
        d, self.layout.max_actions, c.hidden_sizes, c.learning_rate,
        c.target_update_rate, c.grad_clip_norm)
    self.replay = replay_lib.TransitionReplay(c.replay_capacity,
                                              agent_fields(d))
    self.updates_done = tf.Variable(0, dtype=tf.int64, trainable=False,
                                    name="updates_done")

  def build_optimizers(self) -> None:
    self.learner.build_optimizer()

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    q = self.learner.q_network(self.layout.stack_observations(observation))
    return value_learning.epsilon_greedy(q, self.explore_epsilon(explore))

  def _learn(self, experience) -> tf.Tensor:
    s = self.steps(experience)
    bootstrap = self.config.gamma * s["discount"]
    self.replay.add({
        "input": self.per_agent(s["observation"]),
        "next_input": self.per_agent(s["next_observation"]),
        "action": self.per_agent(s["action"]),
        "reward": self.repeat_for_agents(s["team_reward"]),
        "bootstrap": self.repeat_for_agents(bootstrap)},
        self.repeat_for_agents(s["valid"]))
    env_steps = self.replay.total_added // self.num_agents
    return self.run_updates(self.replay, env_steps, self.updates_done,
                            self._update)

  @tf.function(autograph=False)
  def _update(self) -> tf.Tensor:
    return self.learner.update(self.replay.sample(self.config.batch_size,
                                                  self.train_rng))


class QMIXTeamAgent(team.TeamQAgent):
  """QMIX on primitive actions with a state-conditioned mixer."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: QMIXTeamConfig = QMIXTeamConfig(), seed: int = 0,
               name: str = "qmix_team"):
    super().__init__(time_step_spec, action_spec, agent_ids, config,
                     seed=seed, name=name)
    d = self.layout.max_obs
    self.learner = make_qmix_learner(config, self.num_agents, d,
                                     self.state_size, self.layout.max_actions)
    self.replay = replay_lib.TransitionReplay(
        config.replay_capacity, team_fields(self.num_agents, d,
                                            self.state_size))
    self.updates_done = tf.Variable(0, dtype=tf.int64, trainable=False,
                                    name="updates_done")

  def build_optimizers(self) -> None:
    self.learner.build_optimizer()

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    q = self.learner.utility(self.layout.stack_observations(observation))
    return value_learning.epsilon_greedy(q, self.explore_epsilon(explore))

  def _learn(self, experience) -> tf.Tensor:
    s = self.steps(experience)
    self.replay.add({
        "observation": s["observation"],
        "next_observation": s["next_observation"],
        "state": s["state"], "next_state": s["next_state"],
        "choice": s["action"], "reward": s["team_reward"],
        "bootstrap": self.config.gamma * s["discount"]}, s["valid"])
    return self.run_updates(self.replay, self.replay.total_added,
                            self.updates_done, self._update)

  @tf.function(autograph=False)
  def _update(self) -> tf.Tensor:
    return self.learner.update(self.replay.sample(self.config.batch_size,
                                                  self.train_rng))
