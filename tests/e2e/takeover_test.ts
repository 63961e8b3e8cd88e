/**
 * Taking over existing repositories: one written by the original tarantool/mkrepo (Packages
 * with FileTime, MD5Sum spelling, Release without SHA512 or by-hash) and one written by
 * createrepo_c (with a comps group record that must be kept). mkrepo reuses their records
 * without reading any package, and clients still install from the result.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fixture, REFERENCE } from "../_helpers/fixtures.ts";
import { runCli } from "../_helpers/run_cli.ts";
import { parseDeb822, withApt } from "../_helpers/apt.ts";
import { withDnf } from "../_helpers/dnf.ts";
import { createrepo } from "../_helpers/reference_tools.ts";
import { BACKENDS, withBackend } from "../_helpers/repo_backend.ts";

function hex(algorithm: string, data: Uint8Array): string {
  return createHash(algorithm).update(data).digest("hex");
}

/** Writes a Debian repository the way tarantool/mkrepo's debrepo.py does. */
async function writeOriginalDebRepo(root: string, names: string[]): Promise<void> {
  const reference = new Map(
    parseDeb822(await Deno.readTextFile(REFERENCE + "Packages")).map((
      p,
    ) => [p.Filename.slice(4), p]),
  );
  const byArch = new Map<string, string[]>();
  for (const name of names) {
    const key = `pool/main/${name}`;
    await Deno.mkdir(join(root, "pool/main"), { recursive: true });
    await Deno.copyFile(fixture(`deb/${name}`), join(root, key));
    const data = await Deno.readFile(join(root, key));
    const mtime = (await Deno.stat(join(root, key))).mtime!.getTime() / 1000;
    const ref = reference.get(name)!;
    const control = Object.entries(ref).filter(([k]) =>
      !["Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512"].includes(k)
    );
    const fields = [
      ...control,
      ["Size", String(data.length)],
      ["MD5Sum", hex("md5", data)],
      ["SHA1", hex("sha1", data)],
      ["SHA256", hex("sha256", data)],
      ["Filename", key],
      ["FileTime", String(mtime)],
    ];
    const arch = name.replace(/\.deb$/, "").split("_").at(-1)!; // the original took it from the name
    const para = fields.map(([k, v]) => `${k}: ${v}`).join("\n");
    byArch.set(arch, [...(byArch.get(arch) ?? []), para]);
  }
  const release: string[] = [];
  const sums: Record<string, string[]> = { MD5Sum: [], SHA1: [], SHA256: [] };
  for (const [arch, paras] of byArch) {
    const path = `main/binary-${arch}/Packages`;
    const data = new TextEncoder().encode(paras.join("\n\n") + "\n");
    await Deno.mkdir(join(root, "dists/all/main", `binary-${arch}`), { recursive: true });
    await Deno.writeFile(join(root, "dists/all", path), data);
    sums.MD5Sum.push(` ${hex("md5", data)} ${data.length} ${path}`);
    sums.SHA1.push(` ${hex("sha1", data)} ${data.length} ${path}`);
    sums.SHA256.push(` ${hex("sha256", data)} ${data.length} ${path}`);
  }
  release.push(
    "Origin: Repo generator",
    "Label: Repo generator",
    "Codename: all",
    `Date: ${new Date().toUTCString()}`,
    `Architectures: ${[...byArch.keys()].join(" ")}`,
    "Components: main",
    "Description: Repo generator",
  );
  for (const [field, lines] of Object.entries(sums)) release.push(`${field}:`, ...lines);
  await Deno.writeTextFile(join(root, "dists/all/Release"), release.join("\n") + "\n");
}

Deno.test("mkrepo takes over a Debian repository written by the original mkrepo without reading packages", async () => {
  const root = await Deno.makeTempDir({ prefix: "mkrepo-original-" });
  try {
    await Deno.chmod(root, 0o755);
    const names = ["hello_2.10-3_amd64.deb", "netbase_6.4_all.deb", "hardlink_0.2.1_amd64.deb"];
    await writeOriginalDebRepo(root, names);
    let r = await runCli(["--json", root]);
    assert.equal(r.code, 0, r.stderr);
    let s = JSON.parse(r.stdout).repos[0];
    assert.equal(s.read, 0, "the original's FileTime/Size let every package be reused");
    assert.equal(s.packages, 3);
    assert.ok(s.written.includes("dists/all/Release"));

    await Deno.copyFile(
      fixture("deb/liblz4-1_1.9.4-1_amd64.deb"),
      join(root, "pool/main/liblz4-1_1.9.4-1_amd64.deb"),
    );
    r = await runCli(["--json", root]);
    s = JSON.parse(r.stdout).repos[0];
    assert.equal(s.read, 1);
    await withApt({
      sources: { uri: `file://${root}`, suite: "all", components: ["main"], trusted: true },
    }, async (apt) => {
      const u = await apt.update();
      assert.ok(u.ok, u.stdout + u.stderr);
      assert.deepEqual(u.warnings, []);
      const names = [...new Set((await apt.listPackages()).map((p) => p.package))].sort();
      assert.deepEqual(names, ["hardlink", "hello", "liblz4-1", "netbase"]);
      await apt.download("netbase");
    });
    assert.equal((await runCli(["verify", "--deep", root])).code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("mkrepo takes over createrepo_c's repodata without reading packages and keeps its group record", async () => {
  const root = await Deno.makeTempDir({ prefix: "mkrepo-createrepo-" });
  try {
    await Deno.chmod(root, 0o755);
    await Deno.mkdir(join(root, "Packages"));
    for (const n of ["tour-4-5.noarch.rpm", "Archer-3.4.5-6.x86_64.rpm"]) {
      await Deno.copyFile(fixture(`rpm/${n}`), join(root, "Packages", n));
    }
    const comps = join(root, "comps.xml");
    await Deno.writeTextFile(
      comps,
      `<?xml version="1.0" encoding="UTF-8"?>\n<comps><group><id>tools</id><name>Tools</name>` +
        `<packagelist><packagereq type="default">tour</packagereq></packagelist></group></comps>\n`,
    );
    const c = await createrepo(root, { extraArgs: ["--groupfile", comps] });
    assert.equal(c.code, 0, c.stderr);
    await Deno.remove(comps);

    let r = await runCli(["--json", root]);
    assert.equal(r.code, 0, r.stderr);
    let s = JSON.parse(r.stdout).repos[0];
    assert.equal(s.read, 0);
    await Deno.copyFile(
      fixture("rpm/tour-4-6.noarch.rpm"),
      join(root, "Packages/tour-4-6.noarch.rpm"),
    );
    r = await runCli(["--json", root]);
    s = JSON.parse(r.stdout).repos[0];
    assert.equal(s.read, 1);
    assert.equal(s.packages, 3);
    const repomd = await Deno.readTextFile(join(root, "repodata/repomd.xml"));
    assert.match(repomd, /<data type="group">/);
    await withDnf({ repos: { baseurl: `file://${root}` } }, async (dnf) => {
      const m = await dnf.makecache();
      assert.ok(m.ok, m.stdout + m.stderr);
      assert.equal((await dnf.repoquery()).length, 3);
      const groups = await dnf.run(["group", "list", "--ids"]);
      assert.match(groups.stdout, /\(tools\)/);
    });
    assert.equal((await runCli(["verify", "--deep", root])).code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

for (const kind of ["deb", "rpm"] as const) {
  Deno.test(`mkrepo (s3) on an unchanged ${kind} bucket issues no GET of any package (deb: nor of any index)`, async () => {
    await withBackend(BACKENDS[1], async (repo) => {
      const files = kind === "deb"
        ? ["hello_2.10-3_amd64.deb", "netbase_6.4_all.deb"].map((
          n,
        ) => [`pool/main/${n}`, fixture(`deb/${n}`)])
        : ["tour-4-6.noarch.rpm", "Rimmer-1.0.2-2.x86_64.rpm"].map((
          n,
        ) => [`Packages/${n}`, fixture(`rpm/${n}`)]);
      for (const [key, file] of files) await repo.put(key, file);
      let r = await runCli(["--json", ...repo.args, repo.path]);
      assert.equal(r.code, 0, r.stderr);
      const before = repo.requests!().length;
      r = await runCli(["--json", ...repo.args, repo.path]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout).repos[0];
      assert.equal(s.bytesRead, 0);
      const requests = repo.requests!().slice(before);
      const packageGets = requests.filter((q) =>
        q.method === "GET" && /\/(pool|Packages)\//.test(q.path)
      );
      assert.deepEqual(packageGets, []);
      if (kind === "deb") {
        // mkrepo-inputs.json matches: the indexes are checked by their etags (MD5), never read.
        const indexGets = requests.filter((q) =>
          q.method === "GET" && /\/dists\/.*\/(Packages|Sources)/.test(q.path)
        );
        assert.deepEqual(indexGets, []);
      }
      assert.equal(requests.filter((q) => q.method === "PUT" || q.method === "DELETE").length, 0);
      console.log(
        `unchanged ${kind} run: ${requests.length} S3 requests (${
          requests.map((q) => q.method).join(" ")
        })`,
      );
    });
  });
}
