"""A batch of multi-agent environments, each stepping in its own process.

`ParallelEnvironments` runs one `MultiAgentPyEnvironment` per worker process
and steps them all at once: it sends every worker its action first and only
then collects the answers, so N environments use N cores (a Python step
holds the GIL, and libsumo holds one simulation per process). It is a
batched TF-Agents `PyEnvironment` (``batch_size`` = number of environments,
every array with a leading batch dimension), so `TFPyEnvironment` wraps it
directly. Each environment auto-resets on its own, exactly as a serial copy
would: environment i with the same factory (the same seed) gives the same
time steps as the serial one under the same actions.

With ``first_in_process=True`` environment 0 steps in the calling process
while the workers step the others: N environments need N − 1 workers, and
the caller works instead of waiting. Use it unless the caller must keep a
per-process resource for itself (libsumo: the runner's evaluation copy).

CHOICE: a lean pipe-and-worker-loop of our own instead of TF-Agents'
`ParallelPyEnvironment`, which takes the program-wide default start method
(fork on Linux, changed only through `multiprocessing.set_start_method` for
the whole program), receives without a timeout while keeping the worker's
pipe end open itself (a dead worker hangs the caller), and does not forward
our side channels (finished-episode events, generator states).

Workers start with ``"spawn"`` (default) or ``"forkserver"``, never
``"fork"``: a forked copy of a process that has started TensorFlow threads
or a libsumo simulation is not safe. Factories must therefore be picklable:
a module-level function or class, or a `functools.partial` of one, e.g.
``functools.partial(registry.make, "sumo_merge", backend="libsumo", seed=i)``;
the caller's factory fixes each environment's seed. As always with "spawn",
every worker imports the program's main module, so a script that builds a
batch needs the ``if __name__ == "__main__":`` guard.

Cost: each step pickles the actions and time steps through one-way pipes.
Waking a sleeping process costs more than that on a virtual machine (tens
to hundreds of microseconds, as much as a SUMO step), so a process that
waits for a message first polls its pipe for ``spin_s`` (default 0.5 ms
when every stepping process has a core of its own, else 0) before it
sleeps: workers between commands and, with ``first_in_process``, the
caller for the answers. `benchmarks/sumo_speed.py` measures both layouts.

Failures: an exception inside an environment (say, SUMO failed) comes back
as a RuntimeError that names the environment and carries its traceback; the
workers stay up and the batch starts over at the next `step` (a reset, as
after the first construction). A worker that dies, or does not answer
within ``timeout_s``, gives a RuntimeError naming the environment, and the
whole batch is closed. Workers are closed by `close` (idempotent), by the
context manager, on Ctrl-C or any other exception while waiting for them,
and by an ``atexit`` hook; a worker whose parent dies sees its pipe close
and exits, closing its environment.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from multiprocessing import connection as mp_connection
import pickle
import signal
import time
import traceback
import weakref
from typing import Any, Callable, List, Optional, Sequence

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.trajectories import time_step as ts

from environments import base

Factory = Callable[[], base.MultiAgentPyEnvironment]

START_METHODS = ("spawn", "forkserver")
# A worker imports TensorFlow before it builds its environment: seconds on a
# busy machine.
START_TIMEOUT_S = 300.0
TIMEOUT_S = 60.0
_CLOSE_TIMEOUT_S = 10.0
# How long a waiting process polls its pipe before it sleeps (see above).
SPIN_S = 5e-4
# Attributes of the contract copied from each environment once, at start.
_ATTRIBUTES = ("agent_ids", "num_agents", "max_steps", "has_state")

# _START is never sent: workers report once built, unasked.
_STEP, _RESET, _CALL, _GETATTR, _CLOSE, _START = range(6)
_OK, _ERROR = "ok", "error"

_open_batches: "weakref.WeakSet[ParallelEnvironments]" = weakref.WeakSet()


def _exit_on_sigterm(signum, frame) -> None:
  """Turns SIGTERM into SystemExit, so the worker still closes its env."""
  del signum, frame
  raise SystemExit(1)


def _poll_briefly(pipe: mp_connection.Connection, seconds: float) -> None:
  """Polls `pipe` without sleeping until a message (or EOF) is there or
  `seconds` have passed: the process stays on its core and reacts at once
  to an answer that comes soon."""
  deadline = time.perf_counter() + seconds
  while seconds > 0 and not pipe.poll(0):
    if time.perf_counter() > deadline:
      return


def default_spin_s(stepping_processes: int) -> float:
  """`SPIN_S` if every stepping process can have a core, else 0 (spinning
  processes would then take each other's cores)."""
  return SPIN_S if stepping_processes <= len(os.sched_getaffinity(0)) else 0.0


def _answer(answers, status: str, payload: Any) -> None:
  """Sends one answer; a result that cannot be pickled becomes an error."""
  try:
    answers.send((status, payload))
  except (pickle.PicklingError, TypeError, AttributeError):
    answers.send((_ERROR, traceback.format_exc()))


def _worker(commands, answers, factory: Factory, spin_s: float) -> None:
  """Builds one environment and serves the parent's `commands` (answering
  on `answers`; polling for the next one for `spin_s` before sleeping)
  until told to close or the parent is gone; always closes the
  environment."""
  # The parent decides when to stop (it closes us on Ctrl-C).
  signal.signal(signal.SIGINT, signal.SIG_IGN)
  signal.signal(signal.SIGTERM, _exit_on_sigterm)
  env = None
  try:
    try:
      env = factory()
      answers.send((_OK, _describe(env)))
    except Exception:  # pylint: disable=broad-except
      answers.send((_ERROR, traceback.format_exc()))
      return
    while True:
      try:
        _poll_briefly(commands, spin_s)
        command, payload = commands.recv()
      except (EOFError, OSError):
        return  # The parent is gone.
      if command == _CLOSE:
        return
      try:
        result = _execute(env, command, payload)
      except Exception:  # pylint: disable=broad-except
        _answer(answers, _ERROR, traceback.format_exc())
      else:
        _answer(answers, _OK, result)
  finally:
    if env is not None:
      try:
        env.close()
      except Exception:  # pylint: disable=broad-except
        pass
    commands.close()
    answers.close()


class ParallelEnvironments(py_environment.PyEnvironment):
  """Environments in worker processes, stepped concurrently as one batch."""

  def __init__(self,
               factories: Sequence[Factory],
               start_method: str = "spawn",
               timeout_s: float = TIMEOUT_S,
               start_timeout_s: float = START_TIMEOUT_S,
               first_in_process: bool = False,
               spin_s: Optional[float] = None):
    """Starts one worker per factory and waits until every env is built.

    Args:
      factories: picklable zero-argument callables, one per environment;
        every environment must have the same specs.
      start_method: ``"spawn"`` or ``"forkserver"``.
      timeout_s: longest wait for one answer of a running environment.
      start_timeout_s: longest wait for the environments to be built.
      first_in_process: build and step environment 0 in this process.
      spin_s: how long a waiting process polls before it sleeps; None:
        `default_spin_s` of the number of stepping processes.

    Raises:
      ValueError: no factories, a bad start method, a factory that cannot be
        pickled, or environments with different specs.
      RuntimeError: an environment could not be built (its traceback
        included) or its worker died.
    """
    if not factories:
      raise ValueError("need at least one environment factory")
    if start_method not in START_METHODS:
      raise ValueError(f"start_method must be one of {START_METHODS}, got "
                       f"{start_method!r}")
    super().__init__(handle_auto_reset=False)  # Every env resets itself.
    self._timeout_s = float(timeout_s)
    self._closed = False
    self._size = len(factories)
    self._local: Optional[base.MultiAgentPyEnvironment] = None
    # Environment index of worker 0.
    self._offset = 1 if first_in_process else 0
    if spin_s is None:
      spin_s = default_spin_s(self._size)
    self._spin_s = float(spin_s)
    # One-way pipes (a command pipe and an answer pipe per worker): a round
    # trip costs less than on a two-way socket pair.
    self._commands: List[mp_connection.Connection] = []
    self._answers: List[mp_connection.Connection] = []
    self._processes: List[multiprocessing.Process] = []
    self._pids: List[int] = []
    _open_batches.add(self)
    context = multiprocessing.get_context(start_method)
    try:
      for index, factory in enumerate(factories[self._offset:],
                                      self._offset):
        command_reader, command_writer = context.Pipe(duplex=False)
        answer_reader, answer_writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker,
            args=(command_reader, answer_writer, factory, self._spin_s),
            name=f"env_worker_{index}", daemon=True)
        try:
          process.start()
        except (pickle.PicklingError, AttributeError, TypeError) as e:
          command_writer.close()
          answer_reader.close()
          raise ValueError(
              f"environment factory {index} cannot be sent to a worker "
              "process; use a module-level function or class, or a "
              f"functools.partial of one ({type(e).__name__}: {e})") from e
        finally:
          # Only the worker holds these: its death shows as EOF here.
          command_reader.close()
          answer_writer.close()
        self._commands.append(command_writer)
        self._answers.append(answer_reader)
        self._processes.append(process)
        self._pids.append(process.pid)
      # Environment 0 (with first_in_process) is built while the workers
      # build theirs.
      described = self._run_all(
          _START, [factories[0]] + [None] * (self._size - 1), "start",
          float(start_timeout_s))
    except BaseException:
      self.close()
      raise
    self._time_step_spec, self._action_spec, self._attributes = described[0]
    for index, (time_step_spec, action_spec, _) in enumerate(described):
      if (time_step_spec != self._time_step_spec
          or action_spec != self._action_spec):
        self.close()
        raise ValueError(f"environment {index} has other specs than "
                         "environment 0")

  # ---------------------------------------------------------------- specs
  @property
  def batched(self) -> bool:
    return True

  @property
  def batch_size(self) -> int:
    return self._size

  def time_step_spec(self) -> ts.TimeStep:
    return self._time_step_spec

  def observation_spec(self):
    return self._time_step_spec.observation

  def reward_spec(self):
    return self._time_step_spec.reward

  def action_spec(self):
    return self._action_spec

  @property
  def agent_ids(self) -> tuple:
    return self._attributes["agent_ids"]

  @property
  def num_agents(self) -> int:
    return self._attributes["num_agents"]

  @property
  def max_steps(self) -> int:
    return self._attributes["max_steps"]

  @property
  def has_state(self) -> bool:
    return self._attributes["has_state"]

  @property
  def worker_pids(self) -> List[int]:
    """Process ids of the workers, in environment order (environment 0 has
    none with ``first_in_process``)."""
    return list(self._pids)

  # -------------------------------------------------------------- stepping
  def _reset(self) -> ts.TimeStep:
    return _stack(self._run_all(_RESET, [None] * self._size, "reset",
                                restart=True))

  def _step(self, action) -> ts.TimeStep:
    return _stack(self._run_all(
        _STEP, [_unstack(action, i) for i in range(self._size)], "step",
        restart=True))

  def call(self, name: str, *args, **kwargs) -> list:
    """Calls method `name` of every environment at once; their results."""
    return self._run_all(_CALL, [(name, args, kwargs)] * self._size, name)

  def get_attr(self, name: str) -> list:
    """Attribute `name` of every environment."""
    return self._run_all(_GETATTR, [name] * self._size, name)

  def seed(self, seeds: Sequence[Optional[int]]) -> None:
    """Seeds environment i with ``seeds[i]``."""
    if len(seeds) != self._size:
      raise ValueError(f"need {self._size} seeds, got {len(seeds)}")
    self._run_all(_CALL, [("seed", (s,), {}) for s in seeds], "seed")

  def pop_finished_events(self) -> list:
    """Finished-episode event counters of every environment, env 0 first."""
    return [e for events in self.call("pop_finished_events") for e in events]

  def get_rng_state(self) -> list:
    """Every environment's generator state (JSON-serializable)."""
    return self.call("get_rng_state")

  def set_rng_state(self, states: Sequence[dict]) -> None:
    """Restores environment i's generator state to ``states[i]``."""
    if len(states) != self._size:
      raise ValueError(f"need {self._size} states, got {len(states)}")
    self._run_all(_CALL, [("set_rng_state", (s,), {}) for s in states],
                  "set_rng_state")

  # -------------------------------------------------------------- protocol
  def _run_all(self, command: int, payloads: Sequence[Any], what: str,
               timeout_s: Optional[float] = None,
               restart: bool = False) -> list:
    """Every environment's result of one command, in environment order.

    Sends `command` with ``payloads[i]`` to the workers (`_START`: only
    collect what they sent once built), meanwhile runs it with
    ``payloads[0]`` on the environment in this process (`_START`: builds it
    from that factory), then gathers the answers. An environment's
    own exception is raised (as RuntimeError) only after every answer is
    in, so the pipes stay in step; with `restart` (a failed step or reset)
    the batch resets at its next step. Anything else closes the batch.
    """
    if self._closed:
      raise RuntimeError("these parallel environments were closed")
    if command != _START:
      self._broadcast(command, payloads[self._offset:])
    results, errors = [], []
    if self._offset:
      try:
        if command == _START:
          self._local = payloads[0]()
          results.append(_describe(self._local))
        else:
          results.append(_execute(self._local, command, payloads[0]))
      except Exception:  # pylint: disable=broad-except
        results.append(None)
        errors.append(f"environment 0 failed during {what}:\n"
                      f"{traceback.format_exc()}")
      except BaseException:  # Ctrl-C: the answers would be out of step.
        self.close()
        raise
    timeout_s = self._timeout_s if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    try:
      for worker in range(len(self._processes)):
        status, payload = self._receive(worker, what, deadline, timeout_s)
        if status == _OK:
          results.append(payload)
        else:
          results.append(None)
          errors.append(f"environment {worker + self._offset} failed "
                        f"during {what}:\n{payload}")
    except BaseException:
      self.close()
      raise
    if errors:
      if restart:
        self._current_time_step = None
      raise RuntimeError("\n".join(errors))
    return results

  def _broadcast(self, command: int, payloads: Sequence[Any]) -> None:
    """Sends one command to every worker (a dead one closes the batch)."""
    worker = 0
    try:
      for worker, (pipe, payload) in enumerate(zip(self._commands,
                                                   payloads)):
        pipe.send((command, payload))
    except (BrokenPipeError, ConnectionResetError, EOFError):
      self._fail(worker, "could not be reached; its worker died")
    except BaseException:
      self.close()
      raise

  def _receive(self, worker: int, what: str, deadline: float,
               timeout_s: float) -> tuple:
    """One answer of `worker`; a dead or silent worker fails."""
    pipe, process = self._answers[worker], self._processes[worker]
    if self._offset:  # The caller has a core of its own.
      _poll_briefly(pipe, self._spin_s)
    ready = mp_connection.wait([pipe, process.sentinel],
                               max(0.0, deadline - time.monotonic()))
    if pipe in ready:
      try:
        return pipe.recv()
      except (EOFError, OSError):
        pass  # Closed without an answer: the worker died.
    elif not ready:
      self._fail(worker, f"did not answer within {timeout_s:g} s "
                 f"during {what}")
    process.join(1.0)
    self._fail(worker, f"died during {what} (exit code {process.exitcode})")

  def _fail(self, worker: int, why: str) -> None:
    """Closes every environment and raises a RuntimeError about `worker`'s
    environment."""
    process = self._processes[worker]
    if process.is_alive():  # Silent: it would read `close` only when done.
      process.terminate()
    self.close()
    raise RuntimeError(f"environment {worker + self._offset} (worker pid "
                       f"{self._pids[worker]}) {why}; all "
                       "parallel environments are closed")

  # --------------------------------------------------------------- cleanup
  def close(self) -> None:
    """Closes every environment and its worker; idempotent."""
    if getattr(self, "_closed", True):
      return
    self._closed = True
    _open_batches.discard(self)
    for pipe, process in zip(self._commands, self._processes):
      if process.is_alive():
        try:
          pipe.send((_CLOSE, None))
        except OSError:
          pass
    if self._local is not None:
      try:
        self._local.close()
      except Exception:  # pylint: disable=broad-except
        pass
    deadline = time.monotonic() + _CLOSE_TIMEOUT_S
    for process in self._processes:
      process.join(max(0.0, deadline - time.monotonic()))
      if process.is_alive():
        process.terminate()   # SIGTERM: the worker still closes its env.
        process.join(_CLOSE_TIMEOUT_S)
      if process.is_alive():
        process.kill()
        process.join()
      process.close()
    for pipe in self._commands + self._answers:
      pipe.close()

  def __del__(self):
    try:
      self.close()
    except Exception:  # pylint: disable=broad-except
      pass


def _describe(env) -> tuple:
  """What a new environment tells the batch: specs and contract attributes."""
  return (env.time_step_spec(), env.action_spec(),
          {name: getattr(env, name, None) for name in _ATTRIBUTES})


def _execute(env, command: int, payload: Any) -> Any:
  """Runs one command on `env` (in a worker, or here for environment 0)."""
  if command == _STEP:
    return env.step(payload)
  if command == _RESET:
    return env.reset()
  if command == _CALL:
    name, args, kwargs = payload
    return getattr(env, name)(*args, **kwargs)
  if command == _GETATTR:
    return getattr(env, payload)
  raise ValueError(f"unknown command {command!r}")


# Plain recursion over dicts, lists and (named) tuples: `tf.nest` costs a
# few tens of microseconds per step here, a tenth of a batched SUMO step.
def _stack(items: Sequence[Any]) -> Any:
  """One batched structure (e.g. a time step) from per-env ones."""
  first = items[0]
  if isinstance(first, dict):
    return {key: _stack([item[key] for item in items]) for key in first}
  if isinstance(first, (list, tuple)):
    columns = [_stack(column) for column in zip(*items)]
    return type(first)(*columns) if hasattr(first, "_fields") else type(
        first)(columns)
  return np.stack(items)


def _unstack(batched: Any, index: int) -> Any:
  """Entry `index` of a batched structure (e.g. an action)."""
  if isinstance(batched, dict):
    return {key: _unstack(value, index) for key, value in batched.items()}
  if isinstance(batched, (list, tuple)):
    entries = [_unstack(value, index) for value in batched]
    return type(batched)(*entries) if hasattr(batched, "_fields") else type(
        batched)(entries)
  return np.asarray(batched)[index]


@atexit.register
def _close_all() -> None:
  """Safety net: close forgotten batches (and so their environments)."""
  for batch in list(_open_batches):
    try:
      batch.close()
    except Exception:  # pylint: disable=broad-except
      pass
