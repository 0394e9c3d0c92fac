r"""Dual-RL (c) on Cleanup (the baseline of thesis Fig. 6.2): the designer
is one more RL agent that picks a continuous incentive per action type and
learns from its own reward (extrinsic rewards minus incentives paid).

  python -m launchers.dual_rl_cleanup --root_dir=runs/dual_rl_cleanup7

Defaults follow thesis Table C.3 (dual-RL column) and the authors' 100,000
episodes on the 7x7 map; agents share one set of weights. The designer's
return at test time (``designer_return``, with the designer's mean action)
is the collective extrinsic return minus the incentives it paid. See
`mmagents.metagrad.cleanup` for the choices the sources leave open.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch
from mmagents.metagrad import cleanup

_DEFAULTS = cleanup.DualRLACConfig()

cleanup_common.define_designer_cleanup_flags(_DEFAULTS)
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def main(argv):
  del argv
  cleanup_common.train_designer_cleanup("dual_rl_cleanup", "dual_rl_ac",
                                        cleanup.DualRLACConfig)


if __name__ == "__main__":
  launch.run(main)
