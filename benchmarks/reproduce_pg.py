r"""Reproduces the PG baselines of thesis ch. 5 and checks what they should show.

* PG on Escape Room ER(2, 1) does not solve it: the final collective return,
  averaged over seeds as in thesis Fig. 5.5a, is <= 0 (the optimum is 9).
  Single seeds whose initial policy already favours the lever can keep it
  (return 9); the table counts them.
* PG on the memory-1 IPD converges to mutual defection (thesis Fig. 5.4):
  return -2 per agent and step, DD outcomes only.

Runs each launcher with its defaults (the thesis' hyperparameters and episode
counts) for several seeds, or reuses finished runs under --out_dir, then
prints a table read from the launchers' summary.json and writes plots.

  python -m benchmarks.reproduce_pg --out_dir=runs/reproduce_pg --seeds=0,1,2
  python -m benchmarks.reproduce_pg --experiment=pg_er21 --seeds=$(seq -s, 0 19)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from absl import app
from absl import flags

flags.DEFINE_string("out_dir", "runs/reproduce_pg", "Where runs are kept.")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds per experiment.")
EXPERIMENTS = {"pg_er21": "launchers.pg_escape_room", "pg_ipd": "launchers.pg_ipd"}
flags.DEFINE_multi_enum("experiment", list(EXPERIMENTS), list(EXPERIMENTS),
                        "Experiments to run (repeat).")
FLAGS = flags.FLAGS


def _run(module: str, root: str, seed: str) -> dict:
  summary = os.path.join(root, "summary.json")
  if not os.path.exists(summary):
    subprocess.run([sys.executable, "-m", module, f"--root_dir={root}",
                    f"--seed={seed}", "--quiet"], check=True)
  with open(summary, encoding="utf-8") as f:
    return json.load(f)


def main(argv):
  del argv
  failures = []
  er_returns = []
  print(f"{'experiment':<10}{'seed':>5}{'episodes':>10}{'return':>9}"
        f"{'per agent':>16}{'wall s':>9}  events")
  for name in FLAGS.experiment:
    module = EXPERIMENTS[name]
    for seed in FLAGS.seeds:
      root = os.path.join(FLAGS.out_dir, f"{name}_s{seed}")
      summary = _run(module, root, seed)
      final = summary["final"]
      agents = " ".join(f"{r:+.2f}" for r in final["return_per_agent"])
      print(f"{name:<10}{seed:>5}{summary['episodes']:>10}"
            f"{final['return_mean']:>+9.2f}{agents:>16}"
            f"{summary['wall_s']:>9.0f}  {json.dumps(final['events'])}")
      if name == "pg_er21":
        er_returns.append(final["return_mean"])
      if name == "pg_ipd" and final["events"]["outcomes"][3] < 0.9 * 5:
        failures.append(f"{root}: IPD did not converge to mutual defection")
    subprocess.run([sys.executable, "-m", "launchers.plot",
                    f"--group=PG={FLAGS.out_dir}/{name}_s*",
                    f"--out={FLAGS.out_dir}/{name}.png", f"--title={name}"],
                   check=True)
  if er_returns:
    mean = sum(er_returns) / len(er_returns)
    solved = sum(r > 0 for r in er_returns)
    print(f"pg_er21: mean final return {mean:+.2f} over {len(er_returns)} "
          f"seeds; {solved} seed(s) above 0")
    if mean > 0:
      failures.append(f"ER(2,1) mean return {mean:+.2f} > 0")
  for failure in failures:
    print("UNEXPECTED:", failure)
  print("all as the thesis reports" if not failures else
        f"{len(failures)} unexpected results")
  return 1 if failures else 0


if __name__ == "__main__":
  app.run(main)
