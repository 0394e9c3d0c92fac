"""Gridworld maps of the sequential social dilemmas, as ASCII layouts.

Legend: ``@`` wall, ``P`` spawn point, ``A`` apple cell that starts with an
apple (Harvest), ``B`` apple-spawn cell (Cleanup), ``H`` river cell that
starts dirty (waste), ``R`` clean river cell, ``S`` stream, space empty.

* ``cleanup``: the original Cleanup map (25 x 18), 5 agents in the papers.
* ``harvest``: the original Harvest map (16 x 38).
* ``cleanup_small_sym``: LIO's 7 x 7 Cleanup (agent 0 spawns on the river
  side, agent 1 on the apple side).
* ``cleanup_10x10_sym``: LIO's 10 x 10 Cleanup.
"""

from __future__ import annotations

from typing import Dict, Tuple

CLEANUP = (
    "@@@@@@@@@@@@@@@@@@",
    "@RRRRRR     BBBBB@",
    "@HHHHHH      BBBB@",
    "@RRRRRR     BBBBB@",
    "@RRRRR  P    BBBB@",
    "@RRRRR    P BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR      BBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@RRRRR   P P BBBB@",
    "@HHHHH   P  BBBBB@",
    "@RRRRRR    P BBBB@",
    "@HHHHHH P   BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH    P  BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH  P P BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH      BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@@@@@@@@@@@@@@@@@@",
)

HARVEST = (
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@ P   P      A    P AAAAA    P  A P  @",
    "@  P     A P AA    P    AAA    A  A  @",
    "@     A AAA  AAA    A    A AA AAAA   @",
    "@ A  AAA A    A  A AAA  A  A   A A   @",
    "@AAA  A A    A  AAA A  AAA        A P@",
    "@ A A  AAA  AAA  A A    A AA   AA AA @",
    "@  A A  AAA    A A  AAA    AAA  A    @",
    "@   AAA  A      AAA  A    AAAA       @",
    "@ P  A       A  A AAA    A  A      P @",
    "@A  AAA  A  A  AAA A    AAAA     P   @",
    "@    A A   AAA  A A      A AA   A  P @",
    "@     AAA   A A  AAA      AA   AAA P @",
    "@ A    A     AAA  A  P          A    @",
    "@       P     A         P  P P     P @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
)

CLEANUP_SMALL_SYM = (
    "@@@@@@@",
    "@H  PB@",
    "@H   B@",
    "@    B@",
    "@    B@",
    "@ P  B@",
    "@@@@@@@",
)

CLEANUP_10X10_SYM = (
    "@@@@@@@@@@",
    "@HH   P B@",
    "@RR    BB@",
    "@HH     B@",
    "@RR    BB@",
    "@HH P   B@",
    "@RR    BB@",
    "@HH     B@",
    "@RRP   BB@",
    "@@@@@@@@@@",
)

MAPS: Dict[str, Tuple[str, ...]] = {
    "cleanup": CLEANUP,
    "harvest": HARVEST,
    "cleanup_small_sym": CLEANUP_SMALL_SYM,
    "cleanup_10x10_sym": CLEANUP_10X10_SYM,
}


def get(name: str) -> Tuple[str, ...]:
  """The layout called `name`; a ValueError lists the known ones."""
  if name not in MAPS:
    raise ValueError(f"unknown map {name!r}; known: {', '.join(sorted(MAPS))}")
  return MAPS[name]
