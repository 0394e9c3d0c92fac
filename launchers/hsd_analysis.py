r"""Behaviour of a trained HSD team (thesis Fig. 4.2) and ad hoc cooperation
(Table 4.1).

  python -m launchers.hsd_analysis --root_dir=runs/hsd_sts2
  python -m launchers.hsd_analysis --root_dir=runs/hsd_sts2 \
      --adhoc=hsd=runs/hsd_s0,runs/hsd_s1 --adhoc=qmix=runs/qmix_s0

Writes the panels (a)-(g) as PNGs and ``analysis.json`` to --out_dir
(default: ROOT_DIR/analysis), and prints the win/lose percentages of every
--adhoc method (mean and standard error over its runs) when its team plays
as trained, with 1 or 2 teammates replaced by scripted players, and, for
HSD, with agent 0 pinned to its defensive or offensive skill (by default
the skills with the highest and lowest share of steals among steals and
shot attempts in the analysed run, `analysis.role_skills`).
"""

import json
import os
from typing import Dict, List

from absl import flags
import numpy as np
import tensorflow as tf

from mmagents.core import experiment_io
from mmagents.core import launch
from mmagents.core import restore
from mmagents.hsd import analysis

flags.DEFINE_string("root_dir", None, "An hsd_sts2 run to analyse.")
flags.DEFINE_string("out_dir", "", "Where PNGs and analysis.json go.")
flags.DEFINE_integer("num_episodes", 100, "Episodes of the skill analysis.",
                     lower_bound=1)
flags.DEFINE_multi_string("adhoc", [], "LABEL=DIR[,DIR...]: runs (any STS2 "
                          "method) of one method for the ad hoc table; "
                          "default: hsd=--root_dir.")
flags.DEFINE_integer("adhoc_episodes", 100, "Episodes per ad hoc setting.",
                     lower_bound=1)
flags.DEFINE_integer("defensive_skill", -1, "Skill pinned for '1 "
                     "defensive' (-1: highest steal share).",
                     lower_bound=-1)
flags.DEFINE_integer("offensive_skill", -1, "Skill pinned for '1 "
                     "offensive' (-1: highest shot share).",
                     lower_bound=-1)
flags.DEFINE_integer("seed", 0, "Seed of the evaluation environments.")
flags.mark_flag_as_required("root_dir")
FLAGS = flags.FLAGS

SETTINGS = ("training", "1 scripted", "2 scripted", "1 defensive",
            "1 offensive")


def _parse_adhoc() -> Dict[str, List[str]]:
  groups = {}
  for text in FLAGS.adhoc or [f"hsd={FLAGS.root_dir}"]:
    label, sep, dirs = text.partition("=")
    if not sep or not dirs:
      raise experiment_io.UsageError(
          f"--adhoc wants LABEL=DIR[,DIR...], got {text!r}")
    groups[label] = dirs.split(",")
  return groups


def _adhoc_cell(root_dir: str, setting: str, skills: Dict[str, int]):
  overrides = {"scripted_home": int(setting[0])} if "scripted" in (
      setting) else {}
  agent, make_env = restore.load_agent(root_dir, env_overrides=overrides)
  fixed = None
  if setting in ("1 defensive", "1 offensive"):
    if not hasattr(agent, "fixed_skills"):
      return None
    fixed = [skills[setting]] + [-1] * (agent.num_agents - 1)
  return analysis.win_lose(agent, make_env, FLAGS.adhoc_episodes,
                           FLAGS.seed + 20_011, fixed)


def _adhoc_table(skills: Dict[str, int]) -> Dict[str, Dict[str, list]]:
  table = {}
  for label, dirs in _parse_adhoc().items():
    for setting in SETTINGS:
      cells = [_adhoc_cell(d, setting, skills) for d in dirs]
      if any(c is None for c in cells):
        continue
      table.setdefault(label, {})[setting] = cells
  header = "".join(f"{label:>22}" for label in table)
  print(f"\n{'teammates':<14}{header}\n{'':<14}"
        + "".join(f"{'win':>11}{'lose':>11}" for _ in table))
  for setting in SETTINGS:
    line = f"{setting:<14}"
    for label in table:
      cells = table[label].get(setting)
      if cells is None:
        line += f"{'-':>11}{'-':>11}"
        continue
      for key in ("win", "lose"):
        values = np.array([c[key] for c in cells])
        error = (values.std(ddof=1) / np.sqrt(len(values))
                 if len(values) > 1 else 0.0)
        line += f"{values.mean():>6.0f} ({error:>2.0f})"
    print(line)
  return table


def main(argv):
  del argv
  with launch.bad_input():
    agent, make_env = restore.load_agent(FLAGS.root_dir)
    if not hasattr(agent, "fixed_skills"):
      raise experiment_io.UsageError(f"{FLAGS.root_dir} is not an HSD run")
    _parse_adhoc()
  tf.get_logger().setLevel("ERROR")  # One evaluation graph per setting.
  out_dir = FLAGS.out_dir or os.path.join(FLAGS.root_dir, "analysis")
  env = make_env(FLAGS.seed + 30_011)
  log = analysis.record_skills(agent, env, FLAGS.num_episodes)
  report = analysis.skill_report(log, agent.config.num_skills,
                                 env.game.rules.arena_size)
  paths = analysis.draw_panels(report, out_dir, env.num_agents)
  defensive, offensive = analysis.role_skills(report["events"])
  skills = {
      "1 defensive": (FLAGS.defensive_skill if FLAGS.defensive_skill >= 0
                      else defensive),
      "1 offensive": (FLAGS.offensive_skill if FLAGS.offensive_skill >= 0
                      else offensive)}
  for z in range(agent.config.num_skills):
    counts = " ".join(f"{name} {v:.2f}" for name, v in
                      zip(analysis.EVENTS, report["events"][z]))
    print(f"skill {z}: {counts}")
  table = _adhoc_table(skills)
  result = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in report.items() if k != "time_series"}
  result.update(pinned_skills=skills, adhoc=table, panels=paths)
  experiment_io.write_json(os.path.join(out_dir, "analysis.json"), result)
  print(f"wrote {len(paths)} panels and analysis.json to {out_dir}")


if __name__ == "__main__":
  launch.run(main)
