"""Methods by name: the config dataclass and the agent class of each."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Type

from mmagents.aga import actor_critic as aga_ac
from mmagents.agents import ac
from mmagents.agents import ac_c
from mmagents.agents import inequity_aversion
from mmagents.agents import pg
from mmagents.agents import pg_c
from mmagents.cm3 import agent as cm3
from mmagents.cm3 import baselines as cm3_baselines
from mmagents.core import agent as agent_lib
from mmagents.hsd import agent as hsd
from mmagents.hsd import baselines as hsd_baselines
from mmagents.lio import actor_critic as lio_ac
from mmagents.lio import agent as lio
from mmagents.lio import decentralized as lio_dec
from mmagents.lio import one_episode
from mmagents.metagrad import cleanup as metagrad_cleanup
from mmagents.metagrad import designer as metagrad
from mmagents.metagrad import dual_rl
from mmagents.qmix import agent as qmix


@dataclasses.dataclass(frozen=True)
class Method:
  config_cls: Type[Any]
  agent_cls: Type[agent_lib.MultiAgentTFAgent]
  # Multi-goal methods (CM3 and its baselines) also take the environment's
  # `multigoal_parts`.
  multigoal: bool = False


_METHODS: Dict[str, Method] = {
    "pg": Method(pg.PGConfig, pg.PolicyGradientAgent),
    "ac": Method(ac.ACConfig, ac.ActorCriticAgent),
    "aga_ac": Method(aga_ac.AgAACConfig, aga_ac.AgAACAgent),
    "ac_c": Method(ac_c.ACcConfig, ac_c.ACcAgent),
    "ia": Method(inequity_aversion.IAConfig,
                 inequity_aversion.InequityAversionAgent),
    "pg_c": Method(pg_c.PGcConfig, pg_c.PGcAgent),
    "lio": Method(lio.LIOConfig, lio.LIOAgent),
    "lio_ac": Method(lio_ac.LIOACConfig, lio_ac.LIOACAgent),
    "lio_dec": Method(lio_dec.LIODecConfig, lio_dec.LIODecAgent),
    "lio_one_episode": Method(lio.LIOConfig, one_episode.OneEpisodeLIOAgent),
    "metagrad": Method(metagrad.MetaGradConfig, metagrad.MetaGradAgent),
    "dual_rl": Method(dual_rl.DualRLConfig, dual_rl.DualRLAgent),
    "metagrad_ac": Method(metagrad_cleanup.MetaGradACConfig,
                          metagrad_cleanup.MetaGradACAgent),
    "dual_rl_ac": Method(metagrad_cleanup.DualRLACConfig,
                         metagrad_cleanup.DualRLACAgent),
    "cm3": Method(cm3.CM3Config, cm3.CM3Agent, multigoal=True),
    "iac": Method(cm3_baselines.IACConfig, cm3_baselines.IACAgent,
                  multigoal=True),
    "coma": Method(cm3_baselines.COMAConfig, cm3_baselines.COMAAgent,
                   multigoal=True),
    "qmix": Method(qmix.QMIXConfig, qmix.QMIXAgent, multigoal=True),
    "hsd": Method(hsd.HSDConfig, hsd.HSDAgent),
    "iql_team": Method(hsd_baselines.IQLConfig, hsd_baselines.IQLAgent),
    "qmix_team": Method(hsd_baselines.QMIXTeamConfig,
                        hsd_baselines.QMIXTeamAgent),
}


def names() -> list:
  return sorted(_METHODS)


def get(name: str) -> Method:
  """The method called `name`; a ValueError names the known ones."""
  if name not in _METHODS:
    raise ValueError(f"unknown method {name!r}; known: {', '.join(names())}")
  return _METHODS[name]
