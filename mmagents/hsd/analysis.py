"""Behaviour of trained STS2 teams: HSD's skill analysis (thesis Fig. 4.2)
and the ad hoc cooperation table (Table 4.1).

`record_skills` plays greedy episodes of an HSD agent and logs, per step
and agent, the skill in force, the primitive action, the game events the
step produced (goals, shot attempts, offensive rebounds, passes made and
received, steals), team possession and the player's position.
`skill_report` turns the log into the panels' numbers and `draw_panels`
into PNGs. `win_lose` evaluates any trained team with scripted teammates or
a pinned skill.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment

EVENTS = ("goals", "shots", "offensive_rebounds", "passes_made",
          "passes_received", "steals")
HEATMAP_SHAPE = (36, 18)  # (z, x) cells over the 18 x 36 rink.


def action_names(num_players: int) -> List[str]:
  """Primitive actions for the home team, which attacks -z ("up")."""
  return (["none", "shoot"] + [f"pass{k}" for k in range(num_players)]
          + ["down", "up", "right", "left"])


def record_skills(agent, env, num_episodes: int) -> Dict[str, np.ndarray]:
  """Plays `num_episodes` greedy episodes on `env` (a `TeamSports`).

  Returns:
    Per-step arrays over all steps ``S``: ``skill``, ``action`` and
    ``events`` (``[S, N]``, ``[S, N]``, ``[S, N, len(EVENTS)]``),
    ``possession`` ``[S]`` (our team holds the puck before the step),
    ``position`` ``[S, N, 2]`` (x, z), ``new_segment`` ``[S]`` and
    ``episode`` ``[S]``.
  """
  tf_env = tf_py_environment.TFPyEnvironment(env)
  policy = agent.policy
  act = tf.function(policy.action)
  n = env.num_agents
  log: Dict[str, list] = {k: [] for k in (
      "skill", "action", "events", "possession", "position", "new_segment",
      "episode")}
  for episode in range(num_episodes):
    time_step = tf_env.reset()
    state = policy.get_initial_state(1)
    while True:
      before = env.get_info()
      possession = bool(time_step.observation["agent_0"].numpy()[0, 5] > 0.5)
      position = env.game.pos[:n].copy()
      step = act(time_step, state)
      state = step.state
      time_step = tf_env.step(step.action)
      after = env.get_info()
      log["skill"].append(step.info["skill"].numpy()[0])
      log["action"].append(agent.layout.stack_actions(step.action)
                           .numpy()[0])
      log["events"].append(np.stack([after[k] - before[k] for k in EVENTS],
                                    -1))
      log["possession"].append(possession)
      log["position"].append(position)
      log["new_segment"].append(bool(step.info["new_segment"].numpy()[0]))
      log["episode"].append(episode)
      if time_step.is_last().numpy()[0]:
        break
  env.pop_finished_events()
  return {k: np.asarray(v) for k, v in log.items()}


def pca_2d(vectors: np.ndarray) -> np.ndarray:
  """First two principal-component scores of the rows of `vectors`."""
  centred = vectors - vectors.mean(0)
  _, _, components = np.linalg.svd(centred, full_matrices=False)
  scores = centred @ components[:2].T
  if scores.shape[1] < 2:
    scores = np.pad(scores, ((0, 0), (0, 2 - scores.shape[1])))
  return scores


def skill_report(log: Dict[str, np.ndarray], num_skills: int,
                 arena: Sequence[float] = (18.0, 36.0)) -> Dict[str, Any]:
  """Numbers of the Fig. 4.2 panels, averaged over the logged episodes."""
  episodes = int(log["episode"].max()) + 1
  skill = log["skill"]
  num_actions = int(log["action"].max()) + 1
  events = np.zeros((num_skills, len(EVENTS)))
  actions = np.zeros((num_skills, num_actions))
  heatmaps = np.zeros((num_skills,) + HEATMAP_SHAPE)
  cell = np.floor((log["position"] + np.asarray(arena) / 2)
                  / np.asarray(arena) * [HEATMAP_SHAPE[1], HEATMAP_SHAPE[0]])
  cx = np.clip(cell[..., 0].astype(int), 0, HEATMAP_SHAPE[1] - 1)
  cz = np.clip(cell[..., 1].astype(int), 0, HEATMAP_SHAPE[0] - 1)
  for z in range(num_skills):
    mask = skill == z                                              # [S, N]
    events[z] = log["events"][mask].sum(0)
    actions[z] = np.bincount(log["action"][mask], minlength=num_actions)
    np.add.at(heatmaps[z], (cz[mask], cx[mask]), 1)
  starts = log["new_segment"]
  chosen = skill[starts]                                           # [K, N]
  held = log["possession"][starts]
  usage = np.stack([
      np.bincount(chosen[held].ravel(), minlength=num_skills),
      np.bincount(chosen[~held].ravel(), minlength=num_skills)])
  first = [chosen[log["episode"][starts] == e] for e in range(
      min(3, episodes))]
  return {
      "episodes": episodes, "events": events / episodes,
      "event_pca": pca_2d(events / episodes),
      "actions": actions / episodes, "action_pca": pca_2d(actions / episodes),
      "usage_with_possession": usage[0] / episodes,
      "usage_without_possession": usage[1] / episodes,
      "time_series": first, "heatmaps": heatmaps / episodes}


def role_skills(events: np.ndarray) -> Tuple[int, int]:
  """The (defensive, offensive) skills of a ``[skills, EVENTS]`` table.

  Roles go by each skill's share of steals among its steals and shot
  attempts, not by raw counts: the busiest skill often has both the most
  steals and the most shots, and pinning it for both roles would compare a
  skill with itself. Defensive: the highest steal share; offensive: the
  lowest, among the other skills.
  """
  steals = events[:, EVENTS.index("steals")]
  shots = events[:, EVENTS.index("shots")]
  share = steals / np.maximum(steals + shots, 1e-9)
  defensive = int(np.argmax(share))
  share[defensive] = np.inf
  return defensive, int(np.argmin(share))


def draw_panels(report: Dict[str, Any], out_dir: str,
                num_players: int) -> List[str]:
  """One PNG per Fig. 4.2 panel in `out_dir`; returns the paths."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  os.makedirs(out_dir, exist_ok=True)
  skills = len(report["events"])
  labels = [f"skill {z}" for z in range(skills)]
  paths = []

  def save(fig, name):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)

  def bars(matrix, names, title, name):
    fig, ax = plt.subplots(figsize=(max(6, len(names)), 4))
    width = 0.8 / skills
    for z in range(skills):
      ax.bar(np.arange(len(names)) + z * width, matrix[z], width,
             label=labels[z])
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names,
                  rotation=30)
    ax.set_ylabel("count per episode")
    ax.set_title(title)
    ax.legend()
    save(fig, name)

  def scatter(points, title, name):
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for z in range(skills):
      ax.scatter(*points[z], s=60)
      ax.annotate(labels[z], points[z])
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.set_title(title)
    save(fig, name)

  bars(report["events"], list(EVENTS), "(a) events per skill",
       "a_events.png")
  scatter(report["event_pca"], "(b) PCA of events", "b_event_pca.png")
  names = action_names(num_players)[:report["actions"].shape[1]]
  bars(report["actions"], names, "(c) actions per skill", "c_actions.png")
  scatter(report["action_pca"], "(d) PCA of actions", "d_action_pca.png")
  fig, ax = plt.subplots(figsize=(5, 4))
  x = np.arange(skills)
  ax.bar(x - 0.2, report["usage_with_possession"], 0.4, label="possession")
  ax.bar(x + 0.2, report["usage_without_possession"], 0.4,
         label="no possession")
  ax.set_xticks(x, labels)
  ax.set_ylabel("choices per episode")
  ax.set_title("(e) skill usage")
  ax.legend()
  save(fig, "e_usage.png")
  series = report["time_series"]
  fig, axes = plt.subplots(len(series), 1, figsize=(7, 2 * len(series)),
                           squeeze=False)
  for ax, chosen in zip(axes[:, 0], series):
    for agent in range(chosen.shape[1]):
      ax.plot(chosen[:, agent], marker="o", label=f"agent {agent}")
    ax.set_yticks(range(skills))
    ax.set_xlabel("high-level step")
    ax.set_ylabel("skill")
  axes[0, 0].set_title("(f) skills over episodes")
  axes[0, 0].legend(fontsize="small")
  save(fig, "f_time_series.png")
  fig, axes = plt.subplots(1, skills, figsize=(2.2 * skills, 4),
                           squeeze=False)
  for z, ax in enumerate(axes[0]):
    ax.imshow(report["heatmaps"][z], cmap="viridis")
    ax.set_title(labels[z])
    ax.set_xticks([])
    ax.set_yticks([])
  fig.suptitle("(g) where skills are used (opponent net at the top)")
  save(fig, "g_heatmaps.png")
  return paths


def win_lose(agent, make_env, num_episodes: int, seed: int,
             fixed_skill: Optional[Sequence[int]] = None) -> Dict[str, float]:
  """Win and lose percentages of the agent's greedy team over episodes.

  Args:
    agent: a trained agent of the environment `make_env` builds.
    make_env: environment factory (seed → env), e.g. with scripted
      teammates (``scripted_home``).
    num_episodes: evaluation episodes.
    seed: environment seed.
    fixed_skill: HSD only: the skill pinned for each agent (-1: free).
  """
  env = make_env(seed)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  if fixed_skill is not None:
    agent.fixed_skills.assign(list(fixed_skill))
  try:
    driver = dynamic_episode_driver.DynamicEpisodeDriver(
        tf_env, agent.policy, num_episodes=num_episodes)
    tf.function(driver.run)(tf_env.reset())
  finally:
    if fixed_skill is not None:
      agent.fixed_skills.assign([-1] * agent.num_agents)
  finished = env.pop_finished_events()
  wins = np.mean([e["win"] > 0 for e in finished])
  losses = np.mean([e["goals_against"] > 0 for e in finished])
  return {"win": 100.0 * float(wins), "lose": 100.0 * float(losses),
          "episodes": len(finished)}
