import { TopologySpec } from "../../components/model/topology";

/** The seed's super-cluster: west, central and east with 3 servers each, and a stretch cluster over them. */
export function seedTopology(): TopologySpec {
  return {
    regions: [{ name: "west" }, { name: "central" }, { name: "east" }],
    stretch: { regions: ["west", "central", "east"] },
  };
}
