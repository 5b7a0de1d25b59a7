import { RegionArgs } from "../../components/platforms/registry";
import { SuperCluster } from "../../components/superCluster";
import { recordingMocks } from "../support/mocks";

const REGIONS = [
  { name: "west", gcp: "us-west1" },
  { name: "central", gcp: "us-central1" },
  { name: "east", gcp: "us-east4" },
];
const IMAGE = "projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20251201";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

describe("gcp input checked at preview", () => {
  const mocks = recordingMocks();
  it("refuses a region without its GCP region name and a zone of another region, naming the fields", () => {
    const regions: RegionArgs[] = REGIONS.map((r) => ({
      name: r.name,
      platform: "gcp",
      zones: ["a", "b", "c"].map((z) => `${r.gcp}-${z}`),
      gcp: { region: r.gcp, image: IMAGE, host: `{server}.${r.name}.nats.example.com` },
    }));
    delete (regions[0].gcp as Partial<Inputs>).region;
    regions[1].zones = ["us-central1-a", "europe-west4-b", "us-central1-c"];
    expect(() => new SuperCluster("nats", { regions, security: { mode: "operator" } })).toThrow(
      /regions\[0\]\.gcp\.region:[\s\S]*regions\[1\]\.zones\[1\]:/,
    );
    expect(mocks.registered.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
  });

  it("refuses an image that is not pinned (missing, or a family that moves), naming the command that finds one", () => {
    const regions: RegionArgs[] = REGIONS.map((r) => ({
      name: r.name,
      platform: "gcp",
      zones: ["a", "b", "c"].map((z) => `${r.gcp}-${z}`),
      gcp: { region: r.gcp, image: IMAGE, host: `{server}.${r.name}.nats.example.com` },
    }));
    delete (regions[0].gcp as Partial<Inputs>).image;
    regions[1].gcp!.image = "ubuntu-os-cloud/ubuntu-2404-lts-amd64";
    expect(() => new SuperCluster("nats", { regions, security: { mode: "operator" } })).toThrow(
      /regions\[0\]\.gcp\.image: pin the servers' image[\s\S]*gcloud compute images describe-from-family[\s\S]*regions\[1\]\.gcp\.image: "ubuntu-os-cloud\/ubuntu-2404-lts-amd64" is not an image such as/,
    );
    expect(mocks.registered.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
  });

  it("refuses region names that would make names, tags or labels GCP refuses, before anything is created", () => {
    const regions: RegionArgs[] = REGIONS.map((r) => ({
      name: r.name,
      platform: "gcp",
      zones: ["a", "b", "c"].map((z) => `${r.gcp}-${z}`),
      gcp: { region: r.gcp, image: IMAGE, host: `{server}.${r.name}.nats.example.com` },
    }));
    regions[0].name = "West";
    regions[2].name = "east-production-primary-site";
    expect(() => new SuperCluster("nats", { regions, security: { mode: "operator" } })).toThrow(
      new RegExp(
        [
          String.raw`regions\[0\]\.name: would make the GCP resource name "nats-West-gcp-West-1-data" and \d+ more like it, which is not a lowercase letter`,
          String.raw`regions\[0\]\.name: would make the GCP label value "West-1" and 2 more like it, which is not lowercase letters`,
          String.raw`regions\[2\]\.name: would make the GCP resource name "nats-east-production-primary-site-gcp-east-production-primary-site-1-data" and \d+ more like it, which is \d+ characters, over 55`,
        ].join("[\\s\\S]*"),
      ),
    );
    expect(mocks.registered.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
  });
});
