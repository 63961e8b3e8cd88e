import assert from "node:assert/strict";
import { readControlFromTar } from "../../../src/reader/deb/control_tar.ts";
import { MkrepoError } from "../../../src/errors.ts";
import { CONTROL, streamOf, tarArchive } from "./_make_deb.ts";

Deno.test("readControlFromTar() rejects a tar cut inside the control body instead of hanging", async () => {
  const tar = tarArchive([["./control", CONTROL.repeat(40)]]);
  const cut = tar.subarray(0, 512 + 300); // header + part of the body
  const result = await Promise.race([
    readControlFromTar(streamOf(cut, 64), { key: "pool/x.deb", member: "control.tar" }).then(
      () => "resolved",
      (e) => e,
    ),
    new Promise((r) => setTimeout(() => r("hang"), 3000)),
  ]);
  assert.ok(result instanceof MkrepoError, `expected a MkrepoError, got ${result}`);
  assert.equal(result.key, "pool/x.deb");
  assert.match(result.message, /control\.tar/);
});
