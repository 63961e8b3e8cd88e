/** `mkrepo keygen --out`: writes a key pair, and never overwrites or half-writes one. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../_helpers/run_cli.ts";

const args = ["keygen", "--name", "Test", "--email", "test@example.com", "--out"];

Deno.test("mkrepo keygen --out onto an existing key file exits 2 naming it, with a hint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const prefix = join(dir, "signing");
    const first = await runCli([...args, prefix]);
    assert.equal(first.code, 0, first.stderr);
    const before = await Deno.readTextFile(`${prefix}.key`);

    const again = await runCli([...args, prefix]);
    assert.equal(again.code, 2, again.stderr);
    const [error, hint, ...rest] = again.stderr.trimEnd().split("\n");
    assert.equal(error, `error: Cannot write key file "${prefix}.key": it already exists`);
    assert.match(hint ?? "", /^hint: choose another --out PREFIX, or remove .*signing\.key/);
    assert.deepEqual(rest, []);
    assert.equal(await Deno.readTextFile(`${prefix}.key`), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mkrepo keygen --out with only the public file present writes no private key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const prefix = join(dir, "signing");
    await Deno.writeTextFile(`${prefix}.asc`, "mine");
    const r = await runCli([...args, prefix]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: Cannot write key file ".*signing\.asc": it already exists\n/);
    await assert.rejects(Deno.stat(`${prefix}.key`), Deno.errors.NotFound);
    assert.equal(await Deno.readTextFile(`${prefix}.asc`), "mine");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
