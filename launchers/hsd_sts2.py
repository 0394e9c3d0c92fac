r"""HSD: hierarchical MARL with unsupervised skill discovery on STS2 3v3
against the scripted team (thesis Fig. 4.4a): QMIX over latent skills, IQL
below, a BiLSTM skill decoder and the α curriculum.

  python -m launchers.hsd_sts2 --root_dir=runs/hsd_sts2 --seed=0
  python -m launchers.hsd_sts2 --root_dir=runs/hsd8_sts2 --hparam num_skills=8
  python -m launchers.hsd_sts2 --root_dir=runs/hsd_ext_sts2 \
      --hparam alpha_start=0 --hparam alpha_end=0     # HSD-ext

Defaults: thesis §4.3.2; --hparam key=value overrides one config field.
"""

from absl import flags

from launchers import sts2_common
from mmagents.core import launch
from mmagents.hsd import agent as hsd

sts2_common.define_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(sts2_common)


def main(argv):
  del argv
  sts2_common.train("hsd_sts2", "hsd", hsd.HSDConfig())


if __name__ == "__main__":
  launch.run(main)
