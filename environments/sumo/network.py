"""The SUMO scenario files of the double lane merge, generated at run time.

Writes plain node, edge and edge-type XML for a straight one-edge road (200 m,
4 lanes of 3.2 m, speed limit 30 m/s), turns it into a ``.net.xml`` with the
``netconvert`` of the ``eclipse-sumo`` wheel, and writes the vehicle types,
the route, optional background flows and a ``.sumocfg`` next to it. Nothing
needs a system SUMO or a ``SUMO_HOME`` variable: binaries come from the wheel
(`sumo_binary`), and child processes get the wheel's directory as
``SUMO_HOME`` so that SUMO finds its data files without warnings.

Geometry: the road runs from x = 0 to x = 200 along +x; its right edge is
y = 0 and its left edge y = 12.8, so SUMO's world coordinates are the road
coordinates (``--offset.disable-normalization``). Lane 0 is the rightmost
(SUMO's lane index). Agents and SUMO vehicles are told apart by the prefix
of their id (``agent_``, ``car``, ``truck``), which `VEHICLE_TYPES` maps to
their size.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from typing import Dict, Optional
from xml.sax import saxutils

ROAD_LENGTH = 200.0
NUM_LANES = 4
LANE_WIDTH = 3.2
ROAD_WIDTH = NUM_LANES * LANE_WIDTH
SUBLANE_WIDTH = 0.8              # SUMO's --lateral-resolution.
SPEED_LIMIT = 30.0
STEP_LENGTH = 0.2                # Seconds per simulation step.
EDGE_ID = "road"
ROUTE_ID = "merge"
# Background flows enter at x = 0 from this time on, behind the agents (who
# enter at time 0 with x >= 0 at 30 m/s).
FLOW_BEGIN = 1.0
_NETCONVERT_TIMEOUT_S = 60


@dataclasses.dataclass(frozen=True)
class VehicleType:
  """A SUMO vType: its id (also the id prefix of its vehicles) and XML."""
  type_id: str
  length: float
  width: float
  attributes: str  # Further vType attributes, verbatim.


# Agents: no dawdling, lateral speed and acceleration high enough that one
# changeSublane of 0.8 m completes within one 0.2 s step, no automatic
# lateral alignment (their lateral offset is theirs to choose), and a top
# speed above the speeding threshold (merge.py caps commanded speeds). SUMO
# never drives them (speed mode 0), so braking ability and reaction time
# only enter SUMO's insertion checks: strong brakes and a short tau let
# agents and background traffic enter close to each other.
AGENT = VehicleType(
    "agent", 5.0, 1.8,
    'accel="2.5" decel="9" emergencyDecel="9" tau="0.1" sigma="0" '
    'maxSpeed="50" '
    'speedFactor="1" latAlignment="arbitrary" maxSpeedLat="4" '
    'lcAccelLat="100" minGapLat="0" lcSigma="0"')
# Background traffic: SUMO's sublane model drives it (SL2015 lane changes,
# Krauss car following with dawdling); desired speeds around 85% of the
# limit so that agents at 30 m/s catch up with it.
CAR = VehicleType(
    "car", 5.0, 1.8,
    'accel="2.6" decel="4.5" sigma="0.5" maxSpeed="40" '
    'speedFactor="normc(0.85,0.05,0.7,1.0)" laneChangeModel="SL2015"')
TRUCK = VehicleType(
    "truck", 12.0, 2.4,
    'vClass="truck" accel="1.3" decel="4.0" sigma="0.5" maxSpeed="27" '
    'speedFactor="normc(0.8,0.05,0.7,0.9)" laneChangeModel="SL2015"')
VEHICLE_TYPES: Dict[str, VehicleType] = {
    t.type_id: t for t in (AGENT, CAR, TRUCK)}


@dataclasses.dataclass(frozen=True)
class ScenarioFiles:
  """Paths of the generated files (all inside `run_dir`)."""
  run_dir: str
  net: str
  routes: str
  config: str


def type_of(vehicle_id: str) -> VehicleType:
  """The vType of a vehicle from its id prefix (``car_3``, ``truck_flow.2``)."""
  for prefix, vtype in VEHICLE_TYPES.items():
    if vehicle_id.startswith(prefix):
      return vtype
  raise KeyError(f"vehicle {vehicle_id!r} has no known type prefix")


def sumo_home() -> str:
  """The SUMO installation inside the ``eclipse-sumo`` wheel."""
  try:
    import sumo  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        "the SUMO environment needs the eclipse-sumo wheel: "
        "pip install eclipse-sumo==1.28.0 traci==1.28.0 libsumo==1.28.0"
    ) from e
  return sumo.SUMO_HOME


def sumo_binary(name: str = "sumo") -> str:
  """Path of a SUMO program (``sumo``, ``netconvert``) from the wheel."""
  return os.path.join(sumo_home(), "bin", name)


def child_environment() -> Dict[str, str]:
  """``os.environ`` plus the wheel's ``SUMO_HOME``, for SUMO processes."""
  return dict(os.environ, SUMO_HOME=sumo_home())


def _write(path: str, text: str) -> str:
  with open(path, "w", encoding="utf-8") as f:
    f.write(text)
  return path


def write_nodes(run_dir: str) -> str:
  # Nodes on the left edge: SUMO spreads lanes to the right of the edge line.
  return _write(os.path.join(run_dir, "merge.nod.xml"), f"""<nodes>
  <node id="start" x="0" y="{ROAD_WIDTH}"/>
  <node id="end" x="{ROAD_LENGTH}" y="{ROAD_WIDTH}"/>
</nodes>
""")


def write_types(run_dir: str) -> str:
  return _write(os.path.join(run_dir, "merge.typ.xml"), f"""<types>
  <type id="highway" numLanes="{NUM_LANES}" speed="{SPEED_LIMIT}" \
width="{LANE_WIDTH}" priority="1"/>
</types>
""")


def write_edges(run_dir: str) -> str:
  return _write(os.path.join(run_dir, "merge.edg.xml"), f"""<edges>
  <edge id="{EDGE_ID}" from="start" to="end" type="highway"/>
</edges>
""")


def run_netconvert(run_dir: str, nodes: str, edges: str, types: str) -> str:
  """Builds ``merge.net.xml``; a RuntimeError carries netconvert's output."""
  net = os.path.join(run_dir, "merge.net.xml")
  command = [sumo_binary("netconvert"), "--node-files", nodes,
             "--edge-files", edges, "--type-files", types,
             "--output-file", net, "--offset.disable-normalization", "true",
             "--no-turnarounds", "true", "--xml-validation", "never",
             "--no-warnings", "true"]
  result = subprocess.run(command, capture_output=True, text=True,
                          timeout=_NETCONVERT_TIMEOUT_S,
                          env=child_environment(), check=False)
  if result.returncode != 0 or not os.path.exists(net):
    raise RuntimeError(f"netconvert failed ({result.returncode}): "
                       f"{result.stdout}{result.stderr}")
  return net


def _vtype_xml(vtype: VehicleType) -> str:
  return (f'  <vType id="{vtype.type_id}" length="{vtype.length}" '
          f'width="{vtype.width}" {vtype.attributes}/>\n')


def write_routes(run_dir: str, flows: bool,
                 car_flow_per_s: float = 0.3,
                 truck_flow_per_s: float = 0.08) -> str:
  """Vehicle types, the route and (``flows``) background flows.

  Agents and the traffic already on the road at the start of an episode are
  added per episode through TraCI (their lanes, positions and departure
  times come from the environment's seeded generator); the flows here keep
  traffic coming from x = 0 behind the agents, on random lanes, with SUMO's
  own (seeded) randomness. A flow's ``probability`` is per second (SUMO
  scales it to the step length): rates in vehicles per second.
  """
  text = "<routes>\n" + "".join(_vtype_xml(t) for t in VEHICLE_TYPES.values())
  text += f'  <route id="{ROUTE_ID}" edges="{EDGE_ID}"/>\n'
  if flows:
    for vtype, rate in ((CAR, car_flow_per_s), (TRUCK, truck_flow_per_s)):
      text += (f'  <flow id="{vtype.type_id}_flow" type="{vtype.type_id}" '
               f'route="{ROUTE_ID}" begin="{FLOW_BEGIN}" end="3600" '
               f'probability="{rate:.4f}" departLane="random" '
               'departPos="base" departSpeed="max"/>\n')
  return _write(os.path.join(run_dir, "merge.rou.xml"), text + "</routes>\n")


def write_config(run_dir: str, net: str, routes: str) -> str:
  """The ``.sumocfg``: step length, sublane model, no SUMO collision action.

  Collisions are detected geometrically by the environment; SUMO must neither
  remove nor teleport colliding or jammed vehicles (``collision.action none``,
  ``time-to-teleport -1``). A vehicle that cannot enter at its departure
  time is dropped rather than kept waiting (``max-depart-delay 0``), and
  does not hold up the others (``eager-insert``): a blocked background car
  never delays an agent or pops up later. Warnings (emergency braking of
  SUMO vehicles behind an agent that cuts in) are silenced.
  """
  q = saxutils.quoteattr
  return _write(os.path.join(run_dir, "merge.sumocfg"), f"""<configuration>
  <input>
    <net-file value={q(os.path.basename(net))}/>
    <route-files value={q(os.path.basename(routes))}/>
  </input>
  <time>
    <begin value="0"/>
    <step-length value="{STEP_LENGTH}"/>
  </time>
  <processing>
    <lateral-resolution value="{SUBLANE_WIDTH}"/>
    <collision.action value="none"/>
    <time-to-teleport value="-1"/>
    <eager-insert value="true"/>
    <max-depart-delay value="0"/>
  </processing>
  <report>
    <no-step-log value="true"/>
    <no-warnings value="true"/>
    <xml-validation value="never"/>
  </report>
</configuration>
""")


def build(run_dir: str, flows: bool = False) -> ScenarioFiles:
  """Writes every scenario file into `run_dir` (created if missing)."""
  os.makedirs(run_dir, exist_ok=True)
  net = run_netconvert(run_dir, write_nodes(run_dir), write_edges(run_dir),
                       write_types(run_dir))
  routes = write_routes(run_dir, flows)
  return ScenarioFiles(run_dir=run_dir, net=net, routes=routes,
                       config=write_config(run_dir, net, routes))


def sumo_arguments(files: ScenarioFiles, seed: Optional[int] = None) -> list:
  """Command-line arguments of sumo (without the binary) for `files`."""
  args = ["-c", files.config]
  if seed is not None:
    args += ["--seed", str(int(seed))]
  return args
