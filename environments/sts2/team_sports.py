"""STS2 team sports with HSD's reward wrapper: our home team vs scripted away.

The N home players are the agents (``agent_i`` = home player i); the away
team runs STS2's scripted `SimplePlayer` (`game`). With ``scripted_home=k``
the last k home players are scripted too (their agents' actions are ignored;
ad-hoc evaluation and calibration).

Actions (HSD ``env_wrapper``, N + 5): 0 NONE, 1 SHOOT, 2..N+1 PASS to teammate
``k = a - 2``, then +z, -z, +x, -x (movement input; a puck action gives zero
input). SHOOT/PASS without the puck, and a pass to oneself, become NONE. The
directions are absolute for the home team: home attacks -z, so "+z" moves
towards the agent's OWN net (HSD mirrors them for the away team only, which
we never control).

Reward (team reward, the same for every agent; HSD ``calc_reward``): +1 for a
goal, -1 for a goal conceded, +0.1 / -0.1 on the step the team gains / loses
possession, ``+-1 / (2 * max_steps)`` every step by possession (the thesis
writes ``1 / (2 + max steps)``; HSD's code and config use ``2 * max_steps``),
and a draw penalty -0.5 at the step ``max_steps``. CHOICE: HSD's code also
subtracts the penalty when a goal falls on the last step; we give it to draws
only.

Episode: ends (termination) at a goal or at ``max_steps`` (500). The time
limit is part of HSD's game (done = True, and the draw penalty makes time
matter), so by default it is a termination (discount 0);
``terminal_time_limit=False`` makes it a truncation.

Reset: a restart (`game.Game.kickoff`) plus one tick with the home players
doing NONE, as HSD's reset steps the simulator once. Scores persist across
episodes like STS2's game object in HSD, so with STS2's kickoff rule the team
``(home + away goals) mod 2`` starts with the puck; `seed` zeroes them.

Observation of agent i (7 + 8N, 31 for 3v3; HSD ``get_obs_home``): the puck
(its carrier) position relative to the agent divided by (18, 36) and its
relative velocity (4); self has puck, team has puck (2); own position
``(2 x / 18, 2 z / 36)`` (relative to the own net's x = 0) and velocity (4);
for each teammate in index order its relative position / (18, 36) and
relative velocity (4 each); opponent has puck (1); for each opponent its
relative position and velocity (4 each). Velocities are raw (units/tick).
State (4 + 10N, 34; HSD ``get_state_home``): puck position ``(2 x / 18,
2 z / 36)`` and velocity; home one-hot of the carrier (N); each home player's
normalized position and velocity; away one-hot of the carrier (N); each away
player's normalized position and velocity.

Events (`get_info`): per agent ``goals``, ``shots``, ``shots_on_net`` (the
on-net draw succeeded, intercepted or not), ``offensive_rebounds`` (got the
puck after a team-mate's missed shot, or its own), ``passes_made`` and
``passes_received`` (completed), ``steals`` (checks), ``interceptions``,
``possession_ticks``; scalars ``goals_for``, ``goals_against``, ``win`` (1 if
the episode ended with our goal).
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments.sts2 import game as sts2_game

NUM_PUCK_ACTIONS_BASE = 2  # NONE, SHOOT; then N passes; then 4 moves.
MOVES = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
GOAL_REWARD, POSSESSION_REWARD, DRAW_PENALTY = 1.0, 0.1, -0.5
_PER_AGENT = ("goals", "shots", "shots_on_net", "offensive_rebounds",
              "passes_made", "passes_received", "steals", "interceptions",
              "possession_ticks")
_HOME_RGB = np.array([220, 40, 40], np.uint8)
_AWAY_RGB = np.array([40, 80, 220], np.uint8)


def num_actions(num_players: int) -> int:
  return NUM_PUCK_ACTIONS_BASE + num_players + len(MOVES)


class TeamSports(base.MultiAgentPyEnvironment):
  """HSD's STS2 task (see the module docstring)."""

  def __init__(self,
               num_players: int = 3,
               max_steps: int = 500,
               seed: Optional[int] = None,
               scripted_home: int = 0,
               inverted_interception: bool = False,
               kickoff: str = "score_parity",
               dense_reward: bool = True,
               draw_penalty: bool = True,
               terminal_time_limit: bool = True,
               rules: Optional[sts2_game.Rules] = None):
    """Builds the game.

    Args:
      num_players: players per team (N).
      max_steps: episode length limit.
      seed: seed of the environment's generator.
      scripted_home: the last this-many home players are scripted.
      inverted_interception: use the intended (falling) interception chance.
      kickoff: "score_parity" (STS2), "alternate" or "random".
      dense_reward: the per-step possession term.
      draw_penalty: the -0.5 at the time limit without a goal.
      terminal_time_limit: the time limit is a termination (default).
      rules: full STS2 rules (overrides the two rule flags above).
    """
    super().__init__(num_players, max_steps, seed=seed,
                     terminal_time_limit=terminal_time_limit, has_state=True)
    if not 0 <= scripted_home <= num_players:
      raise ValueError(f"scripted_home must be in [0, {num_players}]")
    if rules is None:
      rules = sts2_game.Rules(inverted_interception=inverted_interception,
                              kickoff=kickoff)
    n = int(num_players)
    scripted = np.ones(2 * n, bool)
    scripted[:n - scripted_home] = False
    self.game = sts2_game.Game(n, rules, rng=self._rng, scripted=scripted)
    self._n = n
    self._num_actions = num_actions(n)
    self._dense = 1.0 / (2 * self._max_steps) if dense_reward else 0.0
    self._draw_penalty = DRAW_PENALTY if draw_penalty else 0.0
    self._scale = np.array(rules.arena_size)
    self._others = np.array([[j for j in range(n) if j != i]
                             for i in range(n)], np.int64).reshape(n, n - 1)

  # ------------------------------------------------------------------ specs
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((7 + 8 * self._n,), np.float32,
                                name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, self._num_actions - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((4 + 10 * self._n,), np.float32,
                                name=base.STATE_KEY)

  def seed(self, seed: Optional[int]) -> None:
    super().seed(seed)
    self.game.rng = self._rng
    self.game.reset_scores()

  # --------------------------------------------------------------- episodes
  def _reset_state(self) -> base.Events:
    self.game.kickoff()
    self.game.tick(np.zeros(2 * self._n, np.int64), None)
    events = {k: np.zeros(self._n, np.int64) for k in _PER_AGENT}
    for k in ("goals_for", "goals_against", "win"):
      events[k] = np.zeros((), np.int64)
    return events

  def set_scene(self, positions, velocities=None, control: int = 0,
                action_times=None) -> None:
    """Places all 2N players (home first) mid-episode, for tests.

    Args:
      positions: ``[2N, 2]`` (x, z).
      velocities: ``[2N, 2]``; zeros if None.
      control: index of the carrier (0..2N-1).
      action_times: ``[2N]`` ints; zeros if None.
    """
    g, count = self.game, 2 * self._n
    g.pos = np.array(positions, np.float64).reshape(count, 2)
    g.vel = (np.zeros((count, 2)) if velocities is None
             else np.array(velocities, np.float64).reshape(count, 2))
    g.action_time = (np.zeros(count, np.int64) if action_times is None
                     else np.array(action_times, np.int64).reshape(count))
    g.control = int(control)
    g.stoppage = False

  def _game_actions(self, actions: np.ndarray) -> tuple:
    """HSD's integer actions -> STS2 ``(action, input)`` for all players."""
    n, g = self._n, self.game
    act = np.zeros(2 * n, np.int64)
    inp = np.zeros((2 * n, 2))
    moves = actions >= NUM_PUCK_ACTIONS_BASE + n
    inp[:n][moves] = MOVES[actions[moves] - NUM_PUCK_ACTIONS_BASE - n]
    puck = np.where(moves, sts2_game.NONE, actions)
    has_puck = np.arange(n) == g.control
    puck[~has_puck] = sts2_game.NONE
    puck[puck == sts2_game.PASS + np.arange(n)] = sts2_game.NONE  # To self.
    act[:n] = puck
    return act, inp

  def _transition(self, actions: np.ndarray) -> tuple:
    g, n = self.game, self._n
    before = g.control_team
    act, inp = self._game_actions(np.asarray(actions, np.int64))
    events = g.tick(act, inp)
    goal_team = self._count(events)
    after = g.control_team
    reward = 0.0
    if goal_team is not None:
      reward += GOAL_REWARD if goal_team == sts2_game.HOME else -GOAL_REWARD
    if after != before:
      reward += (POSSESSION_REWARD if after == sts2_game.HOME
                 else -POSSESSION_REWARD)
    reward += self._dense if after == sts2_game.HOME else -self._dense
    if goal_team is None and self._step_count + 1 >= self._max_steps:
      reward += self._draw_penalty
    if after == sts2_game.HOME:
      self._events["possession_ticks"][g.control] += 1
    return np.full(n, reward, np.float32), goal_team is not None

  def _count(self, events) -> Optional[int]:
    """Adds the tick's events to the counters; the scoring team or None."""
    n, ev = self._n, self._events
    goal_team = None
    for e in events:
      ours = e.player < n
      if e.kind == "check" and ours:
        ev["steals"][e.player] += 1
      elif e.kind == "pass":
        if ours and e.result == "complete":
          ev["passes_made"][e.player] += 1
          ev["passes_received"][e.other] += 1
        elif not ours and e.other < n:
          ev["interceptions"][e.other] += 1
      elif e.kind == "shot":
        if ours:
          ev["shots"][e.player] += 1
          ev["shots_on_net"][e.player] += e.on_net
        if e.result == "goal":
          goal_team = int(self.game.team[e.player])
          if ours:
            ev["goals"][e.player] += 1
            ev["goals_for"] += 1
            ev["win"] += 1
          else:
            ev["goals_against"] += 1
        elif e.result == "intercepted" and not ours and e.other < n:
          ev["interceptions"][e.other] += 1
        elif e.result == "miss" and ours and e.other < n:
          ev["offensive_rebounds"][e.other] += 1
    return goal_team

  # ----------------------------------------------------------- observations
  def _observe(self) -> Dict[str, np.ndarray]:
    g, n = self.game, self._n
    pos, vel = g.pos, g.vel
    carrier = g.control
    ours = float(g.control_team == sts2_game.HOME)
    home_pos, home_vel = pos[:n], vel[:n]
    obs = np.empty((n, 7 + 8 * n), np.float32)
    obs[:, 0:2] = (pos[carrier] - home_pos) / self._scale
    obs[:, 2:4] = vel[carrier] - home_vel
    obs[:, 4] = (np.arange(n) == carrier) * ours
    obs[:, 5] = ours
    obs[:, 6:8] = self._normalized(home_pos)
    obs[:, 8:10] = home_vel
    mates = np.concatenate(
        [(home_pos[self._others] - home_pos[:, None]) / self._scale,
         home_vel[self._others] - home_vel[:, None]], axis=2)   # [N, N-1, 4]
    end = 10 + 4 * (n - 1)
    obs[:, 10:end] = mates.reshape(n, -1)
    obs[:, end] = 1.0 - ours
    opp = np.concatenate(
        [(pos[None, n:] - home_pos[:, None]) / self._scale,
         vel[None, n:] - home_vel[:, None]], axis=2)            # [N, N, 4]
    obs[:, end + 1:] = opp.reshape(n, -1)
    out = dict(zip(self.agent_ids, obs))
    out[base.STATE_KEY] = self._state()
    return out

  def _normalized(self, positions: np.ndarray) -> np.ndarray:
    """Position relative to the home net's x, scaled by half the rink."""
    return 2.0 * (positions - [self.game.nets[0, 0], 0.0]) / self._scale

  def _state(self) -> np.ndarray:
    g, n = self.game, self._n
    control = np.zeros(2 * n)
    control[g.control] = 1.0
    players = np.concatenate([self._normalized(g.pos), g.vel], axis=1)
    parts = [self._normalized(g.pos[g.control]), g.vel[g.control],
             control[:n], players[:n].ravel(), control[n:],
             players[n:].ravel()]
    return np.concatenate(parts).astype(np.float32)

  # ---------------------------------------------------------------- drawing
  def render(self, mode: str = "rgb_array") -> np.ndarray:
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    return self.render_rgb()

  def render_rgb(self, pixels_per_unit: int = 8) -> np.ndarray:
    """Top view ``[36 s, 18 s, 3]`` uint8: -z at the top (home attacks up).

    White rink, grey nets (home net at the bottom), red home and blue away
    players; the carrier has a yellow centre, stunned players are pale.
    """
    g, s = self.game, pixels_per_unit
    width, height = int(g.rules.arena_size[0] * s), int(
        g.rules.arena_size[1] * s)
    image = np.full((height, width, 3), 255, np.uint8)
    x = (np.arange(width) + 0.5) / s + g.min_xz[0]
    z = (np.arange(height) + 0.5) / s + g.min_xz[1]
    xx, zz = x[None, :], z[:, None]
    image[height // 2, :] = (200, 200, 200)
    for net in g.nets:
      image[(np.abs(xx - net[0]) <= 1.5) & (np.abs(zz - net[1]) <= 0.5)] = (
          90, 90, 90)
    radius = g.rules.player_radius
    for i in range(2 * self._n):
      colour = _HOME_RGB if i < self._n else _AWAY_RGB
      if g.action_time[i] > 0 and i != g.control:
        colour = (255 - (255 - colour.astype(np.int64)) // 2).astype(np.uint8)
      dist2 = (xx - g.pos[i, 0]) ** 2 + (zz - g.pos[i, 1]) ** 2
      image[dist2 <= radius ** 2] = colour
      if i == g.control:
        image[dist2 <= (0.45 * radius) ** 2] = (250, 210, 0)
    return image
