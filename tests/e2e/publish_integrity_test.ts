/**
 * A publication never leaves a signature or an index that does not match its entry point, and
 * never says so when it does, on a real S3 server (moto):
 *
 * - the answer to the entry point's upload is lost after S3 stored it (a TCP proxy closes the
 *   connection instead of forwarding the response): the run settles it by reading back, goes
 *   on, and leaves a repository whose signatures verify;
 * - every write to the Debian entry points fails after the first InRelease upload went
 *   through: the run cannot put InRelease back, so it stops restoring what InRelease names and
 *   reports a partly new repository ("partial-publish", exit 3), whose InRelease and indexes
 *   still agree; the next run repairs the rest;
 * - a signature left stale by anything is repaired by the next run, not called up to date.
 */
import assert from "node:assert/strict";
import { fixture } from "../_helpers/fixtures.ts";
import { indexedKeys, type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { transientError } from "../_helpers/spy_storage.ts";
import { startTcpProxy } from "../_helpers/tcp_proxy.ts";
import { withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { updateRepository } from "../../src/repo/update.ts";
import type { RunEvents } from "../../src/repo/run_types.ts";
import { verifyRepository } from "../../src/repo/verify.ts";
import { createS3Storage } from "../../src/storage/s3_storage.ts";
import { readAll, type Storage } from "../../src/storage/storage.ts";
import { generateKey } from "../../src/sign/keygen.ts";
import { createSigner } from "../../src/sign/signer.ts";
import { verifyClearSigned } from "../../src/sign/openpgp_verify.ts";
import { MkrepoError } from "../../src/errors.ts";

const KEY = await generateKey({
  name: "Integrity",
  email: "integrity@example.com",
  type: "ed25519",
});
const SIGNER = await createSigner({ armoredKey: KEY.privateKeyArmored });

const KINDS = {
  deb: {
    old: ["pool/main/h/hello/hello_2.10-3_amd64.deb", "deb/hello_2.10-3_amd64.deb"],
    add: ["pool/main/n/netbase/netbase_6.4_all.deb", "deb/netbase_6.4_all.deb"],
    entry: "dists/all/InRelease",
    names: ["hello", "netbase"],
  },
  rpm: {
    old: ["Packages/Rimmer-1.0.2-2.x86_64.rpm", "rpm/Rimmer-1.0.2-2.x86_64.rpm"],
    add: ["Packages/tour-4-6.noarch.rpm", "rpm/tour-4-6.noarch.rpm"],
    entry: "repodata/repomd.xml",
    names: ["Rimmer", "tour"],
  },
} as const;

function events(log: string[] = []): RunEvents & { log: string[] } {
  return {
    log,
    info: (m) => log.push(m),
    detail() {},
    warn: (m) => log.push(`warning: ${m}`),
    progress() {},
  };
}

async function verified(storage: Storage, what: string): Promise<void> {
  const report = await verifyRepository(storage, "test", { publicKey: KEY.publicKeyArmored });
  assert.deepEqual(report.problems, [], `${what}: verify failed`);
  assert.ok(report.checked.signatures > 0, what);
}

/** The S3 repository of `repo` through another endpoint (a proxy in front of the same server). */
function viaEndpoint(repo: RepoBackend, endpoint: string): Storage {
  const flag = (name: string) => repo.args[repo.args.indexOf(name) + 1];
  const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(repo.path)!;
  return createS3Storage({
    bucket,
    prefix,
    endpoint,
    region: flag("--s3-region"),
    accessKeyId: flag("--s3-access-key-id"),
    secretAccessKey: flag("--s3-secret-access-key"),
  });
}

/** What real clients see: apt (by hash, and by usual name) or dnf with repo_gpgcheck. */
async function clientsSee(repo: RepoBackend, kind: "deb" | "rpm", expected: readonly string[]) {
  const keyFile = await Deno.makeTempFile({ suffix: ".asc" });
  try {
    await Deno.writeTextFile(keyFile, KEY.publicKeyArmored);
    if (kind === "rpm") {
      await withDnf(
        { repos: { baseurl: repo.url, repoGpgcheck: true, gpgkey: keyFile } },
        async (dnf) => {
          const m = await dnf.makecache();
          assert.ok(m.ok, `dnf makecache with repo_gpgcheck:\n${m.stderr}`);
          const names = (await dnf.repoquery()).map((p) => p.nevra.split("-")[0]).sort();
          assert.deepEqual(names, expected, "dnf with repo_gpgcheck");
        },
      );
      return;
    }
    for (const byHash of ["yes", "no"]) {
      await withApt(
        { sources: { uri: repo.url, suite: "all", signedBy: keyFile } },
        async (apt) => {
          const r = await apt.run(["-o", `Acquire::By-Hash=${byHash}`, "update"]);
          assert.ok(r.ok, `apt update (By-Hash=${byHash}):\n${r.stdout}\n${r.stderr}`);
          const names = [...new Set((await apt.listPackages()).map((p) => p.package))].sort();
          assert.deepEqual(names, expected, `apt (By-Hash=${byHash})`);
        },
      );
    }
  } finally {
    await Deno.remove(keyFile);
  }
}

for (const kind of ["deb", "rpm"] as const) {
  Deno.test(`${kind}: a lost answer to the entry point's upload is settled by reading it back`, async () => {
    const k = KINDS[kind];
    await withBackend("s3", async (repo) => {
      const storage = repo.storage;
      const port = Number(new URL(repo.url).port);
      await storage.write(k.old[0], await Deno.readFile(fixture(k.old[1])));
      await updateRepository(storage, { path: "test", events: events(), signer: SIGNER });
      await storage.write(k.add[0], await Deno.readFile(fixture(k.add[1])));

      const entry = new RegExp(`^PUT /[^ ?]*/${k.entry.replace(/[./]/g, "\\$&")}[? ]`);
      const proxy = startTcpProxy({ targetPort: port, loseAnswerTo: (head) => entry.test(head) });
      const log: string[] = [];
      const proxied = viaEndpoint(repo, proxy.url);
      try {
        const summary = await updateRepository(proxied, {
          path: "test",
          events: events(log),
          signer: SIGNER,
        });
        assert.equal(proxy.lostAnswers, 1, "the entry point's answer was lost once");
        assert.equal(summary.upToDate, false);
      } finally {
        await proxied.close?.();
        await proxy.close();
      }
      assert.ok(!log.some((m) => /Another run published/.test(m)), log.join("\n"));
      await verified(storage, "after the lost answer");
      assert.deepEqual(await indexedKeys(storage, kind), [k.old[0], k.add[0]].sort());
      const again = await updateRepository(storage, {
        path: "test",
        events: events(),
        signer: SIGNER,
      });
      assert.equal(again.upToDate, true, "a whole repository is up to date");
      await clientsSee(repo, kind, k.names);
    });
  });

  Deno.test(`${kind}: a signature that no longer matches is repaired by the next run`, async () => {
    const k = KINDS[kind];
    await withBackend("s3", async ({ storage }) => {
      await storage.write(k.old[0], await Deno.readFile(fixture(k.old[1])));
      await updateRepository(storage, { path: "test", events: events(), signer: SIGNER });
      // The state a crash between an entry point and its signature leaves: a signature by the
      // right key, of other content (the previous generation's).
      const sigKey = kind === "deb" ? "dists/all/Release.gpg" : "repodata/repomd.xml.asc";
      await storage.write(sigKey, await SIGNER.detachSign("the previous generation\n"));
      const r = await updateRepository(storage, { path: "test", events: events(), signer: SIGNER });
      assert.equal(r.upToDate, false, "a stale signature is not up to date");
      await verified(storage, "after the repair");
    });
  });
}

Deno.test("deb: entry points failing after the first InRelease upload leave a partly new repository, said so, and the next run repairs it", async () => {
  const k = KINDS.deb;
  await withBackend("s3", async (repo) => {
    const storage = repo.storage;
    await storage.write(k.old[0], await Deno.readFile(fixture(k.old[1])));
    await updateRepository(storage, { path: "test", events: events(), signer: SIGNER });
    await storage.write(k.add[0], await Deno.readFile(fixture(k.add[1])));
    let inReleaseWritten = false;
    const failing: Storage = {
      list: (p) => storage.list(p),
      stat: (key) => storage.stat(key),
      read: (key, range) => storage.read(key, range),
      describe: (key) => storage.describe(key),
      async write(key, body, options) {
        const entry = /^dists\/all\/(InRelease|Release)$/.test(key);
        if (entry && inReleaseWritten) throw transientError(`injected: 500 on ${key}`);
        const r = await storage.write(key, body, options);
        if (key === "dists/all/InRelease") inReleaseWritten = true;
        return r;
      },
      async remove(key) {
        if (/^dists\/all\/(InRelease|Release)$/.test(key) && inReleaseWritten) {
          throw transientError(`injected: 500 on ${key}`);
        }
        await storage.remove(key);
      },
    };
    const err = await updateRepository(failing, {
      path: "test",
      events: events(),
      signer: SIGNER,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof MkrepoError, String(err));
    assert.equal(err.code, "partial-publish", err.message);
    assert.match(err.message, /dists\/all\/InRelease/);
    assert.doesNotMatch(err.message, /\n/, "one line");

    // What is left: the new InRelease, and indexes at their usual names that match it (a
    // client reading InRelease, by hash or not, gets a whole generation).
    const signed = new TextDecoder().decode(await readAll(storage, "dists/all/InRelease"));
    const check = await verifyClearSigned(signed, KEY.publicKeyArmored);
    assert.ok(check.ok);
    for (const m of check.signedText!.matchAll(/^ ([0-9a-f]{64}) +(\d+) (\S+)$/gm)) {
      const bytes = await readAll(storage, `dists/all/${m[3]}`);
      assert.equal(bytes.length, Number(m[2]), `${m[3]} matches InRelease`);
    }
    assert.ok((await indexedKeys(storage, "deb")).includes(k.add[0]));
    await clientsSee(repo, "deb", k.names);

    await updateRepository(storage, { path: "test", events: events(), signer: SIGNER });
    await verified(storage, "after the repairing run");
  });
});
