import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../../_helpers/run_cli.ts";
import { spawnText } from "../../_helpers/spawn.ts";

// Found by scripts/fuzz.ts: a control.tar that ends inside the control file's body. modern-tar
// fails its writable side but never ends that body stream, so the read hung (no error, no key).
Deno.test("readDeb() rejects a control.tar cut inside the control body instead of hanging", async () => {
  const r = await spawnText(Deno.execPath(), [
    "run",
    "-A",
    "--config",
    PROJECT_ROOT + "deno.json",
    PROJECT_ROOT + "scripts/fuzz.ts",
    "--seed",
    "1",
    "--case",
    "32",
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /tar-truncate\s+1\s+0\s+1\s+0/); // one case: malformed, no failure
});
