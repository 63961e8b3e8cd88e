/**
 * A publication that fails at any storage operation leaves exactly the previous repository
 * (or, once the entry points are written, exactly the new one), verified end to end; the next
 * run completes it. Library level: updateRepository() on a spyStorage over a real storage
 * (local disk, S3 on moto), signed, for Debian and RPM.
 *
 * For every k in 1..N (N = the operations of a whole run) the k-th operation fails with a
 * transient error before it reaches the storage. A second pass ("lost response") lets the k-th
 * write or remove happen and then reports a transient error, as when S3 applies a PUT but the
 * connection drops before the answer: the run must not leave a half-published repository then
 * either. On S3 the k are sampled to keep the test fast (failing: every fifth and the last three;
 * lost answer: the last four, the entry points and cleanup, where S3 etags come into play).
 *
 * A third pass ("killed") stops the run for good right after its k-th write or removal, as a
 * SIGKILL after a rename would: nothing later reaches the storage, not even a rollback. Plain-
 * path clients may then see a mix until the next run (docs/decisions.md says why no order of
 * separate objects avoids it), but by-hash clients see a whole generation, and the next run
 * must repair everything — a signature older than what it signs included — never calling the
 * repository "up to date" as it is.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { indexedKeys } from "../_helpers/repo_backend.ts";
import { type SpyStorage, spyStorage, transientError } from "../_helpers/spy_storage.ts";
import { MotoServer } from "../_helpers/moto.ts";
import { updateRepository } from "../../src/repo/update.ts";
import type { RunEvents } from "../../src/repo/run_types.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";
import { createS3Storage } from "../../src/storage/s3_storage.ts";
import { readAll, type Storage } from "../../src/storage/storage.ts";
import { generateKey } from "../../src/sign/keygen.ts";
import { createSigner, type Signer } from "../../src/sign/signer.ts";

const KEY = await generateKey({ name: "Fault Test", email: "faults@example.com", type: "ed25519" });
const SIGNER: Signer = await createSigner({ armoredKey: KEY.privateKeyArmored });

interface Scenario {
  kind: "deb" | "rpm";
  /** Packages of the published (old) generation: key → fixture. */
  old: [string, string][];
  /** Uploaded before the run. */
  add: [string, string];
  /** Deleted before the run. */
  remove: string;
  /** The entry point compared byte for byte (unsigned text, so signatures may differ). */
  entry: string;
}

const SCENARIOS: Scenario[] = [
  {
    kind: "deb",
    old: [
      ["pool/main/h/hello/hello_2.10-3_amd64.deb", "deb/hello_2.10-3_amd64.deb"],
      ["pool/main/n/netbase/netbase_6.4_all.deb", "deb/netbase_6.4_all.deb"],
      ["pool/main/h/hardlink/hardlink_0.2.1_amd64.deb", "deb/hardlink_0.2.1_amd64.deb"],
    ],
    add: ["pool/main/l/liblz4/liblz4-1_1.9.4-1_amd64.deb", "deb/liblz4-1_1.9.4-1_amd64.deb"],
    remove: "pool/main/h/hardlink/hardlink_0.2.1_amd64.deb",
    entry: "dists/all/Release",
  },
  {
    kind: "rpm",
    old: [
      ["Packages/Archer-3.4.5-6.x86_64.rpm", "rpm/Archer-3.4.5-6.x86_64.rpm"],
      ["Packages/Rimmer-1.0.2-2.x86_64.rpm", "rpm/Rimmer-1.0.2-2.x86_64.rpm"],
      ["Packages/tour-4-5.noarch.rpm", "rpm/tour-4-5.noarch.rpm"],
    ],
    add: ["Packages/tour-4-6.noarch.rpm", "rpm/tour-4-6.noarch.rpm"],
    remove: "Packages/Rimmer-1.0.2-2.x86_64.rpm",
    entry: "repodata/repomd.xml",
  },
];

const FIRST_DATE = new Date("2023-12-01T00:00:00Z");
const OLD_DATE = new Date("2024-01-01T00:00:00Z");
const NEW_DATE = new Date("2024-02-01T00:00:00Z");

/** Events that keep warnings (a cleanup failure after publication is one). */
function recorder(): RunEvents & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, detail() {}, warn: (m) => warnings.push(m), progress() {} };
}

function update(storage: Storage, date: Date, events: RunEvents = recorder()) {
  return updateRepository(storage, {
    path: "test",
    events,
    signer: SIGNER,
    publicKeyName: "key.asc",
    date,
  });
}

type Snapshot = Map<string, { data: Uint8Array; mtime: number }>;

async function snapshot(storage: Storage): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for await (const o of storage.list("")) {
    out.set(o.key, { data: await readAll(storage, o.key), mtime: o.mtime });
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Puts the storage back to `snap`, touching only what differs (packages keep their times).
 * `setTime`, on disk, gives rewritten files back their times too, as if the old generation had
 * been published long ago (on S3 they are "just written").
 */
async function restore(
  storage: Storage,
  snap: Snapshot,
  setTime?: (key: string, mtime: number) => Promise<void>,
): Promise<void> {
  for await (const o of storage.list("")) {
    if (!snap.has(o.key)) await storage.remove(o.key);
  }
  for (const [key, { data, mtime }] of snap) {
    const now = await readAll(storage, key).catch(() => undefined);
    if (!now || !sameBytes(now, data)) {
      await storage.write(key, data);
      await setTime?.(key, mtime);
    }
  }
}

/** What a generation looks like from outside: its entry point bytes and indexed packages. */
interface Generation {
  entry: Uint8Array;
  keys: string[];
}

async function generation(storage: Storage, s: Scenario): Promise<Generation> {
  return { entry: await readAll(storage, s.entry), keys: await indexedKeys(storage, s.kind) };
}

/**
 * Runs verify; `missing` is a package the user deleted, which the old generation still names
 * (its only tolerated problem).
 */
async function assertVerified(storage: Storage, what: string, missing?: string): Promise<void> {
  const report = await verifyRepository(storage, "test", { publicKey: KEY.publicKeyArmored });
  const problems = report.problems.filter((p) => p !== `package ${missing} is missing`);
  assert.deepEqual(problems, [], `${what}: verify failed:\n${problems.join("\n")}`);
  assert.ok(report.checked.signatures > 0 && report.checked.packages > 0, what);
}

/** Which generation the storage publishes: "old" or "new" (fails if neither, exactly). */
async function whichGeneration(
  storage: Storage,
  s: Scenario,
  old: Generation,
  next: Generation,
  what: string,
): Promise<"old" | "new"> {
  const now = await generation(storage, s);
  if (sameBytes(now.entry, old.entry)) {
    assert.deepEqual(now.keys, old.keys, `${what}: old entry point, other packages`);
    await assertVerified(storage, what, s.remove);
    return "old";
  }
  assert.ok(sameBytes(now.entry, next.entry), `${what}: ${s.entry} is neither old nor new`);
  assert.deepEqual(now.keys, next.keys, `${what}: new entry point, other packages`);
  await assertVerified(storage, what);
  return "new";
}

/**
 * A storage whose `nth` operation (counted as the spy counts them) happens and then reports a
 * transient failure, as a PUT or DELETE whose answer is lost. Lists, stats and reads fail before.
 */
function lostResponse(inner: Storage, nth: number): Storage {
  let seen = 0;
  const hit = () => ++seen === nth;
  return {
    async *list(prefix) {
      if (hit()) throw transientError();
      yield* inner.list(prefix);
    },
    stat: (key) => (hit() ? Promise.reject(transientError()) : inner.stat(key)),
    read: (key, range) => (hit() ? Promise.reject(transientError()) : inner.read(key, range)),
    async write(key, body, options) {
      const fail = hit();
      const r = await inner.write(key, body, options);
      if (fail) throw transientError(`injected: answer to the write of ${key} lost`);
      return r;
    },
    async remove(key) {
      const fail = hit();
      await inner.remove(key);
      if (fail) throw transientError(`injected: answer to the removal of ${key} lost`);
    },
    describe: (key) => inner.describe(key),
  };
}

/**
 * Dates the metadata (not the packages) an hour back, when the storage allows it (disk): a run
 * right after another in the same second waits for the next second before it is done (see
 * EntryCondition.distinctSecond), which this test need not pay for at every fault point.
 */
async function age(storage: Storage, setTime?: (key: string, mtime: number) => Promise<void>) {
  if (!setTime) return;
  for await (const o of storage.list("")) {
    if (!/^(pool|Packages)\//.test(o.key)) await setTime(o.key, o.mtime - 3_600_000);
  }
}

/**
 * A storage that stops for good right after its `nth` write or removal: every later operation
 * fails before it reaches the storage, as if the process had been killed there.
 */
function killedAfter(inner: Storage, nth: number): Storage {
  let changes = 0;
  let dead = false;
  const alive = () => {
    if (dead) throw new Error("killed: the process is gone");
  };
  return {
    async *list(prefix) {
      alive();
      yield* inner.list(prefix);
    },
    stat: async (key) => (alive(), await inner.stat(key)),
    read: async (key, range) => (alive(), await inner.read(key, range)),
    async write(key, body, options) {
      alive();
      const r = await inner.write(key, body, options);
      if (++changes === nth) dead = true;
      return r;
    },
    async remove(key) {
      alive();
      await inner.remove(key);
      if (++changes === nth) dead = true;
    },
    describe: (key) => inner.describe(key),
  };
}

/**
 * What a by-hash client needs right after a kill: the entry point's signature verifies, and
 * every index it names is there by hash (Debian) or by its checksum name (RPM).
 */
async function assertByHashWhole(storage: Storage, s: Scenario, what: string): Promise<void> {
  const { verifyClearSigned } = await import("../../src/sign/openpgp_verify.ts");
  const keys = new Set((await Array.fromAsync(storage.list(""))).map((o) => o.key));
  if (s.kind === "deb") {
    const signed = new TextDecoder().decode(await readAll(storage, "dists/all/InRelease"));
    const r = await verifyClearSigned(signed, KEY.publicKeyArmored);
    assert.ok(r.ok, `${what}: InRelease does not verify`);
    for (const m of r.signedText!.matchAll(/^ ([0-9a-f]{64}) +\d+ (\S+)$/gm)) {
      const dir = m[2].slice(0, m[2].lastIndexOf("/") + 1);
      const key = `dists/all/${dir}by-hash/SHA256/${m[1]}`;
      assert.ok(keys.has(key), `${what}: ${key} (named by InRelease) is missing`);
    }
  } else {
    const repomd = new TextDecoder().decode(await readAll(storage, s.entry));
    for (const m of repomd.matchAll(/<location href="([^"]+)"/g)) {
      assert.ok(keys.has(m[1]), `${what}: ${m[1]} (named by repomd.xml) is missing`);
    }
  }
}

/** A storage that records the method of every operation, in call order. */
function recordOps(inner: Storage, ops: string[]): Storage {
  return {
    async *list(prefix) {
      ops.push("list");
      yield* inner.list(prefix);
    },
    stat: (key) => (ops.push("stat"), inner.stat(key)),
    read: (key, range) => (ops.push("read"), inner.read(key, range)),
    write: (key, body, options) => (ops.push("write"), inner.write(key, body, options)),
    remove: (key) => (ops.push("remove"), inner.remove(key)),
    describe: (key) => inner.describe(key),
  };
}

/** The fault passes: failing before, answer lost after, process killed after. */
const MODES = ["before", "lost", "killed"] as const;
type Mode = typeof MODES[number];

interface Tally {
  points: number;
  old: number;
  new: number;
}

/** Runs the whole fault matrix of one scenario on one storage; returns what was tried. */
async function faultMatrix(
  storage: Storage,
  s: Scenario,
  sample: (k: number, n: number, mode: Mode) => boolean,
  setTime?: (key: string, mtime: number) => Promise<void>,
): Promise<{ n: number; before: Tally; lost: Tally; killed: Tally }> {
  // Two published generations, so the run also removes the files of the one before the last.
  for (const [i, [key, file]] of s.old.entries()) {
    await storage.write(key, await Deno.readFile(fixture(file)));
    if (i === s.old.length - 2) await update(storage, FIRST_DATE);
  }
  await update(storage, OLD_DATE);
  await assertVerified(storage, "old generation");
  const old = await generation(storage, s);

  await storage.write(s.add[0], await Deno.readFile(fixture(s.add[1])));
  await storage.remove(s.remove);
  // On disk, the old generation's metadata dates from an hour ago (not from this second).
  await age(storage, setTime);
  const before = await snapshot(storage);

  // A clean run: how many operations it takes, and what the new generation is.
  const ops: string[] = [];
  const counter: SpyStorage = spyStorage(recordOps(storage, ops));
  await update(counter, NEW_DATE);
  const n = counter.totalCalls;
  assert.equal(ops.length, n);
  const next = await generation(storage, s);
  await assertVerified(storage, "new generation");
  assert.notDeepEqual(next.keys, old.keys);
  assert.ok(next.keys.includes(s.add[0]) && !next.keys.includes(s.remove));

  const tally = {
    before: { points: 0, old: 0, new: 0 },
    lost: { points: 0, old: 0, new: 0 },
    killed: { points: 0, old: 0, new: 0 },
  };
  const changes = ops.filter((o) => o === "write" || o === "remove").length;
  for (const mode of MODES) {
    for (let k = 1; k <= (mode === "killed" ? changes : n); k++) {
      if (!sample(k, mode === "killed" ? changes : n, mode)) continue;
      // A lost answer matters only for operations that change something.
      if (mode === "lost" && ops[k - 1] !== "write" && ops[k - 1] !== "remove") continue;
      await restore(storage, before, setTime);
      if (mode === "killed") {
        const what = `${s.kind}, killed after change ${k}/${changes}`;
        // Killed during cleanup, the run still ends (what it could not remove is a warning).
        await update(killedAfter(storage, k), NEW_DATE).catch((err) =>
          assert.match(String(err), /killed/, what)
        );
        await assertByHashWhole(storage, s, what);
        tally.killed.points++;
        await age(storage, setTime);
        await update(storage, NEW_DATE);
        assert.equal(await whichGeneration(storage, s, old, next, `${what}, rerun`), "new");
        continue;
      }
      const what = `${s.kind}, ${mode === "before" ? "failing" : "lost answer of"} op ${k}/${n}`;
      const spy = spyStorage(storage, { faults: [{ nth: k, kind: "transient" }] });
      const runOps: string[] = []; // this run's operations (the order may vary a little)
      const faulty = recordOps(mode === "before" ? spy : lostResponse(storage, k), runOps);
      const events = recorder();
      let failed = false;
      try {
        await update(faulty, NEW_DATE, events);
      } catch (err) {
        failed = true;
        assert.match(String(err), /injected/, `${what}: unexpected error ${err}`);
      }
      const gen = await whichGeneration(storage, s, old, next, what);
      // A failed run leaves the repository as it was; a run that published the new generation
      // succeeds (a cleanup it could not finish is only a warning: the next run removes it).
      assert.equal(gen, failed ? "old" : "new", `${what}: failed=${failed} but ${gen} published`);
      if (!failed && runOps[k - 1] === "remove") {
        assert.ok(events.warnings.some((w) => /injected/.test(w)), `${what}: no warning`);
      }
      tally[mode].points++;
      tally[mode][gen]++;
      // The next run completes the publication (some time later, as far as the files tell).
      await age(storage, setTime);
      await update(storage, NEW_DATE);
      assert.equal(await whichGeneration(storage, s, old, next, `${what}, rerun`), "new");
    }
  }
  return { n, ...tally };
}

function report(name: string, r: { n: number; before: Tally; lost: Tally; killed: Tally }) {
  console.log(
    `${name}: ${r.n} operations per run; failing op: ${r.before.points} points tried ` +
      `(${r.before.old} left old, ${r.before.new} left new); lost answer: ${r.lost.points} ` +
      `points tried (${r.lost.old} old, ${r.lost.new} new); killed after a change: ` +
      `${r.killed.points} points, each repaired by the next run`,
  );
}

for (const s of SCENARIOS) {
  Deno.test(`a ${s.kind} publish on local disk failing at any operation leaves old or new, exactly`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "mkrepo-faults-" });
    try {
      const setTime = (key: string, mtime: number) =>
        Deno.utime(join(dir, ...key.split("/")), mtime / 1000, mtime / 1000);
      const r = await faultMatrix(createFsStorage(dir), s, () => true, setTime);
      report(`${s.kind} fs (every k)`, r);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`a ${s.kind} publish on S3 failing at any operation leaves old or new, exactly`, async () => {
    const server = await MotoServer.start();
    const s3 = await server.newBucket();
    const storage = createS3Storage({
      bucket: s3.bucket,
      prefix: "repo",
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      const r = await faultMatrix(
        storage,
        s,
        // Killed on S3: the last changes (entry points, signatures, cleanup).
        (k, n, mode) => mode === "before" ? k % 5 === 1 || k > n - 3 : k > n - 5,
      );
      report(`${s.kind} s3 (sampled)`, r);
    } finally {
      await storage.close?.();
      await server.stop();
    }
  });
}

/**
 * Run A fails after its InRelease is written, and before it rolls back, run B publishes on top
 * (B's conditional write matches A's InRelease). A's rollback must not put the old InRelease or
 * indexes back over B's generation.
 */
Deno.test("a failed run never rolls back over the generation another run published meanwhile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-faults-" });
  try {
    const storage = createFsStorage(dir);
    const s = SCENARIOS[0];
    for (const [key, file] of s.old) await storage.write(key, await Deno.readFile(fixture(file)));
    await update(storage, OLD_DATE);
    await storage.write(s.add[0], await Deno.readFile(fixture(s.add[1])));
    const other = "pool/main/l/liblz4/liblz4-1_1.9.4-1_arm64.deb";
    let bPublished = false;
    const racing: Storage = {
      ...lostResponse(storage, 0),
      async write(key, body, options) {
        if (key === "dists/all/Release" && !bPublished) {
          bPublished = true;
          await storage.write(
            other,
            await Deno.readFile(fixture("deb/liblz4-1_1.9.4-1_arm64.deb")),
          );
          await update(storage, NEW_DATE); // run B, complete
          throw transientError("injected: A's Release write fails after B published");
        }
        return await storage.write(key, body, options);
      },
    };
    await assert.rejects(update(racing, NEW_DATE), /injected/);
    assert.ok(bPublished);
    await assertVerified(storage, "after A's rollback");
    const keys = await indexedKeys(storage, "deb");
    assert.ok(keys.includes(s.add[0]), "A's package (B listed it) is published");
    const arm = new TextDecoder().decode(
      await readAll(storage, "dists/all/main/binary-arm64/Packages"),
    );
    assert.match(arm, /^Filename: pool\/main\/l\/liblz4\/liblz4-1_1.9.4-1_arm64.deb$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
