"""Our implementation of the Simple Team Sports Simulator (STS2) rules.

An N vs N puck game on an 18 x 36 rink (x in [-9, 9], z in [-18, 18]). The
home team's own net is at (0, +18) and it attacks the away net at (0, -18);
the away team attacks (0, +18). Players are discs of radius 0.75. Exactly one
player controls the puck at all times (shots and passes resolve instantly),
so the puck's position and velocity are those of its carrier.

Players are indexed ``0..N-1`` (home) and ``N..2N-1`` (away); positions,
velocities, inputs, actions and action times live in numpy arrays.

One tick (STS2's ``Game.CustomTick``):

1. Phase: after a goal the next tick starts with a restart (`kickoff`).
2. Think: every action time drops by one (floor 0); a player with a positive
   action time is "stunned" (no action, zero input). Others decide: agent
   players take the given ``(action, input)``, scripted ones run
   `SimplePlayer` logic. Inputs are rectified: normalized if longer than
   0.01, then each component rounded to {-1, 0, 1} (8 directions).
3. Locomotion (ACCELERATION_MODEL): input normalized if longer than 1, zero
   when stunned; ``accel = in * (|in| - (v / max_vel) . in) * max_accel``;
   ``v += accel``, ``|v|`` clamped to max_vel; ``p += v``. There is no
   friction: a player without input glides on.
4. Physics: clamp to the rink minus the radius (zeroing that velocity
   component), then player collisions in STS2's ordered-pair loop: touching
   players (distance <= 2r) are put at their centre +- direction * 1.01 r and
   both get the mean velocity; if one is the carrier and the other an
   opponent with action time 0, that is a CHECK (steal): the carrier is
   stunned 20 ticks, the checker takes the puck (receive response 15).
5. Action: the carrier's SHOOT or PASS_k is executed (see `_shoot`, `_pass`).

Shots: on-net chance ``|dz| / dist * min(1, 4 / |dz|)`` towards the attacked
net (drawn first), then an interception test by the capable opponents
(action time 0). Intercepted: the interceptor gets the puck. Else on net:
GOAL. Else a miss: the player (either team) nearest to the attacked net gets
the puck. Shooter response time 10, receivers 15.

Interception test (STS2 ``Physics.InterceptTest``): for each candidate whose
projection on the segment lies ahead of the source, the intercept point is
the projection (clamped to the target); ``closest = max(0, |p - point| -
0.05 * along)``; the chance is 0 beyond 3.5, else
``0.5 + 0.5 * closest / 3.5``. CONFLICT: STS2's comment says the chance
should fall with distance, the formula makes it RISE (0.5 on the line, 1.0
at 3.5). The default reproduces the code (the published numbers were
measured with it); ``Rules.inverted_interception=True`` implements the
comment's intent, ``1.0 - 0.5 * closest / 3.5``. Every candidate draws; the
successful one with the smallest ``closest`` (below ``length + 1``, STS2's
initial bound) intercepts. "Through chance" = product of ``1 - chance``.

Restart (``kickoff``): players reset (velocity 0, action time 0); each player
``x`` = a random integer in [-9, 8], ``z = attack_z * (2r - 1)`` with ``r ~
U(0, 0.5) ** init_exp`` (own half); the puck goes to a random player of team
``(home_score + away_score) mod 2`` (STS2; the scores persist across HSD's
episodes, so possession alternates after goals and repeats after draws),
with receive response time. ``Rules.kickoff="alternate"`` alternates every
restart, ``"random"`` draws the team.

CHOICE: STS2 lets players think one after the other, so a scripted player's
view of others' "stunned" flags and of capable interceptors is a mix of this
and the last tick; we decrement every action time first and use the current
values for everyone.
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Tuple

import numpy as np

HOME, AWAY = 0, 1
NONE, SHOOT, PASS = 0, 1, 2  # Player actions; PASS + k passes to teammate k.
KICKOFF_RULES = ("score_parity", "alternate", "random")


@dataclasses.dataclass(frozen=True)
class Rules:
  """STS2's STANDARD_GAME_RULES plus our switches."""
  arena_size: Tuple[float, float] = (18.0, 36.0)
  player_radius: float = 0.75
  max_vel: float = 0.5
  max_accel: float = 0.05
  min_intercept_chance: float = 0.5
  max_intercept_chance: float = 1.0
  max_intercept_dist: float = 3.5
  player_intercept_speed: float = 0.05
  check_stun_time: int = 20
  shot_response_time: int = 10
  pass_response_time: int = 10
  receive_response_time: int = 15
  shot_distance_accuracy_scale: float = 4.0
  player_collisions: bool = True
  inverted_interception: bool = False
  kickoff: str = "score_parity"
  init_exp: float = 1.0


# SimplePlayer constants (STS2 sts2/game/player.py).
SHOOT_ARENA_DIST = 0.3
SHOT_CHANCE = 0.3
PASS_CHANCE = 0.8
CHASERS = 2  # Opponents of the carrier nearest to it chase it.


@dataclasses.dataclass
class Event:
  """One thing that happened in a tick.

  kind: "check" (player = checker, other = old carrier), "shot" (player =
  shooter, other = new carrier or -1 after a goal, result "goal",
  "intercepted" or "miss", on_net = the on-net draw), "pass" (player =
  passer, other = new carrier, result "complete" or "intercepted").
  """
  kind: str
  player: int
  other: int = -1
  result: str = ""
  on_net: bool = False


def intercept_probability(closest: np.ndarray, rules: Rules) -> np.ndarray:
  """Interception chance for the distances `closest` (see module doc)."""
  frac = np.asarray(closest, np.float64) / rules.max_intercept_dist
  span = rules.max_intercept_chance - rules.min_intercept_chance
  if rules.inverted_interception:
    prob = rules.max_intercept_chance - span * frac
  else:
    prob = rules.min_intercept_chance + span * frac
  return np.where(frac > 1.0, 0.0, prob)


def on_net_chance(position: np.ndarray, net: np.ndarray, rules: Rules
                  ) -> float:
  """Chance that a shot from `position` is on target `net`."""
  delta = net - position
  dz = abs(delta[1])
  if dz == 0.0:
    return 0.0
  directness = dz / np.hypot(delta[0], delta[1])
  return directness * min(1.0, rules.shot_distance_accuracy_scale / dz)


class Game:
  """The STS2 simulation state and its tick (see the module docstring).

  Attributes:
    pos, vel, inp: ``[2N, 2]`` float arrays (x, z).
    action: ``[2N]`` int (NONE, SHOOT, PASS + k); action_time: ``[2N]`` int.
    control: index of the carrier; score: ``[2]`` goals (home, away).
    scripted: ``[2N]`` bool, players run by `SimplePlayer` logic.
    events: the events of the last tick.
  """

  def __init__(self, num_players: int = 3, rules: Rules = Rules(),
               rng: Optional[np.random.Generator] = None,
               scripted: Optional[Sequence[bool]] = None):
    if num_players < 1:
      raise ValueError(f"num_players must be >= 1, got {num_players}")
    if rules.kickoff not in KICKOFF_RULES:
      raise ValueError(f"kickoff must be one of {KICKOFF_RULES}")
    n = int(num_players)
    self.n = n
    self.rules = rules
    self.rng = rng if rng is not None else np.random.default_rng()
    self.scripted = (np.ones(2 * n, bool) if scripted is None
                     else np.asarray(scripted, bool).copy())
    if self.scripted.shape != (2 * n,):
      raise ValueError("scripted needs one flag per player (2N)")
    half_x, half_z = rules.arena_size[0] / 2, rules.arena_size[1] / 2
    self.min_xz = np.array([-half_x, -half_z])
    self.max_xz = np.array([half_x, half_z])
    # nets[t] = team t's own net; team t attacks nets[1 - t].
    self.nets = np.array([[0.0, half_z], [0.0, -half_z]])
    self.team = np.repeat([HOME, AWAY], n)
    self.attack_net = self.nets[1 - self.team]                 # [2N, 2]
    self.pos = np.zeros((2 * n, 2))
    self.vel = np.zeros((2 * n, 2))
    self.inp = np.zeros((2 * n, 2))
    self.action = np.zeros(2 * n, np.int64)
    self.action_time = np.zeros(2 * n, np.int64)
    self.score = np.zeros(2, np.int64)
    self.control = 0
    self.tick_count = 0
    self.stoppage = False  # A goal was scored; the next tick restarts.
    self.events: List[Event] = []
    self._kickoffs = 0

  # ----------------------------------------------------------------- state
  @property
  def control_team(self) -> int:
    return int(self.control // self.n)

  def team_slice(self, team: int) -> slice:
    return slice(team * self.n, (team + 1) * self.n)

  def reset_scores(self) -> None:
    self.score[:] = 0
    self._kickoffs = 0

  def kickoff(self) -> None:
    """Restart: random own-half positions, puck to the kickoff team."""
    n, rules = 2 * self.n, self.rules
    self.vel[:] = 0.0
    self.inp[:] = 0.0
    self.action[:] = NONE
    self.action_time[:] = 0
    r = self.rng.uniform(0.0, 0.5, n) ** rules.init_exp
    x = self.rng.integers(int(self.min_xz[0]), int(self.max_xz[0]), n)
    self.pos[:, 0] = x
    self.pos[:, 1] = self.attack_net[:, 1] * (2.0 * r - 1.0)
    team = self._kickoff_team()
    self._kickoffs += 1
    self._give(team * self.n + int(self.rng.integers(self.n)))
    self.stoppage = False

  def _kickoff_team(self) -> int:
    if self.rules.kickoff == "score_parity":
      return int(self.score.sum() % 2)
    if self.rules.kickoff == "alternate":
      return self._kickoffs % 2
    return int(self.rng.integers(2))

  def _give(self, player: int) -> None:
    """Gives `player` the puck with the receive response time."""
    self.control = int(player)
    self._respond(player, self.rules.receive_response_time)

  def _respond(self, player: int, ticks: int) -> None:
    self.action_time[player] = max(self.action_time[player], ticks)

  # ------------------------------------------------------------------ tick
  def tick(self, actions: Optional[np.ndarray] = None,
           inputs: Optional[np.ndarray] = None) -> List[Event]:
    """Advances one tick.

    Args:
      actions: ``[2N]`` int actions for the non-scripted players (others'
        entries are ignored); None = NONE.
      inputs: ``[2N, 2]`` movement inputs for the non-scripted players.

    Returns:
      The tick's events (also in ``self.events``).
    """
    self.events = []
    if self.stoppage:
      self.kickoff()
    self.action_time = np.maximum(self.action_time - 1, 0)
    self._think(actions, inputs)
    self._locomotion()
    self._board()
    self._collisions()
    self._act()
    self.tick_count += 1
    return self.events

  def _think(self, actions, inputs) -> None:
    free = self.action_time == 0
    self.action[:] = NONE
    self.inp[:] = 0.0
    agents = free & ~self.scripted
    if actions is not None:
      self.action[agents] = np.asarray(actions)[agents]
    if inputs is not None:
      self.inp[agents] = np.asarray(inputs, np.float64)[agents]
    if (free & self.scripted).any():
      self._simple_players(free & self.scripted)
    self.inp = _rectify(self.inp)

  def _locomotion(self) -> None:
    rules = self.rules
    inp = self.inp.copy()
    mag = np.hypot(inp[:, 0], inp[:, 1])
    inp[mag > 1.0] /= mag[mag > 1.0, None]
    inp[self.action_time > 0] = 0.0
    mag = np.hypot(inp[:, 0], inp[:, 1])
    along = np.einsum("ij,ij->i", self.vel / rules.max_vel, inp)
    self.vel += inp * ((mag - along) * rules.max_accel)[:, None]
    speed = np.hypot(self.vel[:, 0], self.vel[:, 1])
    fast = speed > rules.max_vel
    self.vel[fast] *= (rules.max_vel / speed[fast])[:, None]
    self.pos += self.vel

  def _board(self) -> None:
    low = self.min_xz + self.rules.player_radius
    high = self.max_xz - self.rules.player_radius
    out = (self.pos < low) | (self.pos > high)
    if out.any():
      self.pos = np.clip(self.pos, low, high)
      self.vel[out] = 0.0

  def _collisions(self) -> None:
    """STS2's ordered-pair loop; skipped when no two players touch."""
    reach = 2.0 * self.rules.player_radius
    diff = self.pos[:, None, :] - self.pos[None, :, :]
    dist2 = np.einsum("ijk,ijk->ij", diff, diff)
    np.fill_diagonal(dist2, np.inf)
    if not (dist2 <= reach * reach).any():
      return
    count = 2 * self.n
    for i in range(count):
      for j in range(count):
        if i != j and np.linalg.norm(self.pos[i] - self.pos[j]) <= reach:
          self._collide(i, j)

  def _collide(self, i: int, j: int) -> None:
    rules = self.rules
    if rules.player_collisions:
      centre = 0.5 * (self.pos[i] + self.pos[j])
      mean_vel = 0.5 * (self.vel[i] + self.vel[j])
      for k in (i, j):
        delta = self.pos[k] - centre
        dist = np.linalg.norm(delta)
        direction = delta / dist if dist > 0.001 else np.array([1.0, 0.0])
        self.pos[k] = centre + direction * rules.player_radius * 1.01
        self.vel[k] = mean_vel
    for carrier, other in ((i, j), (j, i)):
      if (self.control == carrier and self.team[carrier] != self.team[other]
          and self.action_time[other] == 0):
        self._check(carrier, other)
        break

  def _check(self, carrier: int, checker: int) -> None:
    self.events.append(Event("check", checker, carrier))
    self.action_time[carrier] = self.rules.check_stun_time
    self._give(checker)

  # --------------------------------------------------------- shots, passes
  def _act(self) -> None:
    carrier = self.control
    action = int(self.action[carrier])
    if action == SHOOT:
      self._shoot(carrier)
    elif action >= PASS:
      target = self.team[carrier] * self.n + (action - PASS)
      if action - PASS < self.n and target != carrier:
        self._pass(carrier, target)

  def capable_opponents(self, player: int) -> np.ndarray:
    """Indices of `player`'s opponents with action time 0."""
    other = self.team_slice(1 - self.team[player])
    idx = np.arange(2 * self.n)[other]
    return idx[self.action_time[other] == 0]

  def intercept_terms(self, source: np.ndarray, target: np.ndarray,
                      candidates: np.ndarray) -> tuple:
    """``(prob, closest, eligible, length)`` of the interception test."""
    delta = target - source
    length = np.hypot(delta[0], delta[1]) + 1e-10
    direction = delta / length
    rel = self.pos[candidates] - source
    along = rel @ direction
    beyond = along > length
    along = np.minimum(along, length)
    point = np.where(beyond[:, None], target, source + along[:, None]
                     * direction)
    gap = self.pos[candidates] - point
    closest = np.maximum(0.0, np.hypot(gap[:, 0], gap[:, 1])
                         - self.rules.player_intercept_speed * along)
    ahead = rel @ direction > 0.0
    prob = np.where(ahead, intercept_probability(closest, self.rules), 0.0)
    return prob, closest, ahead, length

  def through_chance(self, source, target, candidates) -> float:
    """Chance that a shot/pass from `source` to `target` is not intercepted."""
    if len(candidates) == 0:
      return 1.0
    prob = self.intercept_terms(source, target, candidates)[0]
    return float(np.prod(1.0 - prob))

  def intercept(self, source, target, candidates) -> int:
    """Draws the interception test; the interceptor or -1."""
    if len(candidates) == 0:
      return -1
    prob, closest, ahead, length = self.intercept_terms(source, target,
                                                        candidates)
    draws = self.rng.random(len(candidates))
    success = ahead & (draws < prob) & (closest < length + 1.0)
    if not success.any():
      return -1
    return int(candidates[np.argmin(np.where(success, closest, np.inf))])

  def _shoot(self, shooter: int) -> None:
    net = self.attack_net[shooter]
    on_net = bool(self.rng.random() < on_net_chance(self.pos[shooter], net,
                                                     self.rules))
    interceptor = self.intercept(self.pos[shooter], net,
                                 self.capable_opponents(shooter))
    self._respond(shooter, self.rules.shot_response_time)
    if interceptor >= 0:
      self._give(interceptor)
      self.events.append(Event("shot", shooter, interceptor, "intercepted",
                               on_net))
    elif on_net:
      self.score[self.team[shooter]] += 1
      self.stoppage = True
      self.events.append(Event("shot", shooter, -1, "goal", on_net))
    else:
      gap = self.pos - net
      rebound = int(np.argmin(np.hypot(gap[:, 0], gap[:, 1])))
      self._give(rebound)
      self.events.append(Event("shot", shooter, rebound, "miss", on_net))

  def _pass(self, passer: int, target: int) -> None:
    interceptor = self.intercept(self.pos[passer], self.pos[target],
                                 self.capable_opponents(passer))
    receiver = target if interceptor < 0 else interceptor
    self._give(receiver)
    self._respond(passer, self.rules.pass_response_time)
    self.events.append(Event("pass", passer, receiver,
                             "complete" if interceptor < 0 else "intercepted"))

  # ------------------------------------------------------- scripted players
  def shot_success_chance(self, player: int) -> float:
    """SimplePlayer's estimate: through chance times on-net chance."""
    net = self.attack_net[player]
    return (self.through_chance(self.pos[player], net,
                                self.capable_opponents(player))
            * on_net_chance(self.pos[player], net, self.rules))

  def _simple_players(self, thinking: np.ndarray) -> None:
    """STS2's SimplePlayer decisions for the players in mask `thinking`."""
    carrier = self.control
    carrier_team = self.team[carrier]
    pos = self.pos
    # Teammates of the carrier: halfway to the attacked net, spread out.
    mates = self.team == carrier_team
    members = self.team_slice(carrier_team)
    away_from = pos[members] - pos[members].mean(axis=0)
    norm = np.hypot(away_from[:, 0], away_from[:, 1])[:, None] + 1e-10
    dest = (0.5 * (self.attack_net[members] + pos[members])
            + away_from / norm * self.rules.arena_size[0] * 0.5)
    self.inp[members] = np.where(thinking[members, None],
                                 dest - pos[members], self.inp[members])
    # Opponents of the carrier: the nearest chase it, others guard the lane.
    opp = np.flatnonzero(~mates)
    gap = pos[opp] - pos[carrier]
    rank = np.empty(len(opp), np.int64)
    rank[np.argsort(np.hypot(gap[:, 0], gap[:, 1]), kind="stable")] = (
        np.arange(len(opp)))
    lane = 0.5 * (pos[carrier] + self.attack_net[carrier])
    target = np.where((rank < CHASERS)[:, None], pos[carrier], lane)
    chase = thinking[opp]
    self.inp[opp[chase]] = (target - pos[opp])[chase]
    if thinking[carrier]:
      self._simple_carrier(carrier)

  def _simple_carrier(self, carrier: int) -> None:
    net = self.attack_net[carrier]
    self.inp[carrier] = net - self.pos[carrier]
    net_dist = np.linalg.norm(net - self.pos[carrier])
    shoot_dist = SHOOT_ARENA_DIST * np.hypot(*self.rules.arena_size)
    if (net_dist < shoot_dist
        and self.shot_success_chance(carrier) > SHOT_CHANCE):
      self.action[carrier] = SHOOT
      return
    team = self.team[carrier]
    candidates = self.capable_opponents(carrier)
    best = net_dist
    for k in range(self.n):
      mate = team * self.n + k
      if mate == carrier or self.action_time[mate] > 0:
        continue
      dist = np.linalg.norm(self.pos[mate] - net)
      if dist < best and self.through_chance(
          self.pos[carrier], self.pos[mate], candidates) > PASS_CHANCE:
        self.action[carrier] = PASS + k
        best = dist


def _rectify(inp: np.ndarray) -> np.ndarray:
  """STS2's input rectification: unit length, then components to {-1,0,1}."""
  mag = np.hypot(inp[:, 0], inp[:, 1])
  big = mag > 0.01
  out = inp.copy()
  out[big] /= mag[big, None]
  return np.round(out)
