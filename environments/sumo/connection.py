"""Two SUMO back ends behind one small interface: libsumo and traci.

* ``"libsumo"`` runs SUMO inside this process (no sockets: the fastest), but
  a process holds ONE simulation: a second ``libsumo.start`` silently
  replaces the first. `LibsumoConnection` therefore refuses to start while
  another libsumo connection of this process is live.
* ``"traci"`` runs ``sumo`` as a child process and talks to it over a socket,
  so one process may drive several simulations (each under its own traci
  label). `TraciConnection` starts sumo itself on a free port and connects
  with short retries (``traci.start`` waits a whole second before its first
  retry); if another process takes the port first (sumo then exits), it
  starts again on a new port.

Both expose the same few calls the environment needs: `start`, `load` (a new
episode with a new seed), `add_vehicle`, `control` / `set_speed` /
`change_sublane` / `remove` (agent commands), `subscribe_road` and `vehicles`
(everything on the road in one subscription result, no per-vehicle
queries), `step` and `close`.

Cleanup: `close` is idempotent and also works on a dead or half-broken
connection (it waits for or kills the sumo process, so no zombie or orphan
remains); every live connection is also closed by an ``atexit`` hook. If the
Python process itself dies, sumo exits when its socket closes. Errors of
either back end that mean "the simulation is gone" are collected by
`sumo_errors`.
"""

from __future__ import annotations

import abc
import atexit
import itertools
import os
import socket
import subprocess
import sys
import time
import weakref
from typing import Dict, Optional, Sequence, Tuple

from environments.sumo import network

BACKENDS = ("libsumo", "traci")
# traci constants (the same numbers in libsumo).
_VAR_POSITION = 0x42
_VAR_SPEED = 0x40
_CMD_GET_VEHICLE_VARIABLE = 0xa4
# Context range around the edge: covers the whole road and its approaches.
_ROAD_RANGE = 1000.0
_PORT_ATTEMPTS = 5
_CONNECT_TIMEOUT_S = 30.0
_CONNECT_POLL_S = 0.05
_EXIT_TIMEOUT_S = 5.0

# (x, y, speed) of one vehicle: front bumper centre and speed.
VehicleState = Tuple[float, float, float]

_live_connections: "weakref.WeakSet[Connection]" = weakref.WeakSet()
_libsumo_owner: Optional["weakref.ref[LibsumoConnection]"] = None
_labels = itertools.count()


def sumo_errors() -> tuple:
  """Exception types meaning that the simulation or its link broke."""
  errors = [OSError]
  try:
    import traci.connection  # pylint: disable=g-import-not-at-top
    import traci.exceptions  # pylint: disable=g-import-not-at-top
    # Importing libsumo replaces traci.exceptions.TraCIException; the traci
    # client itself raises the classes it imported first.
    errors += [traci.exceptions.FatalTraCIError,
               traci.exceptions.TraCIException,
               traci.connection.FatalTraCIError,
               traci.connection.TraCIException]
  except ImportError:
    pass
  libsumo = sys.modules.get("libsumo")
  if libsumo is not None:
    errors += [libsumo.TraCIException, libsumo.FatalTraCIError]
  return tuple(errors)


class Connection(abc.ABC):
  """One SUMO simulation; subclasses provide start, close and liveness."""

  backend: str = ""

  def __init__(self, args: Sequence[str]):
    """Stores sumo's command-line `args` (without the binary)."""
    self._args = list(args)
    self._api = None  # The traci Connection or the libsumo module.

  # ----------------------------------------------------------- lifecycle
  @abc.abstractmethod
  def start(self) -> None:
    """Starts SUMO with the stored arguments."""

  @abc.abstractmethod
  def close(self) -> None:
    """Ends the simulation; safe to call any number of times."""

  @property
  @abc.abstractmethod
  def alive(self) -> bool:
    """Whether the simulation is running and reachable."""

  @property
  def pid(self) -> Optional[int]:
    """Process id of the sumo process (None for libsumo: this process)."""
    return None

  def __del__(self):
    try:
      self.close()
    except Exception:  # pylint: disable=broad-except
      pass  # Interpreter shutdown: modules may already be gone.

  # ----------------------------------------------------------- commands
  def load(self, args: Sequence[str]) -> None:
    """Restarts the simulation in place (time 0) with new arguments."""
    self._api.load(list(args))

  def step(self) -> None:
    self._api.simulationStep()

  def time(self) -> float:
    return self._api.simulation.getTime()

  def add_vehicle(self, vehicle_id: str, type_id: str, depart: float,
                  lane: int, position: float, speed: str) -> None:
    """Adds a vehicle on route `network.ROUTE_ID` (front at `position`)."""
    self._api.vehicle.add(vehicle_id, network.ROUTE_ID, typeID=type_id,
                          depart=f"{depart:.2f}", departLane=str(lane),
                          departPos=f"{position:.3f}", departSpeed=speed)

  def control(self, vehicle_id: str, speed: float) -> None:
    """Hands a vehicle to the caller: no SUMO speed or lane-change logic.

    Speed mode 0 ignores safe gaps, acceleration bounds and the speed limit
    (``setSpeed`` is obeyed exactly); lane-change mode 0 makes no automatic
    changes and executes ``changeSublane`` whatever the neighbours do.
    """
    self._api.vehicle.setSpeedMode(vehicle_id, 0)
    self._api.vehicle.setLaneChangeMode(vehicle_id, 0)
    self._api.vehicle.setSpeed(vehicle_id, speed)

  def set_speed(self, vehicle_id: str, speed: float) -> None:
    self._api.vehicle.setSpeed(vehicle_id, speed)

  def change_sublane(self, vehicle_id: str, lateral: float) -> None:
    """Shifts a vehicle sideways by `lateral` metres (positive: left)."""
    self._api.vehicle.changeSublane(vehicle_id, lateral)

  def remove(self, vehicle_id: str) -> None:
    self._api.vehicle.remove(vehicle_id)

  def subscribe_road(self) -> None:
    """Subscribes position and speed of every vehicle on the road.

    One context subscription on the edge; its result arrives with each
    simulation step (with traci in the same round trip), so reading the
    road costs no further queries. Call again after `load`.
    """
    self._api.edge.subscribeContext(network.EDGE_ID,
                                    _CMD_GET_VEHICLE_VARIABLE, _ROAD_RANGE,
                                    [_VAR_POSITION, _VAR_SPEED])

  def vehicles(self) -> Dict[str, VehicleState]:
    """``{id: (x, y, speed)}`` of every vehicle on the road after a step."""
    results = self._api.edge.getContextSubscriptionResults(network.EDGE_ID)
    return {vid: (r[_VAR_POSITION][0], r[_VAR_POSITION][1], r[_VAR_SPEED])
            for vid, r in (results or {}).items()}


class LibsumoConnection(Connection):
  """SUMO inside this process; one live simulation per process."""

  backend = "libsumo"

  def __init__(self, args: Sequence[str]):
    super().__init__(args)
    self._started = False

  def start(self) -> None:
    global _libsumo_owner
    owner = _libsumo_owner() if _libsumo_owner is not None else None
    if owner is not None and owner is not self and owner.alive:
      raise RuntimeError(
          "libsumo runs one simulation per process and another SUMO "
          "environment of this process holds it: close() that environment, "
          "use backend='traci' (several simulations per process), or run "
          "each libsumo environment in its own process.")
    try:
      import libsumo  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise ImportError("backend='libsumo' needs pip install "
                        "libsumo==1.28.0") from e
    libsumo.start([network.sumo_binary("sumo")] + self._args)
    self._api = libsumo
    self._started = True
    _libsumo_owner = weakref.ref(self)
    _live_connections.add(self)

  @property
  def alive(self) -> bool:
    return self._started

  def close(self) -> None:
    global _libsumo_owner
    if not self._started:
      return
    self._started = False
    _live_connections.discard(self)
    try:
      self._api.close()
    except Exception:  # pylint: disable=broad-except
      pass  # Already closed by a failure; nothing is left to free.
    if _libsumo_owner is not None and _libsumo_owner() is self:
      _libsumo_owner = None


def free_port() -> int:
  """A TCP port that was free a moment ago (the OS picks it)."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


class TraciConnection(Connection):
  """SUMO as a child process driven over a socket, under its own label."""

  backend = "traci"

  def __init__(self, args: Sequence[str], log_path: Optional[str] = None):
    """`log_path` receives sumo's stdout and stderr (default: discarded)."""
    super().__init__(args)
    self._log_path = log_path
    self._process: Optional[subprocess.Popen] = None
    self.label: Optional[str] = None
    self.port: Optional[int] = None

  @property
  def pid(self) -> Optional[int]:
    return self._process.pid if self._process is not None else None

  @property
  def alive(self) -> bool:
    return (self._api is not None and self._process is not None
            and self._process.poll() is None)

  def start(self) -> None:
    try:
      import traci  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise ImportError(
          "backend='traci' needs pip install traci==1.28.0") from e
    self.close()
    failure = ""
    for _ in range(_PORT_ATTEMPTS):
      port = free_port()
      self._process = self._spawn(port)
      self.label = f"mmagents-sumo-{os.getpid()}-{next(_labels)}"
      self.port = port
      try:
        self._api = self._connect(traci, port)
      except _ServerExited as e:
        failure = str(e)
        self._reap()
        continue  # Most likely lost the port to another process: retry.
      except BaseException:
        self._reap()
        raise
      _live_connections.add(self)
      return
    raise RuntimeError(f"sumo did not start in {_PORT_ATTEMPTS} attempts; "
                       f"last: {failure}")

  def _spawn(self, port: int) -> subprocess.Popen:
    output = subprocess.DEVNULL
    if self._log_path is not None:
      output = open(self._log_path, "ab")  # pylint: disable=consider-using-with
    try:
      return subprocess.Popen(
          [network.sumo_binary("sumo")] + self._args
          + ["--remote-port", str(port)],
          stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
          env=network.child_environment())
    finally:
      if output is not subprocess.DEVNULL:
        output.close()  # The child holds its own descriptor.

  def _connect(self, traci, port: int):
    """Connects to our sumo, polling every 50 ms; raises if it exits."""
    deadline = time.monotonic() + _CONNECT_TIMEOUT_S
    while True:
      if self._process.poll() is not None:
        raise _ServerExited(
            f"sumo exited with code {self._process.returncode} before "
            f"accepting a connection on port {port}")
      try:
        # numRetries=0: one attempt, no printed "Retrying" message.
        return traci.connect(port, numRetries=0, proc=self._process,
                             label=self.label)
      # Any traci error here means "not yet" or "sumo ended" (polled above);
      # not by class: importing libsumo swaps traci.exceptions' classes.
      except Exception:  # pylint: disable=broad-except
        if time.monotonic() > deadline:
          raise RuntimeError(f"no connection to sumo on port {port} within "
                             f"{_CONNECT_TIMEOUT_S:.0f} s") from None
        time.sleep(_CONNECT_POLL_S)

  def close(self) -> None:
    api, self._api = self._api, None
    _live_connections.discard(self)
    told = False
    if api is not None:
      try:
        api.close(wait=False)  # Sends "close" if the socket still works.
        told = True
      except Exception:  # pylint: disable=broad-except
        pass  # Dead server or broken protocol: the process is killed below.
    self._reap(kill=not told)

  def _reap(self, kill: bool = True) -> None:
    """Ends sumo and waits for it, so that no zombie or orphan stays.

    Args:
      kill: kill at once (sumo was not told to close); otherwise give it
        `_EXIT_TIMEOUT_S` to exit by itself first.
    """
    process, self._process = self._process, None
    if process is None:
      return
    if process.poll() is None and not kill:
      try:
        process.wait(timeout=_EXIT_TIMEOUT_S)
      except subprocess.TimeoutExpired:
        pass
    if process.poll() is None:
      process.kill()
    process.wait()


class _ServerExited(Exception):
  """sumo ended before a connection was made (port race or bad input)."""


def connect(backend: str, args: Sequence[str],
            log_path: Optional[str] = None) -> Connection:
  """An unstarted connection of `backend` for sumo arguments `args`."""
  if backend == "libsumo":
    return LibsumoConnection(args)
  if backend == "traci":
    return TraciConnection(args, log_path=log_path)
  raise ValueError(f"unknown SUMO backend {backend!r}; use one of {BACKENDS}")


@atexit.register
def _close_all() -> None:
  """Safety net: close every connection still live at interpreter exit."""
  for conn in list(_live_connections):
    try:
      conn.close()
    except Exception:  # pylint: disable=broad-except
      pass
