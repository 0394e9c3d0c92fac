"""Hand-made TF-Agents trajectories for loss tests."""

import numpy as np
import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory


def single_row(agent_ids, observations, step_types, actions, rewards,
               discounts=None) -> trajectory.Trajectory:
  """A ``[1, T]`` trajectory; every agent sees `observations` ``[T, D]``.

  Args:
    agent_ids: agent ids in index order.
    observations: ``[T, D]`` observation of every agent at each step.
    step_types: T step types; the next step types follow from them.
    actions: ``[T, N]`` actions.
    rewards: ``[T, N]`` rewards.
    discounts: T discounts (default all 1).
  """
  t = len(step_types)
  obs = np.asarray(observations, np.float32)[None]
  step_types = np.array([step_types], np.int32)
  next_types = np.roll(step_types, -1, axis=1)
  next_types[0, -1] = ts.StepType.FIRST
  actions = np.array([actions], np.int32)
  discounts = np.ones(t) if discounts is None else np.asarray(discounts)
  return trajectory.Trajectory(
      step_type=tf.constant(step_types),
      observation={a: tf.constant(obs) for a in agent_ids},
      action={a: tf.constant(actions[..., i])
              for i, a in enumerate(agent_ids)},
      policy_info=(),
      next_step_type=tf.constant(next_types),
      reward=tf.constant(np.array([rewards], np.float32)),
      discount=tf.constant(discounts[None].astype(np.float32)))


def collect_episodes(agent, tf_env, max_steps: int,
                     episodes: int = 1) -> trajectory.Trajectory:
  """`episodes` whole episodes of `agent.collect_policy` as ``[1, T]``."""
  from tf_agents.drivers import dynamic_episode_driver  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import tf_uniform_replay_buffer  # pylint: disable=g-import-not-at-top
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      agent.collect_data_spec, batch_size=1,
      max_length=episodes * (max_steps + 1))
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, agent.collect_policy, observers=[buffer.add_batch],
      num_episodes=episodes).run(tf_env.reset())
  return buffer.gather_all()
