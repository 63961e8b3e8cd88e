/**
 * Incremental runs keep the whole record of every package they carry over: after an add, a
 * remove, and a takeover of createrepo_c's repository, our primary, filelists and other equal
 * what createrepo_c writes for the same rpm files from scratch — every element and attribute
 * (files, changelogs, description, license, dependencies, sizes, header range, `time file`),
 * in the same package order. Each run reads only the new package (the others come from the
 * published repodata), so a carried-over record that lost its file list or changelog shows.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readRepomd } from "../../src/index/rpm/repomd_xml.ts";
import { fixture } from "../_helpers/fixtures.ts";
import { assertSameMetadata } from "../_helpers/repodata_compare.ts";
import { createrepo } from "../_helpers/reference_tools.ts";
import { runMkrepo } from "../_helpers/run_cli.ts";

const TYPES = ["primary", "filelists", "other"] as const;

/** Rich packages: long changelogs, many files, every dependency kind, epochs, a signed one. */
const START = [
  "complex-package-2.3.4-5.el8.x86_64.rpm",
  "ngircd-22-2.fc22.x86_64.rpm",
  "python311-pytest-xprocess-0.23.0-2.4.noarch.rpm",
  "crypto-policies-20230614-2.git5f3458e.oe2403.noarch.rpm",
  "hello-2.0-1.x86_64-signed.rpm",
  "tour-4-5.noarch.rpm",
];

/** The uncompressed primary/filelists/other of a repository's repodata, by type. */
async function metadataOf(repodataParent: string): Promise<Record<string, string>> {
  const repomd = readRepomd(await Deno.readTextFile(join(repodataParent, "repodata/repomd.xml")));
  const out: Record<string, string> = {};
  for (const type of TYPES) {
    const record = repomd.records.find((r) => r.type === type);
    assert.ok(record, `no ${type} in ${repodataParent}/repodata/repomd.xml`);
    const bytes = await Deno.readFile(join(repodataParent, record.location.href));
    out[type] = new TextDecoder().decode(gunzipSync(bytes));
  }
  return out;
}

/** createrepo_c over the rpms now in `root` (into a separate folder), uncompressed. */
async function reference(root: string): Promise<Record<string, string>> {
  const out = await Deno.makeTempDir({ prefix: "mkrepo-incr-ref-" });
  try {
    await createrepo(root, { simpleMdFilenames: true, extraArgs: ["-o", out] });
    return await metadataOf(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/** Runs mkrepo on `root`; asserts it read exactly `read` packages; compares with createrepo_c. */
async function runAndCompare(root: string, what: string, read: number, packages: number) {
  const r = await runMkrepo({ path: root, args: [] });
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  assert.equal(r.summary.kind, "rpm");
  assert.equal(r.summary.upToDate, false, what);
  assert.equal(r.summary.read, read, `${what}: packages read (the others are carried over)`);
  assert.equal(r.summary.packages, packages, what);
  const ours = await metadataOf(root);
  const theirs = await reference(root);
  for (const type of TYPES) {
    assertSameMetadata(`${what}: ${type}`, ours[type], theirs[type], { keepFileTime: true });
  }
  // the comparison covers what the bug drops: carried-over file lists and changelogs
  assert.ok((ours.filelists.match(/<file[ >]/g) ?? []).length > 50, `${what}: filelists`);
  assert.ok((ours.other.match(/<changelog /g) ?? []).length > 5, `${what}: changelogs`);
}

async function put(root: string, name: string) {
  await mkdir(join(root, "Packages"), { recursive: true });
  await copyFile(fixture(`rpm/${name}`), join(root, "Packages", name));
}

Deno.test("after an add and a remove, carried-over rpm records equal createrepo_c's in full", async () => {
  const root = await Deno.makeTempDir({ prefix: "mkrepo-incr-" });
  try {
    for (const n of START) await put(root, n);
    await runAndCompare(root, "first run", START.length, START.length);
    await put(root, "tour-4-6.noarch.rpm");
    await runAndCompare(root, "add", 1, START.length + 1);
    await Deno.remove(join(root, "Packages", "hello-2.0-1.x86_64-signed.rpm"));
    await runAndCompare(root, "remove", 0, START.length);
    await Deno.remove(join(root, "Packages", "tour-4-5.noarch.rpm"));
    await put(root, "Archer-3.4.5-6.x86_64.rpm");
    await runAndCompare(root, "add and remove", 1, START.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("after taking over createrepo_c's repository, carried-over records equal createrepo_c's in full", async () => {
  const root = await Deno.makeTempDir({ prefix: "mkrepo-incr-takeover-" });
  try {
    for (const n of START) await put(root, n);
    // createrepo_c's own repository (default file names), as a user would have it
    await createrepo(root);
    await put(root, "Rimmer-1.0.2-2.x86_64.rpm");
    await runAndCompare(root, "takeover and add", 1, START.length + 1);
    await Deno.remove(join(root, "Packages", "ngircd-22-2.fc22.x86_64.rpm"));
    await runAndCompare(root, "then remove", 0, START.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
