r"""Reproduces thesis Fig. 5.4/5.5: LIO against its baselines, several seeds.

Runs every (experiment, method) launcher with its defaults (the thesis'
hyperparameters and episode counts) for each seed, or reuses finished runs
under --out_dir, then prints a table of final collective extrinsic returns
(mean ± 95% Student-t confidence interval over seeds, wall time per run) and
writes one learning-curve PNG per experiment with a band per method; on
ER(2,1) and ER(3,2) also the incentives LIO agents pay the puller for each
action (Fig. 5.5 b, d).

  python -m benchmarks.reproduce_lio --seeds=0,1,2,3,4
  python -m benchmarks.reproduce_lio --experiment=er21 --method=lio --jobs=2

What the thesis reports: LIO near the optimum (9 in ER(2,1), 8 in ER(3,2))
and near mutual cooperation in the IPD (-2 per step pair, -10 per 5-step
episode); PG not. "last 10 evals" is each seed's mean over its last 10
evaluations (less noisy than the final one); "near it" counts the seeds whose
last-10 mean is within 1.0 of the optimum.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
from typing import Dict, List, Tuple

from absl import app
from absl import flags
import numpy as np

from launchers import plot
from mmagents.core import launch

# experiment -> (launcher arguments, optimum, {method: launcher module and
# method arguments}).
EXPERIMENTS: Dict[str, Tuple[List[str], float, Dict[str, str]]] = {
    "er21": ([], 9.0, {"lio": "launchers.lio_escape_room",
                       "lio_dec": "launchers.lio_dec_escape_room",
                       "lio_1ep": "launchers.lio_escape_room --one_episode",
                       "pg": "launchers.pg_escape_room",
                       "pg_d": "launchers.pg_d_escape_room",
                       "pg_c": "launchers.pg_c_escape_room"}),
    "er32": (["--num_agents=3", "--min_at_lever=2"], 8.0,
             {"lio": "launchers.lio_escape_room",
              "lio_dec": "launchers.lio_dec_escape_room",
              "pg": "launchers.pg_escape_room",
              "pg_d": "launchers.pg_d_escape_room",
              "pg_c": "launchers.pg_c_escape_room"}),
    "ipd": ([], -10.0, {"lio": "launchers.lio_ipd",
                        "pg": "launchers.pg_ipd"}),
    # App. B.5.1 (Fig. B.3): a LIO giver paired with a learning recipient, and
    # two PG agents (agent_0 with give-reward actions). 10,000 episodes: LIO
    # is at the optimum after about 2,500.
    "asym": (["--asymmetric", "--num_episodes=10000"], 9.0,
             {"lio": "launchers.lio_escape_room",
              "lio_1ep": "launchers.lio_escape_room --one_episode",
              "pg": "launchers.pg_escape_room"}),
}
# A run's score is its mean return over its last LAST_EVALS evaluations (one
# evaluation has only 20 episodes); it is near the optimum within NEAR_OPTIMUM.
LAST_EVALS = 10
NEAR_OPTIMUM = 1.0
_ESCAPE_ROOM_ACTIONS = ("lever", "start", "door")
METHODS = ("lio", "lio_dec", "lio_1ep", "pg", "pg_d", "pg_c")

flags.DEFINE_string("out_dir", "runs/reproduce_lio", "Where runs are kept.")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Seeds per method.")
flags.DEFINE_multi_enum("experiment", list(EXPERIMENTS), list(EXPERIMENTS),
                        "Experiments (repeat).")
flags.DEFINE_multi_enum("method", list(METHODS), list(METHODS),
                        "Methods (repeat).")
flags.DEFINE_integer("jobs", 1, "Runs in parallel (one core each).",
                     lower_bound=1)
flags.DEFINE_integer("num_episodes", 0,
                     "Episodes per run, for shorter runs; 0: the thesis' "
                     "count (each launcher's default).", lower_bound=0)
flags.DEFINE_integer("eval_interval", 0,
                     "Episodes between evaluations; 0: the launcher's "
                     "default, or a quarter of --num_episodes if that is "
                     "set.", lower_bound=0)
FLAGS = flags.FLAGS


def _load_rows(root: str) -> List[dict]:
  with open(os.path.join(root, "metrics.jsonl"), encoding="utf-8") as f:
    return [json.loads(line) for line in f if line.strip()]


def _last_evals_mean(root: str) -> float:
  """Mean collective return of the run's last `LAST_EVALS` evaluations."""
  rows = _load_rows(root)
  return float(np.mean([r["return_mean"] for r in rows[-LAST_EVALS:]]))


def _run(command: str, args: List[str], root: str, seed: str) -> dict:
  """Runs (or resumes) one launcher; returns its summary.json."""
  summary = os.path.join(root, "summary.json")
  if not os.path.exists(summary):
    module, *method_args = command.split()
    with open(root + ".log", "w", encoding="utf-8") as log:
      subprocess.run([sys.executable, "-m", module, *method_args,
                      f"--root_dir={root}",
                      f"--seed={seed}", *args], check=True, stdout=log,
                     stderr=subprocess.STDOUT)
  with open(summary, encoding="utf-8") as f:
    return json.load(f)


def plot_incentives_to_puller(dirs: List[str], out: str, title: str) -> None:
  """Fig. 5.5(b, d): incentive received per action by the agent who pulls.

  In each run the puller is the agent with the most lever pulls in the last
  evaluation; its per-action incentive is averaged over the evaluation steps
  where it took that action (0 where it never did).
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  curves = {action: [] for action in _ESCAPE_ROOM_ACTIONS}
  for root in dirs:
    rows = _load_rows(root)
    puller = int(np.argmax(rows[-1]["events"]["lever"]))
    key = sorted(k for k in rows[-1]
                 if k.startswith("incentive_received_per_action/"))[puller]
    for index, action in enumerate(_ESCAPE_ROOM_ACTIONS):
      curves[action].append({r["episode"]: r[key][index]
                             for r in rows if key in r})
  fig, ax = plt.subplots(figsize=(6, 4))
  for action, per_seed in curves.items():
    xs, mean, half = plot.aggregate(per_seed)
    line, = ax.plot(xs, mean, label=action)
    ax.fill_between(xs, mean - half, mean + half, alpha=0.25,
                    color=line.get_color())
  ax.set_xlabel("episode")
  ax.set_ylabel("incentive received by the puller")
  ax.set_title(f"{title} (n={len(dirs)})")
  ax.grid(alpha=0.3)
  ax.legend()
  fig.tight_layout()
  fig.savefig(out, dpi=120)
  plt.close(fig)


def _interval(values: List[float]) -> str:
  mean = float(np.mean(values))
  if len(values) < 2:
    return f"{mean:+.2f}"
  half = plot.t95(len(values) - 1) * np.std(values, ddof=1) / np.sqrt(
      len(values))
  return f"{mean:+.2f} ± {half:.2f}"


def main(argv):
  del argv
  os.makedirs(FLAGS.out_dir, exist_ok=True)
  shortened = []
  eval_interval = FLAGS.eval_interval
  if FLAGS.num_episodes > 0:
    shortened.append(f"--num_episodes={FLAGS.num_episodes}")
    eval_interval = eval_interval or max(1, FLAGS.num_episodes // 4)
  if eval_interval > 0:
    shortened.append(f"--eval_interval={eval_interval}")
  jobs = []
  for name in FLAGS.experiment:
    args, _, modules = EXPERIMENTS[name]
    for method in FLAGS.method:
      if method in modules:
        for seed in FLAGS.seeds:
          root = os.path.join(FLAGS.out_dir, f"{name}_{method}_s{seed}")
          jobs.append((name, method, modules[method], args + shortened, root,
                       seed))
  with concurrent.futures.ThreadPoolExecutor(FLAGS.jobs) as pool:
    summaries = list(pool.map(lambda j: _run(*j[2:]), jobs))

  results: Dict[Tuple[str, str], List[Tuple[dict, float]]] = {}
  for job, summary in zip(jobs, summaries):
    results.setdefault(job[:2], []).append((summary, _last_evals_mean(job[4])))
  print(f"{'experiment':<11}{'method':<9}{'seeds':>6}  {'final return':<16}"
        f"{f'last {LAST_EVALS} evals':<16}{'optimum':>8}{'near it':>9}  "
        f"{'per seed (last evals)':<36}{'wall s/run':>10}")
  for (name, method), runs in results.items():
    finals = [r["final"]["return_mean"] for r, _ in runs]
    lasts = [last for _, last in runs]
    optimum = EXPERIMENTS[name][1]
    near = sum(abs(v - optimum) <= NEAR_OPTIMUM for v in lasts)
    per_seed = " ".join(f"{v:+.2f}" for v in lasts)
    wall = np.mean([r["wall_s"] for r, _ in runs])
    print(f"{name:<11}{method:<9}{len(runs):>6}  {_interval(finals):<16}"
          f"{_interval(lasts):<16}{optimum:>8.1f}"
          f"{f'{near}/{len(runs)}':>9}  {per_seed:<36}{wall:>10.0f}")
  for name in FLAGS.experiment:
    groups = [(method, [j[4] for j in jobs if j[:2] == (name, method)])
              for method in FLAGS.method if (name, method) in results]
    out = os.path.join(FLAGS.out_dir, f"{name}.png")
    plot.plot(groups, "return_mean", "episode", out,
              title=f"{name}: collective extrinsic return")
    print(f"wrote {out}")
    if name in ("er21", "er32") and (name, "lio") in results:
      out = os.path.join(FLAGS.out_dir, f"{name}_incentives.png")
      plot_incentives_to_puller(dict(groups)["lio"], out,
                                f"{name}: LIO incentives to the puller")
      print(f"wrote {out}")


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
