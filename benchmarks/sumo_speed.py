r"""Env steps per second of the SUMO double lane merge: libsumo vs traci.

Times `DoubleLaneMerge` through the TF-Agents `PyEnvironment.step` API
(auto-reset on, so the per-episode SUMO reload and the agents' entry are
included) with uniformly random actions drawn beforehand. It prints
wall-clock steps/s (with traci the simulation runs in the sumo child
process, in parallel on another core; the numbers depend on what else the
machine runs) and steps per CPU second (this process plus sumo: the cost of
a step, steadier on a busy machine). Optionally (``--processes``) it also
runs that many libsumo environments side by side, one per process (libsumo
holds one simulation per process), and prints their summed throughput.

  python -m benchmarks.sumo_speed --steps=3000 --config=C1
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from typing import Optional, Tuple

from absl import app
from absl import flags
import numpy as np

FLAGS = flags.FLAGS


def _cpu_seconds(pid: Optional[int]) -> float:
  """CPU time of this process, plus that of child `pid` (sumo) if given."""
  total = time.process_time()
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


def parallel_steps_per_s(backend: str, steps: int, config: str,
                         processes: int) -> float:
  """Summed steps/s of `processes` environments, one per process."""
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


def _define_flags() -> None:
  """Defined when run as a program only, so tests can import the module."""
  flags.DEFINE_integer("steps", 3000, "Timed steps per measurement.")
  flags.DEFINE_integer("repeats", 2, "Measurements per backend (best kept).")
  flags.DEFINE_enum("config", "train", ["train", "C1", "C2", "C3", "C4"],
                    "Configuration (C1-C4 have heavy traffic).")
  flags.DEFINE_integer("processes", 2, "Parallel libsumo environments, one "
                       "per process (0: skip).")


def main(argv):
  del argv
  if FLAGS.steps < 1 or FLAGS.repeats < 1 or FLAGS.processes < 0:
    print("--steps and --repeats must be >= 1, --processes >= 0",
          file=sys.stderr)
    sys.exit(2)
  rates = {}
  for backend in ("libsumo", "traci"):
    runs = [measure(backend, FLAGS.steps, FLAGS.config)
            for _ in range(FLAGS.repeats)]
    rates[backend] = max(r[0] for r in runs)
    cpu = max(r[1] for r in runs)
    print(f"{backend + ' (' + FLAGS.config + ')':<24}"
          f"{rates[backend]:>8.0f} steps/s  {cpu:>8.0f} steps/CPU-s")
  print(f"libsumo / traci: {rates['libsumo'] / rates['traci']:.2f}x "
        "(wall clock)")
  if FLAGS.processes:
    total = parallel_steps_per_s("libsumo", FLAGS.steps, FLAGS.config,
                                 FLAGS.processes)
    print(f"{FLAGS.processes} x libsumo, one per process: "
          f"{total:.0f} steps/s in total")


if __name__ == "__main__":
  _define_flags()
  app.run(main)
