/**
 * A large Packages index is written as xz in two blocks compressed at once (encodeIndex's
 * default above XZ_SPLIT_ABOVE); the real apt, offered only that form, reads every entry of
 * both blocks.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeIndex, XZ_SPLIT_ABOVE } from "../../src/index/compress.ts";
import { releaseText } from "../../src/index/deb/release_file.ts";
import { withApt } from "../_helpers/apt.ts";
import { REFERENCE } from "../_helpers/fixtures.ts";
import { run } from "../_helpers/reference_tools.ts";
import { withStaticServer } from "../_helpers/http_server.ts";

Deno.test("apt reads every entry of a two-block Packages.xz written by encodeIndex()", async () => {
  const paragraphs = (await Deno.readTextFile(REFERENCE + "Packages")).split("\n\n")
    .filter((p) => p.trim() !== "");
  // Distinct names, enough of them to pass the split threshold.
  const entries: string[] = [];
  for (let size = 0, i = 0; size <= XZ_SPLIT_ABOVE; i++) {
    const p = paragraphs[i % paragraphs.length].replace(/^Package: .*$/m, `Package: pkg${i}`);
    entries.push(p + "\n\n");
    size += p.length + 2;
  }
  const { open, outputs } = await encodeIndex(entries, ["xz"], ["md5", "sha1", "sha256", "sha512"]);
  const xz = outputs.get("xz")!;

  const dir = await Deno.makeTempDir({ prefix: "mkrepo-xz-blocks-" });
  try {
    const path = "main/binary-amd64/Packages.xz";
    await Deno.mkdir(join(dir, "dists/stable/main/binary-amd64"), { recursive: true });
    await Deno.writeFile(join(dir, "dists/stable", path), xz.data);
    const list = await run("xz", ["--list", "--robot", join(dir, "dists/stable", path)]);
    assert.match(list.stdout, /^file\t1\t2\t/m, "one stream of two blocks");
    const release = releaseText({
      origin: "o",
      label: "l",
      suite: "stable",
      codename: "stable",
      date: new Date(),
      architectures: ["amd64"],
      components: ["main"],
      description: "d",
    }, [
      // The open form is listed but not there, as in Debian's archive: apt must take the xz.
      { path: "main/binary-amd64/Packages", checksums: open },
      { path, checksums: xz.checksums },
    ]);
    await Deno.writeTextFile(join(dir, "dists/stable/Release"), release);

    await withStaticServer(dir, (server) =>
      withApt({
        sources: { uri: server.url, suite: "stable", trusted: true },
      }, async (apt) => {
        const update = await apt.update();
        assert.ok(update.ok, update.stdout + update.stderr);
        // No by-hash copy here: apt falls back to the file's own name.
        const fetched = server.requests.filter((r) => r.status === 200).map((r) => r.path);
        assert.ok(fetched.includes(`/dists/stable/${path}`), fetched.join(" "));
        const names = (await apt.listPackages()).map((p) => p.package);
        assert.equal(names.length, entries.length);
        assert.equal(names.at(-1), `pkg${entries.length - 1}`);
        assert.notEqual(await apt.policy(`pkg${entries.length - 1}`), undefined);
      }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
