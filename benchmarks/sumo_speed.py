r"""Env steps per second of the SUMO double lane merge: libsumo vs traci.

Times `DoubleLaneMerge` through the TF-Agents `PyEnvironment.step` API
(auto-reset on, so the per-episode SUMO reload and the agents' entry are
included) with uniformly random actions drawn beforehand. It prints
wall-clock steps/s (with traci the simulation runs in the sumo child
process, in parallel on another core; the numbers depend on what else the
machine runs) and steps per CPU second (this process plus sumo: the cost of
a step, steadier on a busy machine). With ``--processes=N`` (default 2) it
also steps N libsumo environments as one `environments.parallel` batch, one
per worker process (libsumo holds one simulation per process), then with
the first in this process and N - 1 workers, and prints
their summed env steps/s and steps per CPU second (this process and the
workers) with their ratios to the single libsumo environment: the wall-clock
ratio is the gain from the extra cores (at most N, and only with N idle
cores), the CPU ratio what the pipes cost. The batch steps in lockstep, so
the slowest environment of each step sets the pace. For scale it also runs
N independent libsumo processes without pipes or lockstep: their summed
steps/s is what the machine's free cores allow.

  python -m benchmarks.sumo_speed --steps=3000 --config=C1
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import time
from typing import Optional, Tuple

from absl import app
from absl import flags
import numpy as np

FLAGS = flags.FLAGS


def _cpu_seconds(*pids: Optional[int]) -> float:
  """CPU time of this process, plus that of the processes `pids` (sumo,
  environment workers); None entries are skipped."""
  total = time.process_time()
  for pid in pids:
    if pid is not None:
      with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
      total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
  return total


def measure(backend: str, steps: int, config: str = "train", seed: int = 0,
            barrier=None) -> Tuple[float, float]:
  """(wall-clock steps/s, steps per CPU second) with random actions.

  CPU time counts this process and, with traci, the sumo process, so it
  shows the cost of a step even on a busy machine. With a `barrier`, timing
  starts once every party is ready (parallel runs).
  """
  from environments.sumo import merge  # pylint: disable=g-import-not-at-top
  env = merge.DoubleLaneMerge(backend=backend, config=config, seed=seed)
  try:
    rng = np.random.default_rng(seed)
    columns = rng.integers(0, merge.NUM_ACTIONS,
                           (steps, env.num_agents)).astype(np.int32)
    actions = [dict(zip(env.agent_ids, row)) for row in columns]
    env.reset()  # Starts SUMO: not timed.
    if barrier is not None:
      barrier.wait()
    pid = env.sumo_pid
    cpu, start = _cpu_seconds(pid), time.perf_counter()
    for action in actions:
      env.step(action)
    wall = time.perf_counter() - start
    return steps / wall, steps / (_cpu_seconds(pid) - cpu)
  finally:
    env.close()


def steps_per_s(backend: str, steps: int, config: str = "train",
                seed: int = 0) -> float:
  """Wall-clock env steps/s of one environment with random actions."""
  return measure(backend, steps, config, seed)[0]


def _worker(args, barrier, results) -> None:
  results.put(measure(*args, barrier=barrier)[0])


def independent_steps_per_s(backend: str, steps: int, config: str,
                            processes: int) -> float:
  """Summed steps/s of `processes` environments, one per process, each
  running on its own (no lockstep, no pipes): what the cores allow."""
  context = multiprocessing.get_context("spawn")
  barrier = context.Barrier(processes)
  results = context.Queue()
  workers = [context.Process(target=_worker,
                             args=((backend, steps, config, seed), barrier,
                                   results))
             for seed in range(processes)]
  for worker in workers:
    worker.start()
  try:
    return float(sum(results.get(timeout=600) for _ in workers))
  finally:
    for worker in workers:
      worker.join(timeout=60)
      if worker.is_alive():
        worker.terminate()


def measure_parallel(backend: str, steps: int, config: str, processes: int,
                     repeats: int = 1,
                     first_in_process: bool = False) -> Tuple[float, float]:
  """(wall-clock env steps/s, env steps per CPU second) of `processes`
  environments stepped as one `ParallelEnvironments` batch (one worker
  process each, or the first in this process) with random actions, summed
  over the environments: the best of `repeats` runs of `steps` batch steps.
  CPU time counts this process and the workers."""
  from environments import parallel  # pylint: disable=g-import-not-at-top
  from environments.sumo import merge  # pylint: disable=g-import-not-at-top
  batch = parallel.ParallelEnvironments(
      [functools.partial(merge.DoubleLaneMerge, backend=backend,
                         config=config, seed=seed)
       for seed in range(processes)], first_in_process=first_in_process)
  try:
    rng = np.random.default_rng(0)
    columns = rng.integers(0, merge.NUM_ACTIONS,
                           (steps, batch.num_agents, processes))
    actions = [dict(zip(batch.agent_ids, row.astype(np.int32)))
               for row in columns]
    batch.reset()  # Starts SUMO in every worker: not timed.
    pids = batch.worker_pids
    wall_rate = cpu_rate = 0.0
    for _ in range(repeats):
      cpu, start = _cpu_seconds(*pids), time.perf_counter()
      for action in actions:
        batch.step(action)
      wall = time.perf_counter() - start
      wall_rate = max(wall_rate, steps * processes / wall)
      cpu_rate = max(cpu_rate,
                     steps * processes / (_cpu_seconds(*pids) - cpu))
    return wall_rate, cpu_rate
  finally:
    batch.close()


def _define_flags() -> None:
  """Defined when run as a program only, so tests can import the module."""
  flags.DEFINE_integer("steps", 3000, "Timed steps per measurement.")
  flags.DEFINE_integer("repeats", 2, "Measurements per backend (best kept).")
  flags.DEFINE_enum("config", "train", ["train", "C1", "C2", "C3", "C4"],
                    "Configuration (C1-C4 have heavy traffic).")
  flags.DEFINE_integer("processes", 2, "Parallel libsumo environments, one "
                       "per worker process, stepped as one batch (0: skip).")


def main(argv):
  del argv
  if FLAGS.steps < 1 or FLAGS.repeats < 1 or FLAGS.processes < 0:
    print("--steps and --repeats must be >= 1, --processes >= 0",
          file=sys.stderr)
    sys.exit(2)
  rates, cpu_rates = {}, {}
  for backend in ("libsumo", "traci"):
    runs = [measure(backend, FLAGS.steps, FLAGS.config)
            for _ in range(FLAGS.repeats)]
    rates[backend] = max(r[0] for r in runs)
    cpu_rates[backend] = max(r[1] for r in runs)
    print(f"{backend + ' (' + FLAGS.config + ')':<24}"
          f"{rates[backend]:>8.0f} steps/s  {cpu_rates[backend]:>8.0f} "
          "steps/CPU-s")
  print(f"libsumo / traci: {rates['libsumo'] / rates['traci']:.2f}x "
        "(wall clock)")
  if FLAGS.processes:
    n = FLAGS.processes
    for first_in_process, layout in ((False, "every env in a worker"),
                                     (True, "env 0 here, the rest in "
                                      "workers")):
      total, cpu = measure_parallel("libsumo", FLAGS.steps, FLAGS.config, n,
                                    FLAGS.repeats, first_in_process)
      print(f"{f'{n} x libsumo (' + FLAGS.config + ')':<24}"
            f"{total:>8.0f} steps/s  {cpu:>8.0f} steps/CPU-s "
            f"(summed; {layout})")
      print(f"{n} x libsumo / libsumo: "
            f"{total / rates['libsumo']:.2f}x (wall clock), "
            f"{cpu / cpu_rates['libsumo']:.2f}x (per CPU second)")
    alone = independent_steps_per_s("libsumo", FLAGS.steps, FLAGS.config,
                                    FLAGS.processes)
    print(f"{FLAGS.processes} x libsumo, independent processes (no lockstep): "
          f"{alone:.0f} steps/s, {alone / rates['libsumo']:.2f}x: what the "
          "free cores allow")


if __name__ == "__main__":
  _define_flags()
  app.run(main)
