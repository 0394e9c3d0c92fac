r"""Thesis Fig. 6.1 in one PNG from `reproduce_metagrad` run directories.

Panels: (a) ER(5,2), MetaGrad against every dual-RL designer; (b) ER(10,5);
(c) the dual-RL designers alone (the three discrete incentive sets and the
continuous one); (d) ER(2,1), incentives received per action by the
"cooperator" (the agent that pulls the lever most) and the "winner" (exits
most). Curves are designer returns (collective extrinsic return minus all
incentives given), mean over seeds with a 95% Student-t band. Runs are found
as ``{experiment}_{method}_s{seed}`` under each ``--run_dirs`` folder.

  python -m benchmarks.figure_6_1 --run_dirs=runs/reproduce_metagrad \
      --figure=docs/results/metagrad_fig6_1.png
"""

from __future__ import annotations

import glob
import os
import sys
from typing import Dict, List

from absl import app
from absl import flags

from benchmarks import reproduce_lib
from launchers import plot
from mmagents.core import launch

flags.DEFINE_list("run_dirs", ["runs/reproduce_metagrad"],
                  "Folders holding reproduce_metagrad runs.")
flags.DEFINE_string("figure", "metagrad_fig6_1.png", "Output PNG.")
FLAGS = flags.FLAGS

METRIC = "designer_return"
DUAL_RL = {"dual_d_small": "dual-RL (d) {0, 1.1}",
           "dual_d_medium": "dual-RL (d) {0, 1.1, 2}",
           "dual_d_large": "dual-RL (d) {0, .5, ..., 2}",
           "dual_c": "dual-RL (c)"}


def runs(experiment: str, method: str) -> List[str]:
  """Finished run directories of (experiment, method) in every folder."""
  found = []
  for folder in FLAGS.run_dirs:
    found += glob.glob(os.path.join(folder, f"{experiment}_{method}_s*"))
  return sorted(d for d in found if os.path.exists(
      os.path.join(d, "metrics.jsonl")))


def groups(experiment: str, labels: Dict[str, str]) -> list:
  return [(label, runs(experiment, method))
          for method, label in labels.items() if runs(experiment, method)]


def main(argv):
  del argv
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  everything = dict({"metagrad": "MetaGrad"}, **DUAL_RL)
  panels = [("(a) ER(5,2)", groups("er52", everything)),
            ("(b) ER(10,5)", groups("er105", everything)),
            ("(c) ER(5,2), dual-RL", groups("er52", DUAL_RL))]
  cooperation = runs("er21", "metagrad")
  if not any(g for _, g in panels) and not cooperation:
    print(f"error: no runs under {FLAGS.run_dirs}", file=sys.stderr)
    sys.exit(2)
  fig, axes = plt.subplots(1, 5, figsize=(30, 4.5))
  for ax, (title, curve_groups) in zip(axes, panels):
    if curve_groups:
      plot.draw(ax, curve_groups, METRIC, "episode", title)
    else:
      ax.set_title(f"{title}: no runs")
  for ax, (role, event) in zip(axes[3:], (("cooperator", "lever"),
                                          ("winner", "door"))):
    if cooperation:
      reproduce_lib.draw_incentives_by_role(ax, cooperation, role, event,
                                            "(d) ER(2,1), MetaGrad")
    else:
      ax.set_title(f"(d) {role}: no runs")
  fig.tight_layout()
  fig.savefig(FLAGS.figure, dpi=110)
  plt.close(fig)
  print(f"wrote {FLAGS.figure}")


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
