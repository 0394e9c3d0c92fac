"""Runs launchers over seeds, tabulates scores and plots curves (reproductions).

A reproduction script names its experiments (launcher arguments, optimum,
methods) and the metric that scores a run; `main` runs every (experiment,
method, seed) launcher with its defaults, or reuses finished runs under
--out_dir (unfinished ones resume; finished ones shorter than a larger
--num_episodes resume and train on), then prints one table row per
(experiment, method) and writes one learning-curve PNG per experiment.

A run's score is its mean over its last `LAST_EVALS` evaluations (one
evaluation has only 20 episodes); it is near the optimum within
`NEAR_OPTIMUM`. Intervals are 95% Student-t over seeds.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from absl import flags
import numpy as np

from launchers import plot

LAST_EVALS = 10
NEAR_OPTIMUM = 1.0
ESCAPE_ROOM_ACTIONS = ("lever", "start", "door")


@dataclasses.dataclass(frozen=True)
class Experiment:
  """Launcher arguments, the optimum of the metric (None: unknown), and
  the methods run."""
  args: Tuple[str, ...]
  optimum: Optional[float]
  methods: Dict[str, str]     # method -> "launcher.module [method args]"


def define_flags(out_dir: str, experiments: Dict[str, Experiment],
                 methods: Sequence[str]) -> None:
  flags.DEFINE_string("out_dir", out_dir, "Where runs are kept.")
  flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Seeds per method.")
  flags.DEFINE_multi_enum("experiment", list(experiments), list(experiments),
                          "Experiments (repeat).")
  flags.DEFINE_multi_enum("method", list(methods), list(methods),
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
  flags.DEFINE_multi_string(
      "launcher_flag", [],
      "A flag passed on to every launcher, e.g. "
      "--launcher_flag=--epsilon_episodes=200 (repeat); give such a variant "
      "its own --out_dir, since finished runs are reused by name.")
  flags.register_validator(
      "launcher_flag", lambda values: all(v.startswith("--") for v in values),
      "--launcher_flag takes a launcher flag such as --name=value")


def load_rows(root: str) -> List[dict]:
  """A run's metric rows; none if it never wrote one."""
  path = os.path.join(root, "metrics.jsonl")
  if not os.path.exists(path):
    return []
  with open(path, encoding="utf-8") as f:
    return [json.loads(line) for line in f if line.strip()]


def last_evals_mean(root: str, metric: str) -> float:
  """Mean of `metric` (a `plot.metric_value` key) over the run's last
  `LAST_EVALS` evaluations, NaN ones left out."""
  values = [plot.metric_value(r, metric)
            for r in load_rows(root)[-LAST_EVALS:]]
  values = [v for v in values if not np.isnan(v)]
  return float(np.mean(values)) if values else float("nan")


def _finished(summary: str, num_episodes: int) -> bool:
  """Whether a run's summary reaches `num_episodes` (0: the launcher's)."""
  if not os.path.exists(summary):
    return False
  with open(summary, encoding="utf-8") as f:
    return num_episodes <= 0 or json.load(f)["episodes"] >= num_episodes


def _last_line(path: str) -> str:
  with open(path, encoding="utf-8", errors="replace") as f:
    lines = [line.strip() for line in f if line.strip()]
  return lines[-1] if lines else ""


def run_one(command: str, args: List[str], root: str, seed: str,
            num_episodes: int = 0) -> Optional[dict]:
  """Runs, resumes or extends one launcher; returns its summary.json.

  A finished run is reused unless `num_episodes` asks for more episodes
  than it has; then the launcher resumes from its last checkpoint and
  trains on. ``{seed}`` and ``{out_dir}`` (the directory of `root`) in
  `command` are replaced, so a method can name a run it builds on (CM3's
  Stage 1). A launcher that fails (e.g. stopped by a non-finite loss) is
  reported on stderr with the last line of its log, and None is returned,
  so the other runs go on.
  """
  summary = os.path.join(root, "summary.json")
  if not _finished(summary, num_episodes):
    command = command.replace("{seed}", seed).replace(
        "{out_dir}", os.path.dirname(root))
    module, *method_args = command.split()
    with open(root + ".log", "a", encoding="utf-8") as log:
      status = subprocess.run([sys.executable, "-m", module, *method_args,
                               f"--root_dir={root}", f"--seed={seed}", *args],
                              stdout=log, stderr=subprocess.STDOUT
                              ).returncode
    if status != 0:
      print(f"run failed: {root} ({module} exited with {status}): "
            f"{_last_line(root + '.log')}", file=sys.stderr, flush=True)
      return None
  with open(summary, encoding="utf-8") as f:
    return json.load(f)


def interval(values: List[float]) -> str:
  mean = float(np.mean(values))
  if len(values) < 2:
    return f"{mean:+.2f}"
  half = plot.t95(len(values) - 1) * np.std(values, ddof=1) / np.sqrt(
      len(values))
  return f"{mean:+.2f} ± {half:.2f}"


def draw_incentives_by_role(ax, dirs: List[str], role: str, event: str,
                            title: str,
                            actions: Sequence[str] = ESCAPE_ROOM_ACTIONS
                            ) -> None:
  """Incentive received per action by the agent in one role, on axes `ax`.

  A role is named by an event counter: in each run the agent with the most
  such events in the last evaluation plays it (Escape Room "lever": the
  puller or cooperator, "door": the winner; Cleanup "cleaned": the cleaner,
  "apples": the harvester). Its per-action incentive is averaged over the
  evaluation steps where it took that action (0 where it never did).
  """
  curves = {action: [] for action in actions}
  for root in dirs:
    rows = load_rows(root)
    agent = int(np.argmax(rows[-1]["events"][event]))
    key = sorted(k for k in rows[-1]
                 if k.startswith("incentive_received_per_action/"))[agent]
    for index, action in enumerate(actions):
      curves[action].append({r["episode"]: r[key][index]
                             for r in rows if key in r})
  for action, per_seed in curves.items():
    xs, mean, half = plot.aggregate(per_seed)
    line, = ax.plot(xs, mean, label=action)
    ax.fill_between(xs, mean - half, mean + half, alpha=0.25,
                    color=line.get_color())
  ax.set_xlabel("episode")
  ax.set_ylabel(f"incentive received by the {role}")
  ax.set_title(f"{title} (n={len(dirs)})")
  ax.grid(alpha=0.3)
  ax.legend()


def plot_incentives_by_role(dirs: List[str], roles: Dict[str, str], out: str,
                            title: str,
                            actions: Sequence[str] = ESCAPE_ROOM_ACTIONS
                            ) -> None:
  """`draw_incentives_by_role` for each role, one panel per role, to `out`
  (thesis Fig. 5.5b/d, 5.6d, 6.1d)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(1, len(roles), figsize=(6 * len(roles), 4),
                           squeeze=False)
  for ax, (role, event) in zip(axes[0], roles.items()):
    draw_incentives_by_role(ax, dirs, role, event, title, actions)
  fig.tight_layout()
  fig.savefig(out, dpi=120)
  plt.close(fig)


@dataclasses.dataclass(frozen=True)
class RolePlot:
  """Which runs get a `plot_incentives_by_role` figure, and its roles."""
  method: str
  roles: Dict[str, str]       # role -> event counter that names it.
  experiments: Tuple[str, ...]
  actions: Tuple[str, ...] = ESCAPE_ROOM_ACTIONS


def main(experiments: Dict[str, Experiment], methods: Sequence[str],
         metric: str, metric_label: str,
         role_plot: Optional[RolePlot] = None,
         extra_metrics: Sequence[str] = ()) -> int:
  """Runs the selected experiments and prints the table; see module doc.

  Failed runs are left out of the table and figures and listed after them.
  Returns the script's exit status: 1 if a run failed, else 0.
  """
  fv = flags.FLAGS
  os.makedirs(fv.out_dir, exist_ok=True)
  shortened = []
  eval_interval = fv.eval_interval
  if fv.num_episodes > 0:
    shortened.append(f"--num_episodes={fv.num_episodes}")
    eval_interval = eval_interval or max(1, fv.num_episodes // 4)
  if eval_interval > 0:
    shortened.append(f"--eval_interval={eval_interval}")
  shortened += fv.launcher_flag
  jobs = []
  for name in fv.experiment:
    experiment = experiments[name]
    for method in fv.method:
      if method in experiment.methods:
        for seed in fv.seeds:
          root = os.path.join(fv.out_dir, f"{name}_{method}_s{seed}")
          jobs.append((name, method, experiment.methods[method],
                       list(experiment.args) + shortened, root, seed))
  with concurrent.futures.ThreadPoolExecutor(fv.jobs) as pool:
    summaries = list(pool.map(
        lambda j: run_one(*j[2:], num_episodes=fv.num_episodes), jobs))
  failed = [job[4] for job, summary in zip(jobs, summaries) if summary is None]
  finished = [(job, summary) for job, summary in zip(jobs, summaries)
              if summary is not None]
  jobs = [job for job, _ in finished]

  results: Dict[Tuple[str, str], List[Tuple[dict, float]]] = {}
  for job, summary in finished:
    results.setdefault(job[:2], []).append(
        (summary, last_evals_mean(job[4], metric)))
  width = max([len(m) for m in methods] + [6]) + 2
  name_width = max(len(n) for n in [*fv.experiment, "experiment"]) + 1
  print(f"{'experiment':<{name_width}}{'method':<{width}}{'seeds':>6}  "
        f"{'final':<18}{f'last {LAST_EVALS} evals':<18}{'optimum':>8}"
        f"{'near it':>9}  {'per seed (last evals)':<36}{'wall s/run':>10}")
  for (name, method), runs in results.items():
    finals = [plot.metric_value(r["final"], metric) for r, _ in runs]
    lasts = [last for _, last in runs]
    optimum = experiments[name].optimum
    if optimum is None:
      optimum_text, near_text = "-", "-"
    else:
      near = sum(abs(v - optimum) <= NEAR_OPTIMUM for v in lasts)
      optimum_text, near_text = f"{optimum:.1f}", f"{near}/{len(runs)}"
    per_seed = " ".join(f"{v:+.2f}" for v in lasts)
    wall = np.mean([r["wall_s"] for r, _ in runs])
    print(f"{name:<{name_width}}{method:<{width}}{len(runs):>6}  "
          f"{interval(finals):<18}{interval(lasts):<18}{optimum_text:>8}"
          f"{near_text:>9}  {per_seed:<36}{wall:>10.0f}")
  for extra in extra_metrics:
    print(f"\n{extra} (mean of the last {LAST_EVALS} evaluations)")
    for (name, method), runs in results.items():
      values = [last_evals_mean(j[4], extra) for j in jobs
                if j[:2] == (name, method)]
      print(f"{name:<{name_width}}{method:<{width}}{interval(values):<18}"
            + " ".join(f"{v:+.3f}" for v in values))
  for name in fv.experiment:
    groups = {method: [j[4] for j in jobs if j[:2] == (name, method)]
              for method in fv.method if (name, method) in results}
    if not groups:
      continue
    for key, label in ((metric, metric_label),
                       *((m, m) for m in extra_metrics)):
      suffix = "" if key == metric else "_" + key.replace(".", "_")
      out = os.path.join(fv.out_dir, f"{name}{suffix}.png")
      plot.plot(list(groups.items()), key, "episode", out,
                title=f"{name}: {label}")
      print(f"wrote {out}")
    if (role_plot and name in role_plot.experiments
        and role_plot.method in groups):
      out = os.path.join(fv.out_dir, f"{name}_incentives.png")
      plot_incentives_by_role(groups[role_plot.method], role_plot.roles, out,
                              f"{name}: {role_plot.method} incentives",
                              role_plot.actions)
      print(f"wrote {out}")
  if failed:
    print(f"\n{len(failed)} failed run(s), left out above (see each .log):")
    for root in failed:
      print(f"  {root}")
  return 1 if failed else 0
