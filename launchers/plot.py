r"""Learning curves across seeds: mean and 95% confidence band, as a PNG.

Each ``--group LABEL=GLOB`` is one curve; GLOB matches root dirs (one per
seed) that hold ``metrics.jsonl``. The band is the Student-t 95% confidence
interval of the mean over seeds at each evaluation point that all seeds of
the group share.

  python -m launchers.plot --group 'PG=runs/pg_er21_s*' \
      --metric=return_mean --out=er21.png
  python -m launchers.plot --group 'PG=runs/pg_ipd_s*' \
      --metric=return_per_agent.0 --out=ipd_agent0.png

--smooth=K replaces each run's value by the mean of its last K evaluations
(fewer at the start) before the runs are aggregated, for long, noisy runs.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from typing import Dict, List, Sequence, Tuple

from absl import app
from absl import flags

import numpy as np

from mmagents.core import launch

flags.DEFINE_multi_string("group", None, "LABEL=GLOB of root dirs (repeat).")
flags.DEFINE_string("metric", "return_mean",
                    "Metric key; index list metrics as key.INDEX.")
flags.DEFINE_enum("x", "episode", ["episode", "env_steps", "wall_s"],
                  "Horizontal axis.")
flags.DEFINE_string("out", "learning_curve.png", "Output PNG path.")
flags.DEFINE_string("title", "", "Figure title.")
flags.DEFINE_integer("smooth", 1, "Trailing window of evaluations averaged "
                     "per run (1: none).", lower_bound=1)
FLAGS = flags.FLAGS

# Two-sided 95% Student-t critical values for 1..30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(dof: int) -> float:
  return _T95[dof - 1] if dof <= len(_T95) else 1.96


def metric_value(row: dict, metric: str) -> float:
  """Reads `metric` from a row: ``key.INDEX`` indexes a list value,
  ``key.NAME`` a dict value (``outcome.equality``); null reads as NaN."""
  key, _, index = metric.partition(".")
  if key not in row:
    raise KeyError(f"metric {key!r} not in metrics rows (keys: "
                   f"{', '.join(sorted(row))})")
  value = row[key]
  if index:
    value = value[index] if isinstance(value, dict) else value[int(index)]
  return float("nan") if value is None else float(value)


def load_curve(root_dir: str, metric: str, x: str) -> Dict[float, float]:
  with open(os.path.join(root_dir, "metrics.jsonl"), encoding="utf-8") as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return {row[x]: metric_value(row, metric) for row in rows}


def smooth(curve: Dict[float, float], window: int) -> Dict[float, float]:
  """Each point replaced by the mean of it and the `window` − 1 before it
  (NaN evaluations skipped)."""
  xs = sorted(curve)
  values = np.array([curve[x] for x in xs])
  out = {}
  for i, x in enumerate(xs):
    recent = values[max(0, i - window + 1):i + 1]
    recent = recent[~np.isnan(recent)]
    out[x] = float(recent.mean()) if recent.size else float("nan")
  return out


def aggregate(curves: Sequence[Dict[float, float]]
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Mean and 95% CI half-width at the x values all curves share."""
  shared = sorted(set.intersection(*(set(c) for c in curves)))
  values = np.array([[c[x] for x in shared] for c in curves])   # [seeds, X]
  mean = values.mean(axis=0)
  if len(curves) < 2:
    return np.array(shared), mean, np.zeros_like(mean)
  sem = values.std(axis=0, ddof=1) / np.sqrt(len(curves))
  return np.array(shared), mean, t95(len(curves) - 1) * sem


def parse_groups(specs: Sequence[str]) -> List[Tuple[str, List[str]]]:
  groups = []
  for spec in specs:
    label, sep, pattern = spec.partition("=")
    if not sep:
      raise ValueError(f"--group must be LABEL=GLOB, got {spec!r}")
    dirs = sorted(d for d in glob.glob(pattern)
                  if os.path.exists(os.path.join(d, "metrics.jsonl")))
    if not dirs:
      raise ValueError(f"--group {label}: no root dir with metrics.jsonl "
                       f"matches {pattern!r}")
    groups.append((label, dirs))
  return groups


def draw(ax, groups, metric: str, x: str, title: str = "",
         window: int = 1) -> None:
  """One curve per (label, run dirs) group on matplotlib axes `ax`."""
  for label, dirs in groups:
    xs, mean, half = aggregate([smooth(load_curve(d, metric, x), window)
                                for d in dirs])
    line, = ax.plot(xs, mean, label=f"{label} (n={len(dirs)})")
    ax.fill_between(xs, mean - half, mean + half, alpha=0.25,
                    color=line.get_color())
  ax.set_xlabel(x.replace("_", " "))
  ax.set_ylabel(metric.replace("_", " ")
                + (f" (mean of last {window})" if window > 1 else ""))
  ax.set_title(title)
  ax.grid(alpha=0.3)
  ax.legend()


def plot(groups, metric: str, x: str, out: str, title: str = "",
         window: int = 1) -> None:
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(6, 4))
  draw(ax, groups, metric, x, title, window)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  fig.savefig(out, dpi=120)
  plt.close(fig)


def main(argv):
  if len(argv) > 1:
    print(f"error: unexpected arguments {argv[1:]}", file=sys.stderr)
    sys.exit(2)
  try:
    if not FLAGS.group:
      raise ValueError("give at least one --group LABEL=GLOB")
    plot(parse_groups(FLAGS.group), FLAGS.metric, FLAGS.x, FLAGS.out,
         FLAGS.title, FLAGS.smooth)
  except (ValueError, KeyError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
