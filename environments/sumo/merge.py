"""CM3's SUMO double lane merge on a real SUMO simulation (thesis App. A.7.2).

Road and simulator (`network`, `connection`): a straight one-edge road of
200 m with 4 lanes of 3.2 m (12.8 m), SUMO's sublane model at 0.8 m lateral
resolution, 0.2 s per step. Lanes are counted 0..3 from the right (SUMO's
index); the road's right edge is y = 0. ``backend="traci"`` (default) runs
sumo as a child process, so a process may hold several environments (a
runner's train and evaluation copies); ``backend="libsumo"`` runs SUMO in
this process, without socket round trips (1.9x the env steps/s of traci on
an idle machine, 1.2x when the cores are busy: traci's sumo then runs on
the other core), but one live environment per process (a second one is
refused with a RuntimeError; `one_per_process` says so). SUMO starts at the first
``reset``, not at construction, and the scenario files are generated into
``run_dir`` (a temporary directory removed by ``close`` by default).

Agents (``agent_0`` ... , default 2) are SUMO vehicles (5 m x 1.8 m) that
SUMO does not drive: speed mode 0 and lane-change mode 0, so they keep
exactly the commanded speed and sidestep exactly as told, whatever is
around (collisions are possible and penalised). Actions: 0 no-op (keep speed
and lateral position), 1 accelerate and 2 decelerate (+-2.5 m/s^2, i.e.
+-0.5 m/s per step; CHOICE: commanded speeds are kept in [0, 45] m/s), 3 left
and 4 right (``changeSublane`` by one sub-lane, 0.8 m; CHOICE: the agents'
lateral speed limit (4 m/s) and lateral acceleration are set high enough
that the shift completes within the step, and a shift that would put the
car's centre outside the outer lanes' centres (y in [1.6, 11.2]) is a
no-op, which keeps the car on the road).

Episode start. With probability ``prob_random`` (0.2) initial and goal lanes
are uniform random, else agent 0 starts in lane 1 with goal lane 2 and agent
1 in lane 2 with goal lane 1 (``config="train"``). Test configurations
(thesis Table A.1, N = 2): ``"C1"`` lanes [1, 2] -> goals [3, 0], ``"C2"``
uniform random, ``"C3"`` [1, 2] -> [2, 1], ``"C4"`` [0, 1] -> [3, 2]; they
come with heavy SUMO traffic (``traffic`` overrides). CHOICE: random initial
lanes are distinct (agents enter side by side; a shared lane could block
SUMO's insertion), random goals are independent. Agents enter at 30 m/s in
their lane's centre; departure times are N(0, 0.5 s) per agent. CHOICE: the
draws are clipped to +-1 s, and instead of holding agents back, every agent
enters at once where a staggered departure at 30 m/s would have brought it
by the time the last one enters: the last one at x = 0 (front bumper), an
agent that departed dt earlier at x = 30 dt (at most 60 m). The episode's
steps start then. Agents enter before the traffic, so SUMO always accepts them
(in distinct lanes).

Heavy traffic (C1-C4): cars (5 m, desired speed ~0.85 x 30 m/s) and trucks
(12 m, ~0.8 x 30 m/s, 20% of vehicles) driven by SUMO (Krauss car following
with dawdling, SL2015 sublane lane changes). CHOICE: each lane gets one
vehicle in each 30 m slot from x = 30 m to 180 m (about SUMO's safe headway
at 25 m/s) with probability ``traffic_density`` (0.4), +-2 m jitter, placed
by the environment's seeded generator at the start at the fastest speed
that is safe behind its leader; one that SUMO cannot insert safely next to
the agents or its leader is dropped. Further cars and trucks enter at x = 0
on random lanes from t = 1 s (0.3 and 0.08 per second, SUMO's seeded
randomness). Every episode reloads SUMO with a seed drawn from the
environment's generator, so episodes are reproducible under ``seed`` and
identical with traci and libsumo.

Observation of agent n (float32, `multigoal_parts` layout
``[o_self | goal | o_others]``):

* o_self (3): speed / 29; signed sub-lane offset from the goal lane's
  centre, (y / 0.8 - (4 g + 2)) / 12, positive to the left (CHOICE: the car
  centre in sub-lane units, 4 sub-lanes per lane, normalised by 12, the
  largest offset between two lane centres); distance to the goal line,
  (190 - x) / 190, x the front bumper (1 at the start line, < 0 past it).
* goal (4): one-hot goal lane.
* o_others (13 x 9 x 2 = 234, flattened row-major H, W, C; empty in Stage
  1): a grid centred on the agent's centre, rows 2.5 m long from 15 m ahead
  (row 0, offset +15 m) to 15 m behind (row 12), columns one sub-lane wide
  from 4 sub-lanes to the left (column 0, +3.2 m) to 4 to the right (column
  8): a top view with the driving direction up. Channel 0 is 1 where another
  vehicle's footprint (agents and SUMO vehicles, length x width) overlaps
  the cell (CHOICE: footprints, not centre points: a car covers about 3 x 3
  cells, a truck 6 x 4); channel 1 is the relative speed (v_other - v) / 29
  there, the nearest vehicle's where footprints share a cell.

Global state ``observation["state"]`` = per agent [x / 200, y / 12.8, v / 29]
(no environment part).

Rewards (per agent, per step, summed when several apply): -1 in every step
in which the agent's rectangle overlaps another vehicle's (CHOICE: a
geometric test on SUMO's positions rather than SUMO's collision detection,
so lateral sublane contacts count and SUMO never removes or teleports
anyone: ``collision.action none``); -0.1 when its speed exceeds 35.7 m/s;
10 (1 - Delta) in the step its front passes x = 190 m, with Delta = |sub-lane
offset| / 12 (clipped to 1) from its goal lane's centre; -10 at the last
step (the 40th by default) if it has not arrived (time-out).

Termination: when every agent has arrived, or after ``max_steps`` steps;
the time limit is part of the task (it carries the -10), so it ends the
episode as a termination (discount 0). CONFLICT: the thesis gives 33 steps
(text and Table A.4); CM3's code, which produced its figures, gives each car
round(route length / 25 m/s / dt) = 40 steps before its -10 (the max_steps
of 33 in its configuration does not limit SUMO episodes). 40 is the default;
``max_steps=33`` (the launchers' ``--max_steps=33``) is the thesis' value.
It matters: an agent that keeps its 30 m/s arrives at step 32, so with 33
steps three decelerations cost the -10 and policies learn to accelerate
early, overshooting 35.7 m/s (11 accelerations from 30 m/s stay below it,
12 do not), and CM3's Stage-1 policy keeps speeding into Stage 2; with 40
they need not (docs/results).
Other differences in that code, not followed here: a built-in safety check
replaces no-op and accelerate by decelerate when the time to collision with
a car ahead is under 2 s, a collision ends the car's episode, and Delta is
normalised by 16 sub-lanes.
CHOICE: an agent that arrives leaves the road (it is removed from SUMO; it
would leave the 200 m road within two steps anyway): its actions are
ignored, its rewards are 0, its observation and state entry stay as they
were at arrival, and the others drive on.

Stage 1 (``stage1=True``): the induced single-agent MDP, N = 1, uniform
random initial and goal lanes, an empty road and no o_others (others_size
0); o_self, goal and the state entry are as in the game.

Events (`get_info`, per agent): ``arrived`` (1 if it passed x = 190 m),
``collisions`` (steps in collision), ``speeding`` (steps above 35.7 m/s) and
``delta`` (|sub-lane offset| / 12 at arrival, or at the last step).

Speed: a step costs one SUMO step, which also delivers a context
subscription on the road edge (position and speed of every vehicle, no
per-vehicle queries), plus one ``setSpeed`` or ``changeSublane`` per agent
that accelerates, brakes or sidesteps; a reset reloads SUMO (a few ms) and
adds the vehicles. ``benchmarks/sumo_speed.py`` measures both back ends.

Robustness: every SUMO failure during a step (the sumo process killed, a
broken socket, a libsumo error) closes the simulation and raises a
RuntimeError for that step; the next ``reset`` starts a fresh SUMO.
Ctrl-C also closes it. ``close`` is idempotent, and ``__del__`` plus an
``atexit`` hook close forgotten environments.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile
import weakref
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from environments import base
from environments import multigoal
from environments.sumo import connection
from environments.sumo import network

NOOP, ACCELERATE, DECELERATE, LEFT, RIGHT = range(5)
NUM_ACTIONS = 5
NUM_LANES = network.NUM_LANES
GOAL_X = 190.0
SPEED_NORM = 29.0
SPEEDING_SPEED = 35.7
SPEED_STEP = 2.5 * network.STEP_LENGTH   # 2.5 m/s^2 for one step.
MAX_SPEED = 45.0
DEPART_SPEED = 30.0
DEPART_STD = 0.5
DEPART_CLIP = 1.0
MAX_STEPS = 40          # CM3's code; the thesis says 33.
THESIS_MAX_STEPS = 33
SUBLANES_PER_LANE = round(network.LANE_WIDTH / network.SUBLANE_WIDTH)
MAX_SUBLANE_OFFSET = float((NUM_LANES - 1) * SUBLANES_PER_LANE)
Y_MIN = network.LANE_WIDTH / 2                       # Lane 0's centre.
Y_MAX = network.ROAD_WIDTH - network.LANE_WIDTH / 2  # Lane 3's centre.

COLLISION_REWARD = -1.0
SPEEDING_REWARD = -0.1
GOAL_REWARD = 10.0
TIMEOUT_REWARD = -10.0

GRID_SHAPE = (13, 9, 2)
CELL_LENGTH = 2.5
# Cell centres relative to the agent's centre: rows ahead first, columns
# left first.
ROW_OFFSETS = CELL_LENGTH * (GRID_SHAPE[0] // 2 - np.arange(GRID_SHAPE[0]))
COL_OFFSETS = network.SUBLANE_WIDTH * (GRID_SHAPE[1] // 2
                                       - np.arange(GRID_SHAPE[1]))
SELF_SIZE, GOAL_SIZE, AGENT_STATE_SIZE = 3, NUM_LANES, 3
GRID_SIZE = int(np.prod(GRID_SHAPE))

TRAIN = "train"
# Initial lanes and goal lanes of agents 0 and 1; None: uniform random.
CONFIGS: Dict[str, Optional[Tuple[Tuple[int, ...], Tuple[int, ...]]]] = {
    TRAIN: ((1, 2), (2, 1)),
    "C1": ((1, 2), (3, 0)),
    "C2": None,
    "C3": ((1, 2), (2, 1)),
    "C4": ((0, 1), (3, 2)),
}
PROB_RANDOM = 0.2
TRAFFIC_DENSITY = 0.4
# Front positions per lane: 30 m apart, about SUMO's safe headway at 25 m/s.
TRAFFIC_SLOTS = 30.0 + 30.0 * np.arange(6)
TRAFFIC_JITTER = 2.0
TRUCK_SHARE = 0.2
_EPS = 1e-6
_SEED_RANGE = 2**31 - 1
_STATE_SCALE = np.array([network.ROAD_LENGTH, network.ROAD_WIDTH, SPEED_NORM])
_open_environments: "weakref.WeakSet[DoubleLaneMerge]" = weakref.WeakSet()


@functools.lru_cache(maxsize=4096)
def _size(vehicle_id: str) -> Tuple[float, float]:
  """(length, width) of a vehicle, from its id (ids recur every step)."""
  vtype = network.type_of(vehicle_id)
  return vtype.length, vtype.width


@dataclasses.dataclass
class Road:
  """Every vehicle on the road after a step, sorted by id."""
  ids: List[str]
  x: np.ndarray        # Front bumper.
  y: np.ndarray        # Centre line, from the road's right edge.
  speed: np.ndarray
  length: np.ndarray
  width: np.ndarray

  def __post_init__(self):
    self._rows = {vehicle_id: k for k, vehicle_id in enumerate(self.ids)}

  @classmethod
  def from_states(cls, states: Dict[str, connection.VehicleState]) -> "Road":
    ids = sorted(states)
    values = np.array([states[i] for i in ids], np.float64).reshape(-1, 3)
    sizes = np.array([_size(i) for i in ids], np.float64).reshape(-1, 2)
    return cls(ids, values[:, 0], values[:, 1], values[:, 2], sizes[:, 0],
               sizes[:, 1])

  def index(self, vehicle_id: str) -> Optional[int]:
    """Row of a vehicle, None if it is not on the road."""
    return self._rows.get(vehicle_id)


def sublane_offset(y, goal_lane):
  """Signed sub-lanes from the goal lane's centre (positive: left of it)."""
  return (np.asarray(y) / network.SUBLANE_WIDTH
          - (SUBLANES_PER_LANE * np.asarray(goal_lane) + SUBLANES_PER_LANE / 2))


def goal_delta(y, goal_lane):
  """Normalised |sub-lane offset| in [0, 1]: the reward's Delta."""
  return np.minimum(np.abs(sublane_offset(y, goal_lane)) / MAX_SUBLANE_OFFSET,
                    1.0)


def selfish_actions(observations: np.ndarray) -> np.ndarray:
  """A scripted reference policy that ignores every other car: one sub-lane
  per step towards its own goal lane's centre, speed kept (no-op).

  It measures how much of the task needs no cooperation at all.

  Args:
    observations: agent observations ``[..., D]`` (sub-lane offset at 1).
  Returns:
    int32 actions ``[...]``.
  """
  offset = np.asarray(observations)[..., 1] * MAX_SUBLANE_OFFSET
  return np.where(offset > 0.5, RIGHT,
                  np.where(offset < -0.5, LEFT, NOOP)).astype(np.int32)


def colliding(road: Road, egos: np.ndarray) -> np.ndarray:
  """Whether each vehicle of `egos` (rows) overlaps another vehicle.

  Vehicles are rectangles: length behind the front bumper, width centred on
  the centre line; touching is no collision.
  """
  ahead = (road.x - road.length)[None, :] < road.x[egos, None] - _EPS
  behind = (road.x[egos] - road.length[egos])[:, None] < road.x[None, :] - _EPS
  side = (np.abs(road.y[None, :] - road.y[egos, None])
          < (road.width[None, :] + road.width[egos, None]) / 2 - _EPS)
  hit = ahead & behind & side
  hit[np.arange(len(egos)), egos] = False
  return hit.any(axis=1)


# Cell bounds (shrunk by _EPS: footprints that only touch a cell miss it).
_ROW_LO = ROW_OFFSETS - CELL_LENGTH / 2 + _EPS
_ROW_HI = ROW_OFFSETS + CELL_LENGTH / 2 - _EPS
_COL_LO = COL_OFFSETS - network.SUBLANE_WIDTH / 2 + _EPS
_COL_HI = COL_OFFSETS + network.SUBLANE_WIDTH / 2 - _EPS


def occupancy_grids(road: Road, egos: np.ndarray) -> np.ndarray:
  """``[len(egos), 13, 9, 2]`` grids of the vehicles around each ego row."""
  grids = np.zeros((len(egos),) + GRID_SHAPE, np.float32)
  centre = road.x[egos] - road.length[egos] / 2
  front = road.x[None, :] - centre[:, None]               # [E, V]
  back = front - road.length[None, :]
  lateral = road.y[None, :] - road.y[egos, None]
  half_width = road.width[None, :] / 2
  rows = (back[..., None] < _ROW_HI) & (front[..., None] > _ROW_LO)
  cols = (((lateral - half_width)[..., None] < _COL_HI)
          & ((lateral + half_width)[..., None] > _COL_LO))
  cover = rows[:, :, :, None] & cols[:, :, None, :]       # [E, V, 13, 9]
  cover[np.arange(len(egos)), egos] = False
  occupied = cover.any(axis=1)
  if not occupied.any():
    return grids
  # Where footprints share a cell, the nearest vehicle's speed counts.
  distance = np.hypot(front - road.length[None, :] / 2, lateral)
  nearest = np.where(cover, distance[:, :, None, None], np.inf).argmin(axis=1)
  relative = (road.speed[None, :] - road.speed[egos, None]) / SPEED_NORM
  speeds = relative[np.arange(len(egos))[:, None, None], nearest]
  grids[..., 0] = occupied
  grids[..., 1] = np.where(occupied, speeds, 0.0)
  return grids


class DoubleLaneMerge(base.MultiAgentPyEnvironment):
  """CM3's SUMO double lane merge (see the module docstring)."""

  def __init__(self,
               num_agents: Optional[int] = None,
               config: str = TRAIN,
               stage1: bool = False,
               backend: str = "traci",
               prob_random: Optional[float] = None,
               traffic: Optional[bool] = None,
               traffic_density: float = TRAFFIC_DENSITY,
               max_steps: int = MAX_STEPS,
               run_dir: Optional[str] = None,
               seed: Optional[int] = None):
    """Generates the scenario files; SUMO starts at the first reset.

    Args:
      num_agents: agents, 1 to 4; default 2 (1 in Stage 1).
      config: ``"train"`` or a test configuration ``"C1"`` ... ``"C4"``.
      stage1: the induced single-agent MDP of CM3's Stage 1.
      backend: ``"traci"`` (several per process) or ``"libsumo"`` (faster,
        one live environment per process).
      prob_random: chance of random lanes in ``"train"``; default 0.2, 1.0
        where no predefined start exists (Stage 1, N != 2).
      traffic: SUMO-controlled traffic; default on for C1-C4 only.
      traffic_density: chance of a vehicle in each 30 m slot of each lane.
      max_steps: the time limit (40), which ends the episode with -10 for
        agents that have not arrived.
      run_dir: where the scenario files go; default a temporary directory
        that `close` removes.
      seed: seed of the environment's generator (and through it SUMO's).
    """
    if config not in CONFIGS:
      raise ValueError(f"unknown config {config!r}; known: {sorted(CONFIGS)}")
    if backend not in connection.BACKENDS:
      raise ValueError(f"unknown backend {backend!r}; use one of "
                       f"{connection.BACKENDS}")
    if stage1 and config != TRAIN:
      raise ValueError("stage1 uses config 'train'")
    n = (1 if stage1 else 2) if num_agents is None else int(num_agents)
    if stage1 and n != 1:
      raise ValueError(f"stage1 has one agent, not {n}")
    if not 1 <= n <= NUM_LANES:
      raise ValueError(f"num_agents must be in [1, {NUM_LANES}] (one "
                       f"initial lane each), got {n}")
    fixed = CONFIGS[config]
    if fixed is not None and config != TRAIN and n != len(fixed[0]):
      raise ValueError(f"config {config!r} has {len(fixed[0])} agents")
    has_start = config == TRAIN and not stage1 and n == len(fixed[0])
    if prob_random is None:
      prob_random = PROB_RANDOM if has_start else 1.0
    if not 0.0 <= prob_random <= 1.0:
      raise ValueError(f"prob_random must be in [0, 1], got {prob_random}")
    if config == TRAIN and not has_start and prob_random < 1.0:
      raise ValueError("only N = 2 outside Stage 1 has a predefined start; "
                       "prob_random must be 1")
    if not 0.0 <= traffic_density <= 1.0:
      raise ValueError(f"traffic_density must be in [0, 1], got "
                       f"{traffic_density}")
    traffic = (config != TRAIN) if traffic is None else bool(traffic)
    if traffic and stage1:
      raise ValueError("Stage 1 is the empty-road MDP: no traffic")
    super().__init__(n, max_steps, seed=seed, terminal_time_limit=True,
                     has_state=True)
    self.config = config
    self.stage1 = bool(stage1)
    self.backend = backend
    self._prob_random = float(prob_random)
    self._traffic = traffic
    self._traffic_density = float(traffic_density)
    self._own_run_dir = run_dir is None
    self._closed = False
    self._conn: Optional[connection.Connection] = None
    run_dir = tempfile.mkdtemp(prefix="sumo_merge_") if run_dir is None \
        else run_dir
    self._run_dir = run_dir
    self._files = network.build(run_dir, flows=self._traffic)
    self._others_size = 0 if self.stage1 else GRID_SIZE
    self._obs_size = SELF_SIZE + GOAL_SIZE + self._others_size
    self._initial_lanes = np.zeros(n, np.int64)
    self._goals = np.zeros(n, np.int64)
    self._arrived = np.zeros(n, bool)
    self._kinematics = np.zeros((n, 3))       # x, y, speed: last known.
    self._speed_command = np.full(n, DEPART_SPEED)
    self._obs = np.zeros((n, self._obs_size), np.float32)
    self._road = Road.from_states({})
    _open_environments.add(self)

  # ------------------------------------------------------------ layout
  @property
  def multigoal_parts(self) -> multigoal.MultiGoalParts:
    """Sizes of ``[o_self | goal | grid]`` and ``[s^0 | s^1 ...]``."""
    return multigoal.MultiGoalParts(
        num_agents=self.num_agents, self_size=SELF_SIZE, goal_size=GOAL_SIZE,
        others_size=self._others_size, env_state_size=0,
        agent_state_size=AGENT_STATE_SIZE,
        others_image_shape=None if self.stage1 else GRID_SHAPE)

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((self._obs_size,), np.float32,
                                name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, NUM_ACTIONS - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((AGENT_STATE_SIZE * self.num_agents,),
                                np.float32, name=base.STATE_KEY)

  # ------------------------------------------------------------ accessors
  @property
  def goals(self) -> np.ndarray:
    """Goal lanes of the current episode."""
    return self._goals.copy()

  @property
  def initial_lanes(self) -> np.ndarray:
    return self._initial_lanes.copy()

  @property
  def scenario_files(self) -> network.ScenarioFiles:
    return self._files

  @property
  def one_per_process(self) -> bool:
    return self.backend == "libsumo"

  @property
  def sumo_pid(self) -> Optional[int]:
    """The sumo child process (traci), None for libsumo or when stopped."""
    return self._conn.pid if self._conn is not None else None

  def vehicles(self) -> Dict[str, Tuple[float, float, float]]:
    """``{id: (x, y, speed)}`` of every vehicle after the last step."""
    road = self._road
    return {v: (road.x[k], road.y[k], road.speed[k])
            for k, v in enumerate(road.ids)}

  # ------------------------------------------------------------ SUMO link
  def _sumo_args(self, seed: int) -> list:
    return network.sumo_arguments(self._files, seed)

  def _open(self, seed: int) -> connection.Connection:
    """Starts SUMO (first episode, or after a failure) or reloads it."""
    if self._closed:
      raise RuntimeError("this environment was closed")
    if self._conn is not None and self._conn.alive:
      self._conn.load(self._sumo_args(seed))
      return self._conn
    self._drop_connection()
    conn = connection.connect(self.backend, self._sumo_args(seed),
                              log_path=os.path.join(self._run_dir,
                                                    "sumo.log"))
    conn.start()
    self._conn = conn
    return conn

  def _drop_connection(self) -> None:
    conn, self._conn = self._conn, None
    if conn is not None:
      conn.close()

  @contextlib.contextmanager
  def _guard(self, what: str) -> Iterator[None]:
    """Closes SUMO on any failure, reporting SUMO failures as RuntimeError."""
    try:
      yield
    except connection.sumo_errors() as e:
      self._drop_connection()
      raise RuntimeError(f"SUMO failed during {what} ({type(e).__name__}: "
                         f"{e}); the episode is lost, the next reset() "
                         "starts a new SUMO") from e
    except BaseException:
      self._drop_connection()
      raise

  def close(self) -> None:
    """Stops SUMO and removes a temporary run directory; idempotent."""
    if getattr(self, "_closed", True):
      return
    self._closed = True
    _open_environments.discard(self)
    self._drop_connection()
    if self._own_run_dir:
      shutil.rmtree(self._run_dir, ignore_errors=True)

  def __del__(self):
    try:
      self.close()
    except Exception:  # pylint: disable=broad-except
      pass

  # ------------------------------------------------------------ episodes
  def _draw_lanes(self) -> Tuple[np.ndarray, np.ndarray]:
    """Initial and goal lanes of a new episode."""
    fixed = CONFIGS[self.config]
    n = self.num_agents
    if self.config == TRAIN:
      if self._rng.random() >= self._prob_random:
        return np.array(fixed[0]), np.array(fixed[1])
    elif fixed is not None:
      return np.array(fixed[0]), np.array(fixed[1])
    lanes = self._rng.permutation(NUM_LANES)[:n]
    return lanes, self._rng.integers(0, NUM_LANES, n)

  def _draw_starts(self) -> np.ndarray:
    """Start positions x (front bumper) from the departure-time draws."""
    draws = np.clip(self._rng.normal(0.0, DEPART_STD, self.num_agents),
                    -DEPART_CLIP, DEPART_CLIP)
    return DEPART_SPEED * (draws.max() - draws)   # Earlier: further ahead.

  def _draw_traffic(self) -> List[Tuple[str, int, float, Optional[float]]]:
    """SUMO vehicles on the road at the start: (type, lane, x, speed)."""
    if not self._traffic:
      return []
    out = []
    for lane in range(NUM_LANES):
      for slot in TRAFFIC_SLOTS:
        if self._rng.random() < self._traffic_density:
          x = slot + self._rng.uniform(-TRAFFIC_JITTER, TRAFFIC_JITTER)
          truck = self._rng.random() < TRUCK_SHARE
          out.append(("truck" if truck else "car", lane, float(x), None))
    # Front to back: each enters behind its leader at the fastest safe speed.
    return sorted(out, key=lambda v: -v[2])

  def _reset_state(self) -> base.Events:
    sumo_seed = int(self._rng.integers(_SEED_RANGE))
    lanes, goals = self._draw_lanes()
    starts = self._draw_starts()
    agents = [(int(lane), float(x), DEPART_SPEED)
              for lane, x in zip(lanes, starts)]
    self._begin(sumo_seed, agents, goals, self._draw_traffic())
    return self._zero_events()

  def set_scene(self, agents: Sequence[Tuple[int, float, float]],
                goals: Sequence[int],
                traffic: Sequence[Tuple[str, int, float, Optional[float]]] = ()
                ) -> Dict[str, np.ndarray]:
    """Starts a constructed episode in place of the current one.

    For tests and scripted scenes: it replaces `reset` (the next `step`
    continues the scene). Every vehicle enters at time 0 at its lane's
    centre; SUMO must accept each insertion (gaps safe for SUMO's drivers),
    else a RuntimeError names the missing agents.

    Args:
      agents: ``(lane, x, speed)`` per agent (x: front bumper).
      goals: goal lane per agent.
      traffic: ``(type, lane, x, speed)`` SUMO vehicles (type "car" or
        "truck"; speed None: the fastest safe speed).

    Returns:
      The first observation (also the current time step's).
    """
    if len(agents) != self.num_agents or len(goals) != self.num_agents:
      raise ValueError(f"need {self.num_agents} agents and goals")
    sumo_seed = int(self._rng.integers(_SEED_RANGE))
    self._begin(sumo_seed, [(int(lane), float(x), float(speed))
                            for lane, x, speed in agents],
                np.asarray(goals, np.int64), list(traffic))
    self._step_count = 0
    self._events = self._zero_events()
    observation = self._observe()
    self._current_time_step = ts.restart(observation,
                                         reward_spec=self.reward_spec())
    return observation

  def _zero_events(self) -> base.Events:
    n = self.num_agents
    return {"arrived": np.zeros(n, np.int64),
            "collisions": np.zeros(n, np.int64),
            "speeding": np.zeros(n, np.int64),
            "delta": goal_delta(self._kinematics[:, 1], self._goals)}

  def _begin(self, sumo_seed: int,
             agents: Sequence[Tuple[int, float, float]],
             goals: np.ndarray, traffic: Sequence[tuple]) -> None:
    """(Re)loads SUMO and lets every vehicle enter (one simulation step).

    A SUMO failure (say, the process died between episodes) gets one fresh
    start before it is reported.
    """
    self._initial_lanes = np.array([a[0] for a in agents], np.int64)
    self._goals = np.asarray(goals, np.int64).copy()
    self._arrived[:] = False
    self._speed_command = np.array([a[2] for a in agents], np.float64)
    for attempt in range(2):
      try:
        with self._guard("reset"):
          self._load_episode(sumo_seed, agents, traffic)
        return
      except RuntimeError:
        if attempt or self._closed:
          raise

  def _load_episode(self, sumo_seed: int, agents, traffic) -> None:
    conn = self._open(sumo_seed)
    # Agents first: SUMO inserts in this order, so traffic yields to them.
    for agent_id, (lane, x, speed) in zip(self.agent_ids, agents):
      conn.add_vehicle(agent_id, network.AGENT.type_id, 0.0, lane, x,
                       f"{speed:.3f}")
      conn.control(agent_id, speed)
    for k, (type_id, lane, x, speed) in enumerate(traffic):
      conn.add_vehicle(f"{type_id}_{k}", type_id, 0.0, lane, x,
                       "max" if speed is None else f"{speed:.3f}")
    conn.subscribe_road()
    conn.step()
    self._read_road()
    missing = [a for a in self.agent_ids if self._road.index(a) is None]
    if missing:
      raise RuntimeError(f"SUMO did not insert {missing} at their start "
                         "(blocked lane?)")

  def _read_road(self) -> None:
    """Caches the road after a step and the agents' kinematics."""
    self._road = Road.from_states(self._conn.vehicles())
    for i, agent_id in enumerate(self.agent_ids):
      k = self._road.index(agent_id)
      if k is not None:
        self._kinematics[i] = (self._road.x[k], self._road.y[k],
                               self._road.speed[k])

  def _transition(self, actions: np.ndarray) -> tuple:
    if self._conn is None or not self._conn.alive:
      self._drop_connection()
      raise RuntimeError("SUMO is not running (its process died or the "
                         "environment was closed); call reset()")
    with self._guard("step"):
      self._act(actions)
      self._conn.step()
      self._read_road()
      rewards = self._score()
    return rewards, bool(self._arrived.all())

  def _act(self, actions: np.ndarray) -> None:
    """Sends the active agents' speed and sub-lane commands to SUMO."""
    for i in np.flatnonzero(~self._arrived):
      action, agent_id = actions[i], self.agent_ids[i]
      if action in (ACCELERATE, DECELERATE):
        sign = 1.0 if action == ACCELERATE else -1.0
        speed = float(np.clip(self._speed_command[i] + sign * SPEED_STEP,
                              0.0, MAX_SPEED))
        if speed != self._speed_command[i]:
          self._speed_command[i] = speed
          self._conn.set_speed(agent_id, speed)
      elif action in (LEFT, RIGHT):
        shift = network.SUBLANE_WIDTH * (1.0 if action == LEFT else -1.0)
        target = self._kinematics[i, 1] + shift
        if Y_MIN - 1e-3 <= target <= Y_MAX + 1e-3:
          self._conn.change_sublane(agent_id, shift)

  def _agent_rows(self, agents: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The `agents` (indices) on the road and their rows in the road."""
    rows = [self._road.index(self.agent_ids[i]) for i in agents]
    present = np.array([r is not None for r in rows], bool)
    return agents[present], np.array([r for r in rows if r is not None],
                                     np.int64)

  def _score(self) -> np.ndarray:
    """Rewards of the step just simulated; updates arrivals and events."""
    rewards = np.zeros(self.num_agents)
    active = np.flatnonzero(~self._arrived)
    on_road, rows = self._agent_rows(active)
    collided = np.zeros(self.num_agents, bool)
    collided[on_road] = colliding(self._road, rows)
    x, y, speed = self._kinematics.T
    speeding = np.zeros(self.num_agents, bool)
    speeding[on_road] = speed[on_road] > SPEEDING_SPEED
    delta = goal_delta(y, self._goals)
    # An agent SUMO removed has left the road at its end: arrived too.
    gone = np.ones(self.num_agents, bool)
    gone[on_road] = False
    arrived = np.zeros(self.num_agents, bool)
    arrived[active] = (x[active] > GOAL_X) | gone[active]
    rewards += COLLISION_REWARD * collided + SPEEDING_REWARD * speeding
    rewards += np.where(arrived, GOAL_REWARD * (1.0 - delta), 0.0)
    if self._step_count + 1 >= self._max_steps:
      timed_out = np.zeros(self.num_agents, bool)
      timed_out[active] = ~arrived[active]
      rewards += TIMEOUT_REWARD * timed_out
    events = self._events
    events["collisions"] += collided
    events["speeding"] += speeding
    events["delta"][active] = delta[active]
    events["arrived"][arrived] = 1
    self._arrived |= arrived
    for i in np.flatnonzero(arrived & ~gone):
      self._conn.remove(self.agent_ids[i])  # It leaves the road.
    return rewards

  def _observe(self) -> Dict[str, np.ndarray]:
    # Agents that have left keep the observation they had.
    agents, rows = self._agent_rows(np.arange(self.num_agents))
    if agents.size:
      x, y, speed = self._kinematics[agents].T
      goals = self._goals[agents]
      obs = self._obs
      obs[agents, 0] = speed / SPEED_NORM
      obs[agents, 1] = sublane_offset(y, goals) / MAX_SUBLANE_OFFSET
      obs[agents, 2] = (GOAL_X - x) / GOAL_X
      obs[agents, SELF_SIZE:SELF_SIZE + GOAL_SIZE] = np.eye(GOAL_SIZE)[goals]
      if self._others_size:
        obs[agents, SELF_SIZE + GOAL_SIZE:] = occupancy_grids(
            self._road, rows).reshape(agents.size, -1)
    out = dict(zip(self.agent_ids, self._obs.copy()))
    state = self._kinematics / _STATE_SCALE
    out[base.STATE_KEY] = state.astype(np.float32).reshape(-1)
    return out


@atexit.register
def _close_all() -> None:
  """Safety net: close forgotten environments (SUMO and temporary files)."""
  for env in list(_open_environments):
    try:
      env.close()
    except Exception:  # pylint: disable=broad-except
      pass
