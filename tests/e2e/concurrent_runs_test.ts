/**
 * Two CI jobs publishing to one repository at once: each uploads its package and starts
 * mkrepo (a real subprocess) at nearly the same moment. Whatever the interleaving, both
 * packages end up in the index and the repository verifies (signatures included), round after
 * round, on local disk and on S3 (moto). Plus interleavings forced at library level: a run that
 * publishes completely at chosen points of another run's publication.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { indexedKeys, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { generateKey } from "../../src/sign/keygen.ts";
import { createSigner } from "../../src/sign/signer.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { updateRepository } from "../../src/repo/update.ts";
import { type RunEvents, silentEvents } from "../../src/repo/run_types.ts";
import { createFsStorage } from "../../src/storage/fs_storage.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { hooked } from "../_helpers/hooked_storage.ts";

/** Backend, kind and rounds raced (RPM on local disk only, to keep the suite fast). */
const CONFIGS = [["fs", "deb", 20], ["s3", "deb", 20], ["fs", "rpm", 20]] as const;
const KEY = await generateKey({ name: "Race Test", email: "race@example.com", type: "ed25519" });
const ENV = { MKREPO_SIGNING_KEY: KEY.privateKeyArmored };

interface Kind {
  kind: "deb" | "rpm";
  /** Packages of the repository before the races. */
  seed: [string, string][];
  /** Key and fixture of the package job `who` uploads in round `round`. */
  upload(round: number, who: "a" | "b"): [string, string];
}

const KINDS: Record<"deb" | "rpm", Kind> = {
  deb: {
    kind: "deb",
    seed: [["pool/main/n/netbase/netbase_6.4_all.deb", "deb/netbase_6.4_all.deb"]],
    // Distinct pool keys of one .deb (same Package entry under other Filenames, as allowed).
    upload: (round, who) => [
      `pool/main/h/hello/hello_2.10-3+r${round}${who}_amd64.deb`,
      "deb/hello_2.10-3_amd64.deb",
    ],
  },
  rpm: {
    kind: "rpm",
    seed: [["Packages/Rimmer-1.0.2-2.x86_64.rpm", "rpm/Rimmer-1.0.2-2.x86_64.rpm"]],
    upload: (
      round,
      who,
    ) => [`Packages/r${round}${who}/tour-4-6.noarch.rpm`, "rpm/tour-4-6.noarch.rpm"],
  },
};

async function verified(storage: Storage, what: string): Promise<void> {
  const report = await verifyRepository(storage, "test", { publicKey: KEY.publicKeyArmored });
  assert.deepEqual(report.problems, [], `${what}: verify failed`);
  assert.ok(report.checked.signatures > 0, what);
}

function mkrepo(repo: RepoBackend) {
  return runCli(["--sign", ...repo.args, repo.path], { env: ENV });
}

async function race(backend: "fs" | "s3", k: Kind, rounds: number): Promise<void> {
  await withBackend(backend, async (repo) => {
    for (const [key, file] of k.seed) await repo.put(key, fixture(file));
    const first = await mkrepo(repo);
    assert.equal(first.code, 0, first.stderr);
    const expected = k.seed.map(([key]) => key);
    let retries = 0;
    let bothRetried = 0;
    for (let round = 1; round <= rounds; round++) {
      const job = async (who: "a" | "b") => {
        const [key, file] = k.upload(round, who);
        await repo.put(key, fixture(file));
        expected.push(key);
        return await mkrepo(repo);
      };
      const [a, b] = await Promise.all([job("a"), job("b")]);
      assert.equal(a.code, 0, `round ${round}, run A:\n${a.stderr}`);
      assert.equal(b.code, 0, `round ${round}, run B:\n${b.stderr}`);
      const retried = [a, b].map((r) => /Another run published/.test(r.stderr));
      retries += retried.filter(Boolean).length;
      if (retried[0] && retried[1]) bothRetried++;
      assert.deepEqual(
        await indexedKeys(repo.storage, k.kind),
        [...expected].sort(),
        `round ${round}`,
      );
      await verified(repo.storage, `round ${round}`);
    }
    console.log(
      `${k.kind} ${backend}: ${rounds} racing rounds passed, ${retries} runs lost a race and ` +
        `merged (${bothRetried} rounds where both did)`,
    );
  });
}

for (const [backend, kind, rounds] of CONFIGS) {
  Deno.test(`two mkrepo runs started together on a ${kind} repository (${backend}) both publish their package, ${rounds} rounds`, async () => {
    await race(backend, KINDS[kind], rounds);
  });
}

/** Where in run A's publication run B runs from listing to cleanup. */
const POINTS: {
  name: string;
  kinds: ("deb" | "rpm")[];
  at: (op: string, key: string) => boolean;
}[] = [
  { name: "right after A listed", kinds: ["deb", "rpm"], at: (op) => op === "listed" },
  {
    name: "after A wrote its first entry point",
    kinds: ["deb", "rpm"],
    at: (op, key) => op === "wrote" && /(InRelease|repomd\.xml)$/.test(key),
  },
  {
    name: "after A wrote its first index at its usual name",
    kinds: ["deb"],
    at: (op, key) => op === "wrote" && /binary-[^/]+\/Packages(\.gz|\.xz)?$/.test(key),
  },
  {
    name: "before A wrote its last entry point",
    kinds: ["deb", "rpm"],
    at: (op, key) => op === "writing" && /(Release\.gpg|repomd\.xml\.asc)$/.test(key),
  },
];

/**
 * Forced interleavings: run B uploads its package and publishes completely at a chosen point
 * of run A's publication (A uploaded its own package before it started). Whatever the point,
 * both runs succeed, A notices the race and starts over, and the repository ends with both
 * packages in every index, every index matching its entry point and every signature valid.
 */
for (const point of POINTS) {
  for (const kind of point.kinds) {
    Deno.test(`${kind}: a run publishing ${point.name} loses nothing of either run`, async () => {
      const k = KINDS[kind];
      const dir = await Deno.makeTempDir({ prefix: "mkrepo-race-" });
      try {
        const storage = createFsStorage(dir);
        const signer = await createSigner({ armoredKey: KEY.privateKeyArmored });
        const log: string[] = [];
        const update = (s: Storage, events: RunEvents = silentEvents) =>
          updateRepository(s, { path: dir, events, signer });
        await storage.write(k.seed[0][0], await Deno.readFile(fixture(k.seed[0][1])));
        await update(storage);
        const [keyA, fileA] = k.upload(1, "a");
        const [keyB, fileB] = k.upload(1, "b");
        await storage.write(keyA, await Deno.readFile(fixture(fileA)));
        const runA = hooked(storage, point.at, async () => {
          await storage.write(keyB, await Deno.readFile(fixture(fileB)));
          await update(storage); // run B, from listing to cleanup
        });
        await update(runA, { ...silentEvents, info: (m) => log.push(m) });
        assert.ok(runA.fired, "run B ran");
        assert.ok(log.some((m) => /Another run published/.test(m)), "A noticed the race");
        await verified(storage, "after both runs");
        assert.deepEqual(
          await indexedKeys(storage, kind),
          [k.seed[0][0], keyA, keyB].sort(),
        );
        const again = await update(storage);
        assert.equal(again.upToDate, true, "the result is whole");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}
