"""Thesis hyperparameters of CM3, its ablations and baselines per game
(Tables A.3–A.5, architectures of App. A.8).

`preset(game, method, stage)` gives the registry name of the method, its
config and the run lengths; launchers take their defaults from here and
``--hparam key=value`` overrides single fields. The tables' ε_div / ε_step
rows are read as the number of episodes over which ε decays linearly (the
SUMO and Checkers tables call it ε_step, with values that only make sense as
a count). "Steps per train" in a column means off-policy training with a
circular buffer (one minibatch per 10 environment steps); "episodes per
train" means on-policy: ``epochs`` minibatches per 10 episodes, then the
buffer is emptied.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

from mmagents.cm3 import agent as cm3
from mmagents.cm3 import baselines
from mmagents.qmix import agent as qmix

GAMES = ("particle", "checkers", "sumo")
METHODS = ("cm3", "qv", "direct", "iac", "coma", "qmix")
REGISTRY_NAMES = {"cm3": "cm3", "qv": "cm3", "direct": "cm3", "iac": "iac",
                  "coma": "coma", "qmix": "qmix"}


@dataclasses.dataclass(frozen=True)
class Preset:
  """What a launcher needs to reproduce one column of a table."""
  method: str                 # Registry name.
  config: Any
  num_episodes: int
  episodes_per_iteration: int
  max_steps: int


# Architectures (App. A.8.1 cooperative navigation, A.8.2 SUMO, A.8.3
# Checkers). SUMO's policy feeds o_self and g to 32 units each before the
# 64-unit layer h*; one 64-unit layer on both (a superset) stands in for it.
# SUMO's global Q and credit side modules also read g^{-n} in the thesis;
# here they read the state parts (and actions) only, as on the other games.
_NETWORKS: Dict[str, Dict[str, Any]] = {
    "particle": dict(policy_hidden_sizes=(64, 64), policy_side_sizes=(128,),
                     critic_hidden_sizes=(64, 64), critic_side_sizes=(128,)),
    "checkers": dict(policy_hidden_sizes=(256, 256), policy_side_sizes=(256,),
                     critic_hidden_sizes=(256, 256), critic_side_sizes=(32,),
                     self_conv_filters=6, self_conv_kernel=(3, 3),
                     policy_image_units=32, env_conv_filters=4,
                     env_conv_kernel=(3, 5)),
    "sumo": dict(policy_hidden_sizes=(64, 64), policy_side_sizes=(64,),
                 critic_hidden_sizes=(256, 256), critic_side_sizes=(128,),
                 others_conv_filters=4, others_conv_kernel=(5, 3)),
}
# IAC's value function where it differs from CM3's critic (A.8.2).
_IAC_CRITIC = {"sumo": dict(critic_hidden_sizes=(64, 64),
                            critic_side_sizes=(128,))}
_COMA_CRITIC = {"particle": (128, 128), "checkers": (256, 256),
                "sumo": (128, 128)}
_QMIX_NETWORKS = {
    "particle": dict(q_hidden_sizes=(64,), q_side_sizes=(),
                     mixer_embed_dim=64),
    "checkers": dict(q_hidden_sizes=(64,), q_side_sizes=(64,),
                     q_image_units=32, mixer_embed_dim=128),
    "sumo": dict(q_hidden_sizes=(64, 64), q_side_sizes=(64,),
                 others_conv_filters=4, others_conv_kernel=(5, 3),
                 mixer_embed_dim=64),
}
_EPISODES = {"particle": (1_000, 80_000), "checkers": (5_000, 50_000),
             "sumo": (2_500, 50_000)}
# SUMO: the 40 steps of CM3's code, not the thesis' 33 (see the CONFLICT in
# environments/sumo/merge.py).
_MAX_STEPS = {"particle": (25, 50), "checkers": (75, 75), "sumo": (40, 40)}


def _schedule(game: str, method: str, stage: int) -> Dict[str, Any]:
  """ε, learning rates, batch and training frequency of a table column."""
  if game == "particle":
    if stage == 1:
      return dict(epsilon_start=1.0, epsilon_end=0.01, epsilon_episodes=1_000,
                  batch_size=256, epochs=24)
    common = dict(epsilon_end=0.05, batch_size=128, epochs=24)
    return dict(common, **{
        "cm3": dict(epsilon_start=0.5, epsilon_episodes=20_000),
        "qv": dict(epsilon_start=0.5, epsilon_episodes=20_000),
        "direct": dict(epsilon_start=1.0, epsilon_episodes=80_000),
        "iac": dict(epsilon_start=1.0, epsilon_episodes=80_000),
        "coma": dict(epsilon_start=1.0, epsilon_episodes=20_000,
                     policy_learning_rate=1e-5, critic_learning_rate=1e-4),
        # τ: see `mmagents.qmix.agent` (with 0.01 the four-agent TD loss
        # diverged; 0.001 tracks like the original 200-episode copy).
        "qmix": dict(epsilon_start=1.0, epsilon_episodes=80_000,
                     steps_per_train=10, target_update_rate=0.001),
    }[method])
  if game == "sumo":
    if stage == 1:
      return dict(epsilon_start=0.5, epsilon_end=0.05, epsilon_episodes=2_000,
                  batch_size=128, steps_per_train=10)
    common = dict(epsilon_start=0.5, epsilon_end=0.05, batch_size=128,
                  replay_capacity=20_000)
    weighted = dict(steps_per_train=10, importance_weight_cap=10.0)
    return dict(common, **{
        # CHOICE: importance weights min(π̃/μ, 10) on replayed actions
        # (thesis: none). Without them the table's 20,000-transition buffer
        # (actions up to ~600 episodes old) let the mean of the actor's
        # weights (`advantage_mean`) reach -2.8 and a policy collapse onto
        # colliding, off-lane driving (1 of 3 seeds at 5,000 episodes);
        # with them it stays within -0.04..+0.44, no seed collapses and
        # three seeds end at QMIX's level after 20,000 (docs/results).
        # A 2,000 buffer instead held 5,000 episodes but still dipped over
        # 20,000. The thesis: --hparam=importance_weight_cap=0.
        "cm3": dict(weighted, epsilon_episodes=1_000),
        "qv": dict(weighted, epsilon_episodes=1_000),
        "direct": dict(weighted, epsilon_episodes=40_000),
        "iac": dict(epsilon_episodes=1_000, epochs=33),
        "coma": dict(epsilon_episodes=10_000, epochs=33),
        "qmix": dict(epsilon_episodes=40_000, steps_per_train=10),
    }[method])
  if stage == 1:
    return dict(epsilon_start=1.0, epsilon_end=0.1, epsilon_episodes=500,
                batch_size=128, epochs=10)
  common = dict(epsilon_end=0.1, batch_size=128)
  # CHOICE: an entropy bonus of 0.1 on the actor (thesis: none). Without it
  # 4 of 5 seeds became deterministic by episode 1,000-3,000 and locked at
  # +12 to +18 for the rest of 10,000 episodes: the optimum needs a joint
  # change (one agent clearing the other's path) that no one-agent
  # deviation shows. With it every policy's mode collects all 24 fruits
  # (docs/results). The thesis: --hparam=entropy_coeff=0.
  bonus = dict(steps_per_train=10, entropy_coeff=0.1)
  return dict(common, **{
      "cm3": dict(bonus, epsilon_start=0.5, epsilon_episodes=1_000),
      "qv": dict(bonus, epsilon_start=0.5, epsilon_episodes=1_000),
      "direct": dict(bonus, epsilon_start=1.0, epsilon_episodes=10_000),
      "iac": dict(epsilon_start=1.0, epsilon_episodes=20_000, epochs=33),
      "coma": dict(epsilon_start=1.0, epsilon_episodes=10_000, epochs=33),
      "qmix": dict(epsilon_start=1.0, epsilon_episodes=10_000,
                   steps_per_train=10, critic_learning_rate=1e-5),
  }[method])


def preset(game: str, method: str, stage: int = 2) -> Preset:
  """The thesis configuration of `method` on `game` (Stage 1 or 2 for CM3)."""
  if game not in GAMES:
    raise ValueError(f"game must be one of {GAMES}, got {game!r}")
  if method not in METHODS:
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
  if stage not in (1, 2) or (stage == 1 and method != "cm3"):
    raise ValueError(f"stage {stage} is not defined for {method}")
  fields = _schedule(game, method, stage)
  if method == "qmix":
    config = qmix.QMIXConfig(**dict(_QMIX_NETWORKS[game], **{
        k: v for k, v in fields.items() if k != "epochs"}))
  else:
    fields = dict(_NETWORKS[game], **fields)
    if method in ("cm3", "qv", "direct"):
      config = cm3.CM3Config(stage=stage,
                             advantage="qv" if method == "qv" else "credit",
                             **fields)
    elif method == "iac":
      config = baselines.IACConfig(**dict(fields, **_IAC_CRITIC.get(game,
                                                                     {})))
    else:
      fields["critic_hidden_sizes"] = _COMA_CRITIC[game]
      config = baselines.COMAConfig(**fields)
  off_policy = getattr(config, "steps_per_train", 0) > 0
  return Preset(method=REGISTRY_NAMES[method], config=config,
                num_episodes=_EPISODES[game][stage - 1],
                episodes_per_iteration=1 if off_policy else 10,
                max_steps=_MAX_STEPS[game][stage - 1])
