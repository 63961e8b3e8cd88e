/**
 * `--dry-run` reads and plans everything, prints the plan, and writes nothing: on a fresh
 * repository, and on a signed, published one whose packages or flags changed (added, removed,
 * unsigned, another key, other hashes/architectures/compression, a malformed package with
 * --force). Every object's bytes, size, mtime and ETag, and the set of objects, are compared
 * before and after each dry run, on disk and on S3.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { BACKENDS, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { makeKeyPairs, runCli, runMkrepo } from "../_helpers/run_cli.ts";
import { readAll } from "../../src/storage/storage.ts";

async function listAll(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listAll(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

for (const kind of ["deb", "rpm"] as const) {
  Deno.test(`mkrepo --dry-run on a ${kind} repository writes nothing and prints the plan`, async () => {
    const root = await Deno.makeTempDir({ prefix: "mkrepo-dry-" });
    try {
      const [dir, file] = kind === "deb"
        ? ["pool/main", "deb/hello_2.10-3_amd64.deb"]
        : ["Packages", "rpm/tour-4-6.noarch.rpm"];
      await Deno.mkdir(join(root, dir), { recursive: true });
      await Deno.copyFile(fixture(file), join(root, dir, file.split("/")[1]));
      const before = await listAll(root);
      const r = await runCli(["--dry-run", "--json", root]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout).repos[0];
      assert.equal(summary.dryRun, true);
      assert.equal(summary.read, 1);
      assert.ok(summary.written.length > 0);
      for (const key of summary.written) assert.match(r.stderr, new RegExp(`would write ${key}`));
      assert.deepEqual(await listAll(root), before);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

/** Every object of the repository: key → size, mtime, ETag and the SHA-256 of its bytes. */
async function snapshot(repo: RepoBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of repo.storage.list("")) {
    const bytes = await readAll(repo.storage, o.key);
    const sha = createHash("sha256").update(bytes).digest("hex");
    out[o.key] = `${bytes.length} bytes, sha256 ${sha}, mtime ${o.mtime}, etag ${o.etag}`;
  }
  return out;
}

/** Packages of each kind: the published set, one to add, one to remove, a malformed one. */
const SETS = {
  deb: {
    pool: "pool/main/",
    published: ["hello_2.10-3_amd64.deb", "netbase_6.4_all.deb", "liblz4-1_1.9.4-1_arm64.deb"],
    added: "hardlink_0.2.1_amd64.deb",
    malformed: "truncated-1000-hello_2.10-3_amd64.deb",
    signatures: ["dists/all/InRelease", "dists/all/Release.gpg"],
    otherFlags: ["--deb-hashes", "md5,sha1,sha256,sha512", "--deb-architectures", "amd64,riscv64"],
  },
  rpm: {
    pool: "Packages/",
    published: ["tour-4-5.noarch.rpm", "Archer-3.4.5-6.x86_64.rpm", "hello-1.0-1.i386.rpm"],
    added: "tour-4-6.noarch.rpm",
    malformed: "truncated-1000-Archer-3.4.5-6.x86_64.rpm",
    signatures: ["repodata/repomd.xml.asc"],
    otherFlags: ["--rpm-compression", "xz"],
  },
} as const;

for (const backend of BACKENDS) {
  for (const kind of ["deb", "rpm"] as const) {
    Deno.test(`mkrepo --dry-run (${backend}) on a signed, changed ${kind} repository changes no byte`, async () => {
      const set = SETS[kind];
      const keys = await Deno.makeTempDir({ prefix: "mkrepo-dry-keys-" });
      try {
        await makeKeyPairs(keys, ["a", "b"]);
        const signA = ["--sign-key-file", `${keys}/a.key`, "--public-key", "key.asc"];
        const signB = ["--sign-key-file", `${keys}/b.key`, "--public-key", "key.asc"];
        await withBackend(backend, async (repo) => {
          for (const n of set.published) await repo.put(set.pool + n, fixture(`${kind}/${n}`));
          const first = await runMkrepo(repo, signA);
          assert.equal(first.code, 0, first.stderr);
          for (const key of [...set.signatures, "key.asc"]) {
            assert.ok(await repo.readText(key), `${key} published`);
          }

          /** A dry run with `flags` that must plan `expect` and leave every object as it was. */
          const dryRun = async (
            what: string,
            flags: string[],
            expect: { added?: number; removed?: number; writes?: string[]; deletes?: string[] },
          ) => {
            const before = await snapshot(repo);
            const r = await runMkrepo(repo, ["--dry-run", ...flags]);
            assert.equal(r.code, 0, `${what}: ${r.stderr}`);
            const s = r.summary;
            assert.equal(s.dryRun, true, what);
            assert.equal(s.upToDate, false, `${what}: nothing planned, the case tests nothing`);
            assert.ok(s.written.length > 0, `${what}: no write planned`);
            if (expect.added !== undefined) assert.equal(s.added, expect.added, what);
            if (expect.removed !== undefined) assert.equal(s.removed, expect.removed, what);
            for (const key of expect.writes ?? []) {
              assert.ok(s.written.includes(key), `${what}: writing ${key} not planned`);
            }
            for (const key of expect.deletes ?? []) {
              assert.ok(s.deleted.includes(key), `${what}: deleting ${key} not planned`);
            }
            const after = await snapshot(repo);
            assert.deepEqual(after, before, `${what}: the dry run changed the repository`);
          };

          // unchanged packages, unsigned on purpose: the signatures would be deleted
          await dryRun("unsign", ["--no-sign"], { deletes: [...set.signatures] });
          // another key: a new public key, and new signatures (they no longer verify with it)
          await dryRun("other key", [...signB, "--replace-key"], {
            writes: ["key.asc", ...set.signatures],
          });
          // other index flags (hashes, architectures, compression)
          await dryRun("other flags", [...signA, ...set.otherFlags], {});
          await repo.put(set.pool + set.added, fixture(`${kind}/${set.added}`));
          await dryRun("add", signA, { added: 1 });
          await repo.remove(set.pool + set.published[0]);
          await dryRun("add and remove", signA, { added: 1, removed: 1 });
          await dryRun("add, remove, unsign, other flags", ["--no-sign", ...set.otherFlags], {
            added: 1,
            removed: 1,
            deletes: [...set.signatures],
          });
          await repo.put(set.pool + set.malformed, fixture(`bad/${set.malformed}`));
          await dryRun("malformed with --force", ["--force", ...signB, "--replace-key"], {
            added: 1,
            removed: 1,
          });

          // the plan was real: the same run without --dry-run does change the repository
          const before = await snapshot(repo);
          const real = await runMkrepo(repo, ["--force", "--no-sign", ...set.otherFlags]);
          assert.equal(real.code, 0, real.stderr);
          const after = await snapshot(repo);
          assert.notDeepEqual(after, before);
          for (const key of set.signatures) assert.equal(after[key], undefined, key);
        });
      } finally {
        await Deno.remove(keys, { recursive: true });
      }
    });
  }
}
