/**
 * Quickstart: builds a Debian and an RPM repository from the packages in samples/ into
 * ./out (or the folder given as argument) with mkrepo, and prints how to point apt and dnf
 * at them. Run with `deno task sample`.
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = resolve(Deno.args[0] ?? "out");
const debPool = join(out, "deb", "pool", "main");
const rpmPackages = join(out, "rpm", "Packages");
await Deno.mkdir(debPool, { recursive: true });
await Deno.mkdir(rpmPackages, { recursive: true });
for (const [from, to] of [["deb", debPool], ["rpm", rpmPackages]]) {
  for await (const e of Deno.readDir(join(root, "samples", from))) {
    if (e.isFile && /\.(deb|rpm)$/.test(e.name)) {
      const source = join(root, "samples", from, e.name);
      await Deno.copyFile(source, join(to, e.name));
      // The sample's own modification time: a second run then finds nothing changed.
      const { mtime } = await Deno.stat(source);
      if (mtime) await Deno.utime(join(to, e.name), mtime, mtime);
    }
  }
}

const code = await main([join(out, "deb"), join(out, "rpm")]);
if (code !== 0) Deno.exit(code);

console.log(`
Sample repositories written to ${out}

apt (Debian/Ubuntu), as root:
  echo "deb [trusted=yes] file:${
  join(out, "deb")
} all main" > /etc/apt/sources.list.d/mkrepo-sample.list
  apt-get update && apt-cache policy hello

dnf/yum (Fedora/RHEL), as root:
  printf '[mkrepo-sample]\\nname=mkrepo sample\\nbaseurl=file://${
  join(out, "rpm")
}\\ngpgcheck=0\\n' > /etc/yum.repos.d/mkrepo-sample.repo
  dnf makecache && dnf list --repo mkrepo-sample

Served over HTTP instead, use http://HOST/deb and http://HOST/rpm as the URLs.
To sign, with only npx (or \`deno task mkrepo ...\` with Deno); the private key goes to
${join(out, "signing.key")} (git ignores out/ and *.key):
  npx -y deno@2 task mkrepo keygen --name NAME --email EMAIL --out ${join(out, "signing")}
  MKREPO_SIGNING_KEY="$(cat ${
  join(out, "signing.key")
})" npx -y deno@2 task mkrepo --sign --public-key key.asc ${join(out, "deb")} ${join(out, "rpm")}
and use [signed-by=${join(out, "deb", "key.asc")}] instead of [trusted=yes].`);
