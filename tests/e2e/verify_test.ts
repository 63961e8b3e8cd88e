/**
 * `mkrepo verify` (the real CLI) passes on a good repository and fails, naming the problem, on
 * each kind of damage it claims to detect — every check is shown able to fail: an index
 * changed after Release, a missing by-hash copy, a deleted or resized package, same-size
 * altered package bytes (--deep only), a signature by another key, a repomd.xml record whose
 * checksum does not match, a missing primary file, a deleted rpm. Plus the --json shape.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixture } from "../_helpers/fixtures.ts";
import { type RepoBackend, withBackend } from "../_helpers/repo_backend.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { generateKey } from "../../src/sign/keygen.ts";
import { readAll } from "../../src/storage/storage.ts";

const GOOD = await generateKey({ name: "Verify Good", email: "good@example.com", type: "ed25519" });
const OTHER = await generateKey({
  name: "Verify Other",
  email: "other@example.com",
  type: "ed25519",
});

const KEYS = await Deno.makeTempDir({ prefix: "mkrepo-verify-keys-" });
const GOOD_ASC = join(KEYS, "good.asc");
const OTHER_ASC = join(KEYS, "other.asc");
await Deno.writeTextFile(GOOD_ASC, GOOD.publicKeyArmored);
await Deno.writeTextFile(OTHER_ASC, OTHER.publicKeyArmored);

const DEBS: [string, string][] = [
  ["pool/main/h/hello/hello_2.10-3_amd64.deb", "deb/hello_2.10-3_amd64.deb"],
  ["pool/main/n/netbase/netbase_6.4_all.deb", "deb/netbase_6.4_all.deb"],
];
const RPMS: [string, string][] = [
  ["Packages/Archer-3.4.5-6.x86_64.rpm", "rpm/Archer-3.4.5-6.x86_64.rpm"],
  ["Packages/tour-4-6.noarch.rpm", "rpm/tour-4-6.noarch.rpm"],
];
const HELLO = DEBS[0][0];
const ARCHER = RPMS[0][0];
const PACKAGES = "dists/all/main/binary-amd64/Packages";

interface VerifyJson {
  ok: boolean;
  version: string;
  repos: {
    path: string;
    kind?: string;
    ok: boolean;
    problems: string[];
    unreferenced: string[];
    checked: { indexFiles: number; packages: number; signatures: number };
  }[];
}

/** Runs `mkrepo verify --json [...args] PATH`; returns exit code and the parsed report. */
async function verify(repo: RepoBackend, args: string[] = []) {
  const r = await runCli(["verify", "--json", ...repo.args, ...args, repo.path]);
  let json: VerifyJson;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`verify printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, json, problems: json.repos[0]?.problems ?? [] };
}

async function publish(repo: RepoBackend, key = GOOD.privateKeyArmored, extra: string[] = []) {
  const r = await runCli(["--sign", ...extra, ...repo.args, repo.path], {
    env: { MKREPO_SIGNING_KEY: key },
  });
  assert.equal(r.code, 0, r.stderr);
}

async function bytes(repo: RepoBackend, key: string): Promise<Uint8Array> {
  return await readAll(repo.storage, key);
}

/** Writes `data` at `key` (the tampering). */
async function put(repo: RepoBackend, key: string, data: Uint8Array | string) {
  await repo.storage.write(key, data);
}

/** Same length, one byte changed at `at` (default: the middle). */
function flipped(data: Uint8Array, at = data.length >> 1): Uint8Array {
  const out = data.slice();
  out[at] ^= 0x55;
  return out;
}

/** Asserts verify fails (exit 1) with exactly one problem matching `pattern`. */
async function fails(repo: RepoBackend, pattern: RegExp, args: string[] = ["--key", GOOD_ASC]) {
  const r = await verify(repo, args);
  assert.equal(r.code, 1, `verify must fail: ${JSON.stringify(r.json)}`);
  assert.equal(r.json.ok, false);
  assert.equal(r.json.repos[0].ok, false);
  assert.ok(
    r.problems.some((p) => pattern.test(p)),
    `no problem matches ${pattern}: ${JSON.stringify(r.problems)}`,
  );
  return r.problems;
}

async function passes(repo: RepoBackend, args: string[] = ["--key", GOOD_ASC]) {
  const r = await verify(repo, args);
  assert.equal(r.code, 0, JSON.stringify(r.json));
  assert.deepEqual(r.problems, []);
  return r.json;
}

/**
 * Runs each case on a fresh copy of a good signed repository; the case damages it and asserts
 * what verify says.
 */
async function eachCase(
  backend: "fs" | "s3",
  kind: "deb" | "rpm",
  cases: Record<string, (repo: RepoBackend) => Promise<void>>,
) {
  // On disk the good repository is built once and copied (times kept) for each case.
  let template: string | undefined;
  try {
    for (const [name, run] of Object.entries(cases)) {
      await withBackend(backend, async (repo) => {
        if (template) {
          const cp = await new Deno.Command("cp", { args: ["-a", `${template}/.`, repo.path] })
            .output();
          assert.equal(cp.code, 0, new TextDecoder().decode(cp.stderr));
        } else {
          for (const [key, file] of kind === "deb" ? DEBS : RPMS) {
            await repo.put(key, fixture(file));
          }
          await publish(repo);
          if (backend === "fs") {
            template = await Deno.makeTempDir({ prefix: "mkrepo-verify-" });
            await new Deno.Command("cp", { args: ["-a", `${repo.path}/.`, template] }).output();
          }
        }
        try {
          await run(repo);
        } catch (err) {
          throw new Error(`${kind} ${backend} case "${name}": ${err}`, { cause: err });
        }
      });
    }
  } finally {
    if (template) await Deno.remove(template, { recursive: true });
  }
}

const DEB_CASES: Record<string, (repo: RepoBackend) => Promise<void>> = {
  "good repository, --json shape": async (repo) => {
    const json = await passes(repo);
    assert.equal(json.ok, true);
    assert.match(json.version, /^\d+\.\d+\.\d+/);
    assert.equal(json.repos.length, 1);
    const r = json.repos[0];
    assert.deepEqual(
      Object.keys(r).sort(),
      ["checked", "kind", "ok", "path", "problems", "unreferenced"],
    );
    assert.deepEqual(r.unreferenced, []);
    assert.equal(r.kind, "deb");
    assert.equal(r.path, repo.path);
    assert.equal(r.checked.packages, DEBS.length);
    assert.equal(r.checked.signatures, 2, "InRelease and Release.gpg");
    assert.ok(r.checked.indexFiles >= 3, JSON.stringify(r.checked));
    // Without a key, signatures are not checked; --deep reads every package.
    assert.equal((await passes(repo, [])).repos[0].checked.signatures, 0);
    await passes(repo, ["--deep", "--key", GOOD_ASC]);
    // The text output names the repository and what was checked.
    const text = await runCli(["verify", ...repo.args, "--key", GOOD_ASC, repo.path]);
    assert.equal(text.code, 0);
    assert.match(
      text.stderr,
      /OK, deb repository: \d+ index files, 2 packages \(sizes\), 2 signatures/,
    );
  },
  "Packages changed after Release (other size)": async (repo) => {
    const text = new TextDecoder().decode(await bytes(repo, PACKAGES));
    await put(repo, PACKAGES, text + "\n");
    await fails(
      repo,
      /^index dists\/all\/main\/binary-amd64\/Packages has \d+ bytes, expected \d+$/,
    );
  },
  "Packages changed after Release (same size)": async (repo) => {
    const text = new TextDecoder().decode(await bytes(repo, PACKAGES));
    await put(repo, PACKAGES, text.replace("Package: hello", "Package: jello"));
    await fails(
      repo,
      /^index dists\/all\/main\/binary-amd64\/Packages has (md5|sha\d+) \w+, expected/,
    );
  },
  "missing by-hash copy": async (repo) => {
    const copies = await repo.keys("dists/all/main/binary-amd64/by-hash/SHA256/");
    assert.ok(copies.length > 0);
    for (const k of copies) await repo.remove(k);
    await fails(
      repo,
      /^by-hash copy dists\/all\/main\/binary-amd64\/by-hash\/SHA256\/\w+ is missing$/,
    );
  },
  "deleted package": async (repo) => {
    await repo.remove(HELLO);
    const problems = await fails(repo, new RegExp(`^package ${HELLO} is missing$`));
    assert.equal(problems.length, 1, JSON.stringify(problems));
  },
  "package of another size": async (repo) => {
    await repo.put(HELLO, fixture("deb/hardlink_0.2.1_amd64.deb"));
    await fails(repo, new RegExp(`^package ${HELLO} has 12468 bytes, expected 53080$`));
  },
  "same-size altered package: only --deep sees it": async (repo) => {
    await put(repo, HELLO, flipped(await bytes(repo, HELLO)));
    await passes(repo);
    await fails(repo, new RegExp(`^package ${HELLO} has (md5|sha\\d+) \\w+, expected \\w+$`), [
      "--deep",
      "--key",
      GOOD_ASC,
    ]);
  },
  "verified with another key": async (repo) => {
    const problems = await fails(repo, /^dists\/all\/InRelease: signature does not verify/, [
      "--key",
      OTHER_ASC,
    ]);
    assert.ok(problems.some((p) => /^dists\/all\/Release\.gpg: signature does not verify/.test(p)));
  },
  "signed by another key": async (repo) => {
    await repo.put(
      "pool/main/l/liblz4/liblz4-1_1.9.4-1_amd64.deb",
      fixture("deb/liblz4-1_1.9.4-1_amd64.deb"),
    );
    // Another key than the recorded one is refused without --replace-key.
    await publish(repo, OTHER.privateKeyArmored, ["--replace-key"]);
    await passes(repo, ["--key", OTHER_ASC]);
    await fails(repo, /^dists\/all\/InRelease: signature does not verify/);
  },
  "Release edited after signing": async (repo) => {
    const release = new TextDecoder().decode(await bytes(repo, "dists/all/Release"));
    await put(repo, "dists/all/Release", release.replace(/^Label: .*$/m, "Label: Evil"));
    const problems = await fails(repo, /^dists\/all\/Release\.gpg: signature does not verify/);
    assert.ok(
      problems.includes("dists/all/Release differs from the text signed in dists/all/InRelease"),
    );
  },
  "InRelease and Release replaced by garbage: a problem, not a crash": async (repo) => {
    await put(repo, "dists/all/InRelease", "garbage\n");
    await put(repo, "dists/all/Release", "garbage\n");
    await fails(repo, /./);
  },
  "unsigned but a key is required": async (repo) => {
    await repo.remove("dists/all/InRelease");
    await repo.remove("dists/all/Release.gpg");
    await passes(repo, []);
    await fails(repo, /^dists\/all\/: not signed/);
  },
};

/** primary's checksum-named file, from repomd.xml. */
async function primaryKey(repo: RepoBackend): Promise<string> {
  const repomd = new TextDecoder().decode(await bytes(repo, "repodata/repomd.xml"));
  return /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1];
}

const RPM_CASES: Record<string, (repo: RepoBackend) => Promise<void>> = {
  "good repository, --json shape": async (repo) => {
    const json = await passes(repo, ["--deep", "--key", GOOD_ASC]);
    const r = json.repos[0];
    assert.equal(r.kind, "rpm");
    assert.equal(r.checked.packages, RPMS.length);
    assert.equal(r.checked.signatures, 1);
    assert.equal(r.checked.indexFiles, 3, "primary, filelists, other");
  },
  "record checksum mismatch (same-size primary)": async (repo) => {
    const key = await primaryKey(repo);
    await put(repo, key, flipped(await bytes(repo, key), 20));
    await fails(
      repo,
      /^record primary repodata\/\w+-primary\.xml\.gz has sha256 \w+, expected \w+$/,
    );
  },
  "missing primary": async (repo) => {
    await repo.remove(await primaryKey(repo));
    await fails(repo, /^record primary repodata\/\w+-primary\.xml\.gz is missing$/);
  },
  "deleted rpm": async (repo) => {
    await repo.remove(ARCHER);
    const problems = await fails(repo, new RegExp(`^package ${ARCHER} is missing$`));
    assert.equal(problems.length, 1, JSON.stringify(problems));
  },
  "same-size altered rpm: only --deep sees it": async (repo) => {
    await put(repo, ARCHER, flipped(await bytes(repo, ARCHER)));
    await passes(repo);
    await fails(repo, new RegExp(`^package ${ARCHER} has sha256 \\w+, expected \\w+$`), [
      "--deep",
      "--key",
      GOOD_ASC,
    ]);
  },
  "rpm of another size": async (repo) => {
    await repo.put(ARCHER, fixture("rpm/Rimmer-1.0.2-2.x86_64.rpm"));
    await fails(repo, new RegExp(`^package ${ARCHER} has 3096 bytes, expected 7737$`));
  },
  "verified with another key": async (repo) => {
    await fails(repo, /^repodata\/repomd\.xml\.asc: signature does not verify/, [
      "--key",
      OTHER_ASC,
    ]);
  },
  "repomd.xml edited after signing": async (repo) => {
    const repomd = new TextDecoder().decode(await bytes(repo, "repodata/repomd.xml"));
    await put(repo, "repodata/repomd.xml", repomd.replace(/<revision>\d+/, "<revision>1"));
    await fails(repo, /^repodata\/repomd\.xml\.asc: signature does not verify/);
  },
  "repomd.xml replaced by garbage: a problem, not a crash": async (repo) => {
    await put(repo, "repodata/repomd.xml", "<repomd garbage");
    await fails(repo, /^verification stopped: /, []);
  },
  "unsigned but a key is required": async (repo) => {
    await repo.remove("repodata/repomd.xml.asc");
    await passes(repo, []);
    await fails(repo, /^repodata\/repomd\.xml: not signed/);
  },
};

Deno.test("verify (fs) passes a good Debian repository and fails on each kind of damage", async () => {
  await eachCase("fs", "deb", DEB_CASES);
});

Deno.test("verify (fs) passes a good RPM repository and fails on each kind of damage", async () => {
  await eachCase("fs", "rpm", RPM_CASES);
});

Deno.test("verify (s3) reads the repository from S3: good, --deep, deleted package, missing primary", async () => {
  await eachCase("s3", "deb", {
    "altered then deleted package": async (repo) => {
      await passes(repo, ["--deep", "--key", GOOD_ASC]);
      const good = await bytes(repo, HELLO);
      await DEB_CASES["same-size altered package: only --deep sees it"](repo);
      await put(repo, HELLO, good);
      await passes(repo, ["--deep", "--key", GOOD_ASC]);
      await DEB_CASES["deleted package"](repo);
    },
  });
  await eachCase("s3", "rpm", { "missing primary": RPM_CASES["missing primary"] });
});

Deno.test("verify fails on a location that holds no repository", async () => {
  await withBackend("fs", async (repo) => {
    await repo.put("README", fixture("deb/hello_2.10-3.dsc"));
    const r = await verify(repo);
    assert.equal(r.code, 1);
    assert.deepEqual(r.problems, ["neither pool/ (Debian) nor Packages/ (RPM) found"]);
  });
});

globalThis.addEventListener("unload", () => Deno.removeSync(KEYS, { recursive: true }));
