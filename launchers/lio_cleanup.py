r"""LIO on Cleanup (thesis Fig. 5.6): incentives lead to a division of labour.

Two actor-critic LIO agents; each incentive function sees its own view and
which agents used the cleaning beam. In the thesis one agent ends up
cleaning the river while the other collects apples and pays it, which
beats AC and inequity aversion and approaches the centralized upper bound.
The givers score the recipients' new policies with the TD error of a
critic of their extrinsic rewards (`mmagents.lio.actor_critic` says why not
the total-reward critic of the authors' code, ``--giver_signal=td``).

  python -m launchers.lio_cleanup --root_dir=runs/lio_cleanup7
  python -m launchers.lio_cleanup --root_dir=runs/lio_cleanup10 \
      --map=cleanup_10x10_sym

Defaults follow thesis Table B.5 (LIO column) and App. B.4.2 for the map.
One LIO iteration plays two episodes (τ, then τ̂ after the learners' step);
the run's episode counter and ε's schedule count iterations, as the
authors' public Cleanup code does (its episode count rises by two per
iteration and ε steps once), so the thesis' 50,000 episodes are the
default 25,000 iterations (2.5 million environment steps, as for AC's
50,000 one-episode iterations) and ε reaches its floor after 100 iterations.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch
from mmagents.lio import actor_critic as lio_ac

_DEFAULTS = lio_ac.LIOACConfig()
launch.define_run_flags(num_episodes=25_000, eval_interval=250,
                        num_eval_episodes=10)
cleanup_common.define_cleanup_flags()
common.define_lio_flags(_DEFAULTS)
cleanup_common.define_critic_flags(_DEFAULTS)
flags.DEFINE_enum("giver_signal", _DEFAULTS.giver_signal, lio_ac.GIVER_SIGNALS,
                  "What weights the recipients' new log-probabilities in the "
                  "incentive objective: the giver's TD error from a critic "
                  "of its extrinsic rewards (td_extrinsic, Eq. 5.10), from "
                  "its main critic of total rewards (td, the authors' code) "
                  "or its extrinsic return.")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)

# Table B.5: LIO on 10x10 decays ε over 1,000 episodes.
MAP_DEFAULTS = {"cleanup_10x10_sym": {"epsilon_episodes": 1000}}


def main(argv):
  del argv
  cleanup_common.apply_map_defaults(MAP_DEFAULTS)
  env_name, env_kwargs = cleanup_common.cleanup_env()
  with launch.bad_input():
    config = lio_ac.LIOACConfig(
        **common.lio_config_kwargs(), **cleanup_common.critic_config_kwargs(),
        watched_action=cleanup_common.clean_action(),
        giver_signal=flags.FLAGS.giver_signal)
  common.train_eval("lio_cleanup", env_name, env_kwargs, "lio_ac", config)


if __name__ == "__main__":
  launch.run(main)
