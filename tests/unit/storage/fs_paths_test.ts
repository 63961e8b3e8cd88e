/**
 * Local paths as Windows and macOS users give them (drive letters, file URLs, spaces, NFD
 * names), and the keys FsStorage accepts: nothing may reach outside the repository root.
 * Tests marked `ignore` state the expected behaviour of known bugs (see the comment on each).
 */
import assert from "node:assert/strict";
import { join, resolve, sep } from "node:path";
import { parseLocation } from "../../../src/storage/location.ts";
import { FsStorage } from "../../../src/storage/fs_storage.ts";
import { MkrepoError } from "../../../src/errors.ts";

const WINDOWS = Deno.build.os === "windows";
const CWD = WINDOWS ? "D:\\work" : "/work";
/** "café" as macOS (HFS+, Finder, many tools) writes it: e + combining acute accent. */
const CAFE_NFD = "cafe\u0301";
/** "café" with the precomposed é, as most Linux and Windows tools write it. */
const CAFE_NFC = "caf\u00e9";

function fsRoot(arg: string, cwd = CWD): string {
  const loc = parseLocation(arg, cwd);
  assert.equal(loc.kind, "fs");
  assert.equal(loc.display, arg);
  return loc.kind === "fs" ? loc.root : "";
}

Deno.test("parseLocation() takes a Windows drive path as absolute on Windows only", () => {
  // On POSIX systems "C:\repo" is an ordinary relative file name: kept as one name.
  assert.equal(fsRoot("C:\\repo"), WINDOWS ? "C:\\repo" : `${CWD}/C:\\repo`);
  assert.equal(fsRoot("C:/repo"), WINDOWS ? "C:\\repo" : `${CWD}/C:/repo`);
});

Deno.test("parseLocation() turns file:///C:/repo into the drive path on Windows", () => {
  assert.equal(fsRoot("file:///C:/repo"), WINDOWS ? "C:\\repo" : "/C:/repo");
  assert.equal(fsRoot("FILE:///C:/repo/"), WINDOWS ? "C:\\repo" : "/C:/repo");
});

Deno.test("parseLocation() resolves relative paths against cwd", () => {
  assert.equal(fsRoot("./repo"), `${CWD}${sep}repo`);
  assert.equal(fsRoot("repo"), `${CWD}${sep}repo`);
  assert.equal(fsRoot("repo/"), `${CWD}${sep}repo`);
  assert.equal(fsRoot("a/b/../c"), `${CWD}${sep}a${sep}c`);
  assert.equal(fsRoot("."), CWD);
  assert.equal(fsRoot("repo", "."), resolve("repo"));
  assert.equal(fsRoot("~/repo"), `${CWD}${sep}~${sep}repo`, "no shell expansion of ~");
});

Deno.test("parseLocation() keeps spaces and unicode in local paths", () => {
  assert.equal(fsRoot("my repo/ünï côdé"), `${CWD}${sep}my repo${sep}ünï côdé`);
  assert.equal(fsRoot("деб/репо"), `${CWD}${sep}деб${sep}репо`);
  if (!WINDOWS) {
    assert.equal(fsRoot("/srv/my repo"), "/srv/my repo");
    assert.equal(fsRoot("file:///srv/my%20repo/%C3%BC"), "/srv/my repo/ü");
    assert.equal(fsRoot("file://localhost/srv/repo"), "/srv/repo");
  }
});

Deno.test("parseLocation() keeps NFD and NFC names as given (no normalisation)", () => {
  assert.equal(fsRoot(CAFE_NFD), `${CWD}${sep}${CAFE_NFD}`);
  assert.equal(fsRoot(CAFE_NFC), `${CWD}${sep}${CAFE_NFC}`);
  assert.notEqual(fsRoot(CAFE_NFD), fsRoot(CAFE_NFC));
  if (!WINDOWS) {
    assert.equal(fsRoot("file:///srv/cafe%CC%81"), `/srv/${CAFE_NFD}`);
    assert.equal(fsRoot("file:///srv/caf%C3%A9"), `/srv/${CAFE_NFC}`);
  }
});

// A file URL with a host (or an encoded "/") is a usage error, not a crash.
Deno.test({
  name: "parseLocation() rejects file URLs it cannot map with a usage error",
  fn() {
    for (const arg of ["file://server/share/repo", "file:///srv/a%2Fb"]) {
      assert.throws(
        () => parseLocation(arg, CWD),
        (e) => e instanceof MkrepoError && e.code === "usage" && e.key === arg,
      );
    }
  },
});

// `mkrepo ""` (an unset shell variable) must not update the current folder.
Deno.test({
  name: "parseLocation() rejects an empty PATH",
  fn() {
    assert.throws(
      () => parseLocation("", CWD),
      (e) => e instanceof MkrepoError && e.code === "usage",
    );
  },
});

/** A temporary folder holding `root/` (the storage) and `outside/` (must stay untouched). */
async function withRoot(
  fn: (s: FsStorage, dirs: { root: string; outside: string }) => Promise<void>,
): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "mkrepo-fs-paths-" });
  const root = join(base, "root");
  const outside = join(base, "outside");
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, "secret"), "secret");
  try {
    await fn(new FsStorage(root), { root, outside });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (e) => e.name)).sort();
}

async function readText(s: FsStorage, key: string): Promise<string> {
  return await new Response(await s.read(key)).text();
}

const BAD_KEYS = [
  "..",
  "../secret",
  "../outside/secret",
  "pool/../../outside/secret",
  "pool/main/..",
  "/etc/passwd",
  "//server/share",
  "..\\outside\\secret",
  "pool\\main\\x.deb",
  "\\\\server\\share\\x",
  "C:",
  "C:x",
  "C:/Windows/x",
  "c:\\Windows\\x",
  "",
  "a//b",
  "./a",
  "a/./b",
  "a/",
  "a\0b",
];

Deno.test("FsStorage refuses keys that are not plain relative paths", async () => {
  await withRoot(async (s, { root, outside }) => {
    const isBadKey = (k: string) => (e: unknown) =>
      e instanceof MkrepoError && e.code === "storage" && e.key === k &&
      /not a plain relative path/.test(e.message);
    for (const k of BAD_KEYS) {
      await assert.rejects(s.write(k, "x"), isBadKey(k), `write ${JSON.stringify(k)}`);
      await assert.rejects(s.read(k), isBadKey(k), `read ${JSON.stringify(k)}`);
      await assert.rejects(s.stat(k), isBadKey(k), `stat ${JSON.stringify(k)}`);
      await assert.rejects(s.remove(k), isBadKey(k), `remove ${JSON.stringify(k)}`);
    }
    await assert.rejects(Array.fromAsync(s.list("../")), MkrepoError);
    assert.deepEqual(await names(root), []);
    assert.deepEqual(await names(outside), ["secret"]);
    assert.equal(await Deno.readTextFile(join(outside, "secret")), "secret");
  });
});

Deno.test({
  name: "FsStorage refuses to write through a symlinked folder leading outside the root",
  ignore: WINDOWS, // symlinks need privileges there
  async fn() {
    await withRoot(async (s, { root, outside }) => {
      await Deno.symlink(outside, join(root, "dists"));
      await assert.rejects(
        s.write("dists/Release", "x"),
        (e) =>
          e instanceof MkrepoError && e.code === "storage" && e.key === "dists/Release" &&
          /outside the repository/.test(e.message),
      );
      await assert.rejects(s.write("dists/stable/Release", "x"), MkrepoError);
      assert.ok(!(await names(outside)).includes("Release"));
      assert.equal(await Deno.readTextFile(join(outside, "secret")), "secret");
    });
  },
});

// write("link/sub/x"), with link → outside, must refuse before creating outside/sub.
Deno.test({
  name: "FsStorage creates no folder outside the root when it refuses a write",
  async fn() {
    await withRoot(async (s, { root, outside }) => {
      await Deno.symlink(outside, join(root, "dists"));
      await assert.rejects(s.write("dists/stable/main/Release", "x"), MkrepoError);
      assert.deepEqual(await names(outside), ["secret"]);
    });
  },
});

// remove("link/secret"), with link → outside, must not delete outside/secret.
Deno.test({
  name: "FsStorage refuses to remove through a symlinked folder leading outside the root",
  async fn() {
    await withRoot(async (s, { root, outside }) => {
      await Deno.symlink(outside, join(root, "link"));
      await assert.rejects(s.remove("link/secret"), MkrepoError);
      assert.deepEqual(await names(outside), ["secret"]);
    });
  },
});

Deno.test({
  name: "FsStorage replaces a symlinked file instead of writing into its target",
  ignore: WINDOWS,
  async fn() {
    await withRoot(async (s, { root, outside }) => {
      await Deno.mkdir(join(root, "dists"));
      await Deno.symlink(join(outside, "secret"), join(root, "dists", "Release"));
      await s.write("dists/Release", "new");
      assert.equal(await Deno.readTextFile(join(outside, "secret")), "secret");
      assert.equal((await Deno.lstat(join(root, "dists", "Release"))).isSymlink, false);
      assert.equal(await readText(s, "dists/Release"), "new");
    });
  },
});

const ODD_KEYS = [
  "pool/main/with space_1.0_all.deb",
  "pool/main/libstdc++6_1.0+dfsg-1_amd64.deb",
  "pool/main/percent%20literal_1.0%7E1_all.deb",
  "pool/main/100%_1.0_all.deb",
  "pool/main/tilde~hash#amp&eq=_1.0_all.deb",
  "pool/main/quote'bracket[1]_1.0_all.deb",
  "pool/main/ünïcödé_1.0_all.deb",
  "pool/main/日本語_1.0_all.deb",
  "pool/main/emoji_📦_1.0_all.deb",
  `pool/nfc/${CAFE_NFC}_1.0_all.deb`,
  `pool/nfd/${CAFE_NFD}_1.0_all.deb`,
  `pool/${CAFE_NFD} dir/x_1.0_all.deb`,
];

Deno.test("FsStorage round-trips keys with spaces, +, %, and NFC/NFD unicode", async () => {
  await withRoot(async (s) => {
    for (const k of ODD_KEYS) await s.write(k, `content of ${k}`);
    const listed = (await Array.fromAsync(s.list("pool/"), (o) => o.key)).sort();
    assert.deepEqual(listed, [...ODD_KEYS].sort(), "list returns the keys byte for byte");
    for (const k of ODD_KEYS) {
      assert.equal(await readText(s, k), `content of ${k}`);
      assert.equal((await s.stat(k))?.size, new TextEncoder().encode(`content of ${k}`).length);
    }
    const nfd = await Array.fromAsync(s.list("pool/nfd/"), (o) => o.key);
    assert.deepEqual(nfd, [`pool/nfd/${CAFE_NFD}_1.0_all.deb`]);
    assert.deepEqual(
      await Array.fromAsync(s.list(`pool/${CAFE_NFD} dir/`), (o) => o.key),
      [`pool/${CAFE_NFD} dir/x_1.0_all.deb`],
    );
    for (const k of ODD_KEYS) await s.remove(k);
    assert.deepEqual(await Array.fromAsync(s.list("pool/")), []);
  });
});

// A POSIX file named "a\b.deb" cannot be a key (it would be a path on Windows): list() skips it
// instead of yielding a key every other method refuses.
Deno.test({
  name: "FsStorage lists only keys it can read",
  async fn() {
    await withRoot(async (s, { root }) => {
      await Deno.mkdir(join(root, "pool"));
      await Deno.writeTextFile(join(root, "pool", "a\\b.deb"), "x");
      for await (const o of s.list("")) await readText(s, o.key);
    });
  },
});
