"""Social outcome metrics of the sequential social dilemmas (Perolat et al.).

All take one episode's per-agent totals, e.g. returns and the event
counters of `engine.GridGame` (``apples``, ``apple_step_sum``,
``cleaned``).
"""

from __future__ import annotations

from typing import Dict, Mapping

import numpy as np


def equality(returns: np.ndarray) -> float:
  """1 - Gini coefficient of the returns.

  ``1 - sum_ij |R_i - R_j| / (2 N sum_i R_i)``: 1 when everyone gets the
  same, 1/N (2 agents: 0.5) when one agent gets everything. Defined for
  non-negative totals; 1 when all are 0 and NaN when the total is not
  positive otherwise (penalties can make returns negative).
  """
  returns = np.asarray(returns, np.float64)
  total = returns.sum()
  if not returns.any():
    return 1.0
  if total <= 0.0:
    return float("nan")
  gaps = np.abs(returns[:, None] - returns[None, :]).sum()
  return float(1.0 - gaps / (2.0 * len(returns) * total))


def sustainability(apple_step_sum: np.ndarray, apples: np.ndarray) -> float:
  """Mean over agents of the average step (1-based) at which they ate.

  High when apples are still eaten late in the episode. Agents that ate
  nothing are left out; NaN when nobody ate.
  """
  apples = np.asarray(apples, np.float64)
  ate = apples > 0
  if not ate.any():
    return float("nan")
  return float(np.mean(np.asarray(apple_step_sum, np.float64)[ate]
                       / apples[ate]))


def division_of_labour(cleaned: np.ndarray,
                       apples: np.ndarray) -> Dict[str, float]:
  """How cleaning and eating split between agents.

  ``cleaner_share``: the share of all cleaning done by the agent that
  cleaned most; ``cleaner_apple_share``: that agent's share of the apples
  (near 1 and near 0 for a pure cleaner/harvester split). NaN without any
  cleaning (apple share NaN without any apples).
  """
  cleaned = np.asarray(cleaned, np.float64)
  apples = np.asarray(apples, np.float64)
  if cleaned.sum() <= 0:
    return {"cleaner_share": float("nan"),
            "cleaner_apple_share": float("nan")}
  cleaner = int(np.argmax(cleaned))
  apple_share = (apples[cleaner] / apples.sum() if apples.sum() > 0
                 else float("nan"))
  return {"cleaner_share": float(cleaned[cleaner] / cleaned.sum()),
          "cleaner_apple_share": float(apple_share)}


def episode_metrics(returns: np.ndarray,
                    events: Mapping[str, np.ndarray]) -> Dict[str, float]:
  """Collective return, equality, sustainability and labour of an episode."""
  returns = np.asarray(returns, np.float64)
  out = {"collective_return": float(returns.sum()),
         "equality": equality(returns)}
  if "apples" in events:
    out["sustainability"] = sustainability(events["apple_step_sum"],
                                           events["apples"])
  if "cleaned" in events and "apples" in events:
    out.update(division_of_labour(events["cleaned"], events["apples"]))
  return out
