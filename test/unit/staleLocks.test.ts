import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removeEmptyCheckpointAttributes } from "../../scripts/staleLocks";

describe("what a killed pulumi command leaves in the file backend", () => {
  it("removes the stack's empty checkpoint attributes file, and leaves written ones and other stacks' alone", () => {
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-backend-"));
    try {
      const stacks = path.join(backend, ".pulumi", "stacks", "nats-global");
      fs.mkdirSync(stacks, { recursive: true });
      const file = (name: string, text: string) => {
        fs.writeFileSync(path.join(stacks, name), text);
        return path.join(stacks, name);
      };
      const empty = file("e2e.json.attrs", "");
      file("e2e.json", "{}");
      const other = file("other.json.attrs", "");
      expect(removeEmptyCheckpointAttributes(`file://${backend}`, "e2e")).toEqual([empty]);
      expect(fs.existsSync(empty)).toBe(false);
      expect(fs.existsSync(other)).toBe(true);
      file("e2e.json.attrs", '{"user.content-type":"application/json"}');
      expect(removeEmptyCheckpointAttributes(`file://${backend}`, "e2e")).toEqual([]);
    } finally {
      fs.rmSync(backend, { recursive: true, force: true });
    }
  });
});
