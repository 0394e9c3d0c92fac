"""Builds environments by name, so launchers and configs can refer to them."""

from __future__ import annotations

from typing import Any, Callable, Dict

from environments import base
from environments import escape_room
from environments import give_reward
from environments import ipd
from environments import joint_control
from environments.checkers import checkers
from environments.particle import navigation
from environments.ssd import cleanup
from environments.ssd import harvest
from environments.sts2 import team_sports as sts2
from environments.sumo import merge as sumo_merge

_REGISTRY: Dict[str, Callable[..., base.MultiAgentPyEnvironment]] = {
    "escape_room": escape_room.EscapeRoom,
    "escape_room_asymmetric": escape_room.AsymmetricEscapeRoom,
    "escape_room_give": give_reward.escape_room_give,
    "ipd": ipd.IteratedPrisonersDilemma,
    "ipd_give": give_reward.ipd_give,
    "cleanup": cleanup.make,
    "cleanup_give": give_reward.cleanup_give,
    "cleanup_joint": joint_control.cleanup_joint,
    "harvest": harvest.Harvest,
    "particle_navigation": navigation.CooperativeNavigation,
    "checkers": checkers.Checkers,
    "sumo_merge": sumo_merge.DoubleLaneMerge,
    "sts2": sts2.TeamSports,
}


def names() -> list:
  return sorted(_REGISTRY)


def register(name: str,
             factory: Callable[..., base.MultiAgentPyEnvironment]) -> None:
  """Adds an environment factory under `name` (an error if taken)."""
  if name in _REGISTRY:
    raise ValueError(f"environment {name!r} is already registered")
  _REGISTRY[name] = factory


def factory(name: str) -> Callable[..., base.MultiAgentPyEnvironment]:
  """The constructor of environment `name`; a ValueError names known ones."""
  if name not in _REGISTRY:
    raise ValueError(f"unknown environment {name!r}; known: "
                     f"{', '.join(names())}")
  return _REGISTRY[name]


def make(name: str, **kwargs) -> base.MultiAgentPyEnvironment:
  """Builds environment `name` with keyword arguments `kwargs`."""
  return factory(name)(**kwargs)


def make_seeded(name: str, kwargs: Dict[str, Any],
                seed: int) -> base.MultiAgentPyEnvironment:
  """`make(name, seed=seed, **kwargs)` with the seed last, for
  `functools.partial` factories that worker processes can unpickle."""
  return make(name, seed=seed, **kwargs)
