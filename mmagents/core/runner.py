"""The experiment loop shared by every on-policy launcher.

One iteration = the agent's `train_iteration`, given a `collect` function that
plays ``episodes_per_iteration`` whole episodes with the collect policy through
a TF-Agents `DynamicEpisodeDriver` into a `TFUniformReplayBuffer` (by default:
collect once, train once; LIO collects twice); the whole iteration is one
`tf.function` call. The episode counter counts iterations times
``episodes_per_iteration``; ``env_steps`` counts every step played. Every ``eval_interval`` episodes the
agent's evaluation policy plays ``num_eval_episodes`` episodes on a separate
environment (and, with ``greedy_eval_episodes``, its mode plays that many on
a third, for ``greedy_return_mean``); the row (with the agent's `experience_metrics`) goes to ``metrics.jsonl`` and TensorBoard, then a
checkpoint is saved that records how many rows exist. Restarting the same
command restores the latest checkpoint (networks, optimizer, counters, policy
and environment random states) and truncates rows written after it, so the
file never loses or duplicates a row and the resumed run draws the same
numbers as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment
from tf_agents.replay_buffers import tf_uniform_replay_buffer

from environments import base as env_base
from mmagents.core import agent as agent_lib
from mmagents.core import experiment_io
from mmagents.core import returns as returns_lib

EnvFactory = Callable[[int], env_base.MultiAgentPyEnvironment]
AgentFactory = Callable[[tf_py_environment.TFPyEnvironment,
                         env_base.MultiAgentPyEnvironment],
                        agent_lib.MultiAgentTFAgent]

_EVAL_SEED_OFFSET = 10_007
_GREEDY_SEED_OFFSET = 20_011
_PARALLEL_SEED_STRIDE = 1_009


class NonFiniteLossError(RuntimeError):
  """A loss became NaN or infinite; the run stopped without saving."""


@dataclasses.dataclass(frozen=True)
class RunConfig:
  """How long to train and how often to evaluate."""
  root_dir: str
  num_episodes: int
  eval_interval: int
  num_eval_episodes: int
  seed: int = 0
  # Episodes per evaluation of the policy's mode (0: none).
  greedy_eval_episodes: int = 0
  episodes_per_iteration: int = 1
  keep_checkpoints: int = 3
  verbose: bool = True
  parallel_envs: int = 1

  def __post_init__(self):
    for name in ("num_episodes", "eval_interval", "num_eval_episodes",
                 "episodes_per_iteration", "keep_checkpoints",
                 "parallel_envs"):
      if getattr(self, name) < 1:
        raise experiment_io.UsageError(
            f"--{name} must be a positive integer, got {getattr(self, name)}")
    if self.greedy_eval_episodes < 0:
      raise experiment_io.UsageError(
          "--greedy_eval_episodes must be >= 0 (0: no greedy evaluation), "
          f"got {self.greedy_eval_episodes}")


class Runner:
  """Trains one agent on one environment with resume and metrics files."""

  def __init__(self, name: str, env_factory: EnvFactory,
               agent_factory: AgentFactory, config: RunConfig,
               identity: Dict[str, Any],
               command_flags: Optional[Dict[str, Any]] = None,
               identity_defaults: Optional[Dict[str, Dict[str, Any]]] = None):
    self.name = name
    self.config = config
    self.command_flags = command_flags or {}
    self.identity = dict(identity, launcher=name, seed=config.seed)
    root = config.root_dir
    experiment_io.prepare_root_dir(root)
    self.resuming = experiment_io.check_identity(root, self.identity,
                                                 identity_defaults)
    # Seeds Python, NumPy and TF (Keras initializers draw from Python's).
    tf.keras.utils.set_random_seed(config.seed)
    self.eval_py = env_factory(config.seed + _EVAL_SEED_OFFSET)
    self.train_py = _training_environment(
        env_factory, config,
        first_in_process=not getattr(self.eval_py, "one_per_process", False))
    self.train_env = tf_py_environment.TFPyEnvironment(self.train_py)
    self.eval_env = tf_py_environment.TFPyEnvironment(self.eval_py)
    # A batch of environments has no single env to size the agent by.
    self.agent = agent_factory(
        self.train_env, self.eval_py if config.parallel_envs > 1
        else self.train_py)
    if config.parallel_envs > 1 and not self.agent.batched_collection:
      raise experiment_io.UsageError(
          f"--parallel_envs={config.parallel_envs}: {name} trains on whole "
          "episodes of one environment; only methods that learn from "
          "transition replay (cm3, iac, coma, qmix) collect from several")
    self.agent.build_optimizers()
    self.agent.build_pipeline(config.episodes_per_iteration
                              * (self.train_py.max_steps + 1))

    self._episode = tf.Variable(0, dtype=tf.int64, name="episode")
    self._env_steps = tf.Variable(0, dtype=tf.int64, name="env_steps")
    self._metrics_rows = tf.Variable(0, dtype=tf.int64, name="metrics_rows")
    self._wall_s = tf.Variable(0.0, dtype=tf.float64, name="wall_s")
    self._env_rng = tf.Variable("", dtype=tf.string, name="env_rng")
    self._checkpoint = tf.train.Checkpoint(
        agent=self.agent, episode=self._episode, env_steps=self._env_steps,
        metrics_rows=self._metrics_rows, wall_s=self._wall_s,
        env_rng=self._env_rng)
    self._manager = tf.train.CheckpointManager(
        self._checkpoint, os.path.join(root, "checkpoints"),
        max_to_keep=config.keep_checkpoints)
    self.metrics = experiment_io.MetricsLog(os.path.join(root, "metrics.jsonl"))
    self._train_writer = tf.summary.create_file_writer(
        os.path.join(root, "train"))
    self._eval_writer = tf.summary.create_file_writer(os.path.join(root, "eval"))
    self._iteration = tf.function(self._build_loop(
        self.train_env, self.train_py, self.agent.collect_policy,
        config.episodes_per_iteration, train=True))
    self._evaluate = tf.function(self._build_loop(
        self.eval_env, self.eval_py, self.agent.policy,
        config.num_eval_episodes, train=False))
    self.greedy_py = self._evaluate_greedy = None
    if config.greedy_eval_episodes:
      self._build_greedy_evaluation(env_factory)

  def _build_greedy_evaluation(self, env_factory: EnvFactory) -> None:
    """Its own environment, so the sampled evaluation's draws do not
    depend on whether the mode is evaluated too."""
    if getattr(self.eval_py, "one_per_process", False):
      raise experiment_io.UsageError(
          f"--greedy_eval_episodes: {type(self.eval_py).__name__} allows no "
          "third environment in a process")
    try:
      policy = self.agent.greedy_policy()
    except ValueError as e:
      raise experiment_io.UsageError(f"--greedy_eval_episodes: {e}") from e
    self.greedy_py = env_factory(self.config.seed + _GREEDY_SEED_OFFSET)
    self._evaluate_greedy = tf.function(self._build_loop(
        tf_py_environment.TFPyEnvironment(self.greedy_py), self.greedy_py,
        policy, self.config.greedy_eval_episodes, train=False))

  # ------------------------------------------------------------- building
  def _build_loop(self, tf_env, py_env, policy, num_episodes: int,
                  train: bool) -> Callable[[], tuple]:
    """A function that plays `num_episodes` episodes (and trains on them)."""
    # Each environment of a batch may play all the episodes (one row each).
    buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
        self.agent.collect_data_spec, batch_size=tf_env.batch_size,
        max_length=num_episodes * (py_env.max_steps + 1))
    # Batches are padded to the buffer's capacity: static shapes.
    driver = dynamic_episode_driver.DynamicEpisodeDriver(
        tf_env, policy, observers=[buffer.add_batch],
        num_episodes=num_episodes)

    capacity = num_episodes * (py_env.max_steps + 1)

    def collect():
      driver.run(tf_env.reset())
      experience = buffer.gather_all()
      buffer.clear()
      return returns_lib.pad_time(experience, capacity)

    if train:
      self.train_collect = collect  # Plays one batch for training (tools).

    def loop():
      if train:
        loss, experiences = self.agent.train_iteration(collect)
        loss, metrics = loss.loss, {}
      else:
        experiences = [collect()]
        loss = tf.constant(0.0)
        metrics = self.agent.experience_metrics(experiences[0])
      steps = tf.add_n([tf.cast(tf.reduce_sum(returns_lib.valid_mask(e)),
                                tf.int64) for e in experiences])
      episode_returns = tf.concat([_episode_returns(e) for e in experiences],
                                  axis=0)
      return loss, steps, episode_returns, metrics
    return loop

  # ------------------------------------------------------------ running
  def run(self) -> Dict[str, Any]:
    """Trains to `num_episodes` (resuming if possible); returns the summary."""
    cfg = self.config
    self._restore()
    start, wall_offset = time.time(), float(self._wall_s.numpy())
    wall = lambda: wall_offset + time.time() - start
    losses: List[float] = []
    train_returns: List[np.ndarray] = []
    if int(self._metrics_rows.numpy()) == 0:
      self._record(wall(), losses, train_returns)
    episode = int(self._episode.numpy())
    rate_start, rate_episode = time.time(), episode
    while episode < cfg.num_episodes:
      self.agent.begin_iteration(episode)
      loss, steps, returns, _ = self._iteration()
      loss = float(loss.numpy())
      if not math.isfinite(loss):
        raise NonFiniteLossError(
            f"non-finite loss ({loss}) at episode {episode}; stopped. The last "
            f"good checkpoint is kept: {self._manager.latest_checkpoint}")
      self.train_py.pop_finished_events()
      losses.append(loss)
      train_returns.extend(returns.numpy())
      played = (len(returns) if cfg.parallel_envs > 1  # Maybe a few more.
                else cfg.episodes_per_iteration)
      previous, episode = episode, episode + played
      self._episode.assign(episode)
      self._env_steps.assign_add(steps)
      if (episode // cfg.eval_interval > previous // cfg.eval_interval
          or episode >= cfg.num_episodes):
        rate = (episode - rate_episode) / max(time.time() - rate_start, 1e-9)
        self._record(wall(), losses, train_returns, rate)
        losses, train_returns = [], []
        rate_start, rate_episode = time.time(), episode
    return self._write_summary(wall())

  def _restore(self) -> None:
    latest = self._manager.latest_checkpoint
    if latest is None:
      self.metrics.truncate(0)  # Rows of a start that never checkpointed.
      return
    try:
      self._checkpoint.restore(latest).assert_existing_objects_matched()
    except AssertionError as e:
      missing = sorted(set(re.findall(r"Variable '([^':]+)", str(e))))
      raise experiment_io.UsageError(
          f"{latest} was written by another version of this agent (it "
          f"lacks {', '.join(missing) or 'some variables'}): resume it with "
          "the version that wrote it, or use a new --root_dir") from e
    states = json.loads(self._env_rng.numpy().decode())
    self.train_py.set_rng_state(states["train"])
    self.eval_py.set_rng_state(states["eval"])
    if self.greedy_py is not None and "greedy" in states:
      self.greedy_py.set_rng_state(states["greedy"])
    self.metrics.truncate(int(self._metrics_rows.numpy()))
    self._log(f"resumed from {latest} at episode {int(self._episode.numpy())}")

  def _record(self, wall_s: float, losses: List[float],
              train_returns: List[np.ndarray],
              episodes_per_s: Optional[float] = None) -> None:
    """Evaluates, appends a metrics row, logs it, then checkpoints."""
    _, _, returns, method_metrics = self._evaluate()
    returns = returns.numpy()                                   # [E, N]
    finished = self.eval_py.pop_finished_events()
    events = _mean_events(finished)
    collective = returns.sum(axis=1)
    episode = int(self._episode.numpy())
    row = {
        "episode": episode,
        "env_steps": int(self._env_steps.numpy()),
        "wall_s": round(wall_s, 3),
        "return_mean": float(collective.mean()),
        "return_std": float(collective.std()),
        "return_per_agent": returns.mean(axis=0).tolist(),
        "events": events,
    }
    # Social outcomes (equality, ...) of environments that define them.
    outcome = getattr(self.eval_py, "outcome_metrics", None)
    if outcome is not None and finished:
      row["outcome"] = outcome(returns, finished)
    if losses:
      row["loss"] = float(np.mean(losses))
      row["train_return_mean"] = float(np.sum(train_returns, axis=1).mean())
    row.update({k: np.asarray(v).tolist() for k, v in method_metrics.items()})
    if self._evaluate_greedy is not None:
      greedy = self._evaluate_greedy()[2].numpy()               # [E, N]
      self.greedy_py.pop_finished_events()
      row["greedy_return_mean"] = float(greedy.sum(axis=1).mean())
      row["greedy_return_per_agent"] = greedy.mean(axis=0).tolist()
    row.update(self.agent.scalars())
    self.agent.observe_evaluation(row)  # Before the checkpoint saves it.
    self.metrics.append(row)
    self._summaries(row, episodes_per_s, list(method_metrics))
    self._metrics_rows.assign_add(1)
    self._wall_s.assign(wall_s)
    states = {"train": self.train_py.get_rng_state(),
              "eval": self.eval_py.get_rng_state()}
    if self.greedy_py is not None:
      states["greedy"] = self.greedy_py.get_rng_state()
    self._env_rng.assign(json.dumps(states))
    self._manager.save(checkpoint_number=episode)
    agents = " ".join(f"{r:+.2f}" for r in row["return_per_agent"])
    rate = f" | {episodes_per_s:.0f} episodes/s" if episodes_per_s else ""
    extra = "".join(f" | {key.replace('_', ' ')} {row[key]:+.2f}"
                    for key in self.agent.progress_metrics)
    if "greedy_return_mean" in row:
      extra += f" | greedy {row['greedy_return_mean']:+.2f}"
    if np.ndim(row["events"].get("win", ())) == 0:  # Team games.
      extra += f" | win rate {row['events']['win']:.2f}"
    self._log(f"{self.name} | episode {episode}/{self.config.num_episodes} | "
              f"env steps {row['env_steps']} | eval return "
              f"{row['return_mean']:+.2f} (agents {agents}){extra}{rate}")

  def _summaries(self, row: Dict[str, Any], episodes_per_s: Optional[float],
                 method_metrics: Sequence[str]) -> None:
    step = row["episode"]

    with self._eval_writer.as_default(step=step):
      tf.summary.scalar("return_mean", row["return_mean"])
      if "greedy_return_mean" in row:
        tf.summary.scalar("greedy_return_mean", row["greedy_return_mean"])
      for agent_id, r in zip(self.agent.agent_ids, row["return_per_agent"]):
        tf.summary.scalar(f"return/{agent_id}", r)
      for name, value in row["events"].items():
        for i, v in enumerate(np.ravel(value)):
          tf.summary.scalar(f"events/{name}/{i}", v)
      for name, value in row.get("outcome", {}).items():
        if value is not None:
          tf.summary.scalar(f"outcome/{name}", value)
      for name in method_metrics:
        for i, v in enumerate(np.ravel(row[name])):
          tf.summary.scalar(f"{name}/{i}", v)
    with self._train_writer.as_default(step=step):
      for key in ("loss", "train_return_mean", *self.agent.scalars()):
        if key in row:
          tf.summary.scalar(key, row[key])
      if episodes_per_s:
        tf.summary.scalar("episodes_per_s", episodes_per_s)
      tf.summary.scalar("env_steps", row["env_steps"])
    self._train_writer.flush()
    self._eval_writer.flush()

  def _write_summary(self, wall_s: float) -> Dict[str, Any]:
    rows = self.metrics.rows()
    summary = {
        "launcher": self.name,
        "final": rows[-1] if rows else {},
        "num_rows": len(rows),
        "episodes": int(self._episode.numpy()),
        "env_steps": int(self._env_steps.numpy()),
        "wall_s": round(wall_s, 3),
        "identity": self.identity,
        "run_config": dataclasses.asdict(self.config),
        "flags": self.command_flags,
        "versions": experiment_io.versions(),
    }
    experiment_io.write_json(
        os.path.join(self.config.root_dir, "summary.json"), summary)
    self._log(f"done: {len(rows)} evaluations in "
              f"{os.path.join(self.config.root_dir, 'metrics.jsonl')}; final "
              f"eval return {summary['final'].get('return_mean', float('nan')):+.3f}")
    return summary

  def _log(self, message: str) -> None:
    if self.config.verbose:
      print(message, file=sys.stdout, flush=True)


def _training_environment(env_factory: EnvFactory, config: RunConfig,
                          first_in_process: bool):
  """One environment, or `parallel_envs` of them (the factory must then be
  picklable; environment i gets seed + i·1009): the first in this process
  with `first_in_process`, the others in worker processes."""
  if config.parallel_envs == 1:
    return env_factory(config.seed)
  from environments import parallel  # pylint: disable=g-import-not-at-top
  return parallel.ParallelEnvironments(
      [functools.partial(env_factory, config.seed + i * _PARALLEL_SEED_STRIDE)
       for i in range(config.parallel_envs)],
      first_in_process=first_in_process)


def _episode_returns(experience) -> tf.Tensor:
  """Summed rewards ``[E, N]`` of the episodes that end in a buffer batch
  (row by row; an unfinished episode at a row's end is left out)."""
  per_row = []
  for row in range(experience.reward.shape[0]):
    valid = returns_lib.valid_mask(experience)[row]               # [T]
    rewards = experience.reward[row] * valid[:, None]             # [T, N]
    ends = tf.cast(experience.is_last()[row], tf.int32)           # [T]
    episode_index = tf.cumsum(ends, exclusive=True)
    num_episodes = tf.reduce_sum(ends)
    # Steps after the last episode end land in an extra segment.
    sums = tf.math.unsorted_segment_sum(rewards, episode_index,
                                        num_episodes + 1)
    per_row.append(sums[:num_episodes])
  return tf.concat(per_row, 0)


def _mean_events(finished: List[Dict[str, np.ndarray]]) -> Dict[str, Any]:
  """Mean over episodes of each event counter, as JSON-friendly values."""
  if not finished:
    return {}
  return {key: np.mean([e[key] for e in finished], axis=0).tolist()
          for key in finished[0]}
