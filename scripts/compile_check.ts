/**
 * `deno task compile --check`: everything `deno task compile` does short of downloading the
 * Deno runtime ("denort") of each target from dl.deno.land, offline, for CI on every push:
 *
 * - the baked-in permissions are the narrow set the README documents, and they are enough:
 *   mkrepo run from source with exactly them (`--no-prompt`, hash workers included) passes the
 *   smoke test (scripts/smoke.ts), `--version` stamp included;
 * - for each target, the real `deno compile` command (same permissions, `--include`s, target)
 *   runs with this Deno as a stand-in base binary (DENORT_BIN): it resolves the module graph,
 *   fetches the target's npm prebuilts from the npm registry and embeds everything, which must
 *   list the target's native xz encoder. Linux (ELF) outputs are written and must hold each
 *   worker module's source; for macOS and Windows the stand-in cannot be rewritten into a
 *   Mach-O or PE file, so those stop at "Writing binary bytes", after the embedding.
 *
 * A stand-in binary runs as plain Deno, not mkrepo: it is deleted, never shipped.
 * @module
 */
import { Buffer } from "node:buffer";
import { commandRunner, smoke } from "./smoke.ts";
import { compileArgs, PERMISSIONS, PROGRAM, ROOT, V8_FLAGS } from "./compile_plan.ts";

/** The @napi-rs/lzma prebuilt package each target needs (the native xz encoder). */
const XZ_PREBUILT: Record<string, string> = {
  "x86_64-unknown-linux-gnu": "lzma-linux-x64-gnu",
  "aarch64-unknown-linux-gnu": "lzma-linux-arm64-gnu",
  "x86_64-apple-darwin": "lzma-darwin-x64",
  "aarch64-apple-darwin": "lzma-darwin-arm64",
  "x86_64-pc-windows-msvc": "lzma-win32-x64-msvc",
};

/** The narrow permission set documented in README.md ("Deno permissions"). */
export async function documentedPermissions(root = ROOT): Promise<string[]> {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const line = /^`(--allow-[^`]+)`/m.exec(readme);
  if (!line) throw new Error("README.md: no line with the narrow permission set (`--allow-...`)");
  return line[1].split(/\s+/);
}

/** Lines of `deno compile`'s error output worth showing. */
function tail(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim() && !/^\s+\d+: /.test(l)).slice(-4)
    .join(" | ");
}

/** Checks one target with a stand-in base binary; returns the problems found and how far it got. */
async function dryCompile(
  target: string,
  includes: readonly string[],
): Promise<{ problems: string[]; reached: string }> {
  const dir = await Deno.makeTempDir({ prefix: "mkrepo-compile-check-" });
  try {
    const output = `${dir}/mkrepo-${target}`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, includes, output),
      cwd: ROOT,
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    const problems: string[] = [];
    if (!out.success && !/Writing binary bytes/.test(stderr)) {
      return {
        problems: [`deno compile stopped before writing the binary: ${tail(stderr)}`],
        reached: "",
      };
    }
    if (!/Embedded Files/.test(stderr)) problems.push("deno compile listed no embedded files");
    if (!stderr.includes(XZ_PREBUILT[target])) {
      problems.push(`the native xz encoder ${XZ_PREBUILT[target]} is not embedded`);
    }
    if (out.success) {
      const binary = Buffer.from(await Deno.readFile(output));
      for (const p of includes) {
        if (binary.indexOf(await Deno.readFile(`${ROOT}${p}`)) < 0) {
          problems.push(`the worker module ${p} is not embedded`);
        }
      }
      // deno compile keeps the flags one by one, not as the comma-separated argument.
      for (const flag of V8_FLAGS.replace("--v8-flags=", "").split(",")) {
        if (binary.indexOf(flag) < 0) problems.push(`the V8 flag ${flag} is not embedded`);
      }
    }
    return {
      problems,
      reached: out.success
        ? "binary written, worker source and V8 flags found in it"
        : "stopped at writing the Mach-O/PE binary over the stand-in, after embedding",
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs the offline check for `targets` with the worker modules `includes`; prints one line
 * per step and returns whether everything passed.
 */
export async function checkCompile(
  targets: readonly string[],
  includes: readonly string[],
): Promise<boolean> {
  let ok = true;
  const line = (pass: boolean, what: string, detail: string) => {
    ok &&= pass;
    console.error(
      `compile --check: ${pass ? "PASS" : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`,
    );
  };

  const documented = await documentedPermissions();
  const same = documented.length === PERMISSIONS.length &&
    PERMISSIONS.every((p) => documented.includes(p));
  line(same, "permissions match README.md", same ? "" : `README says ${documented.join(" ")}`);

  const work = await Deno.makeTempDir({ prefix: "mkrepo-compile-smoke-" });
  try {
    const fromSource = [Deno.execPath(), "run", "--no-prompt", "--cached-only", ...PERMISSIONS];
    const checks = await smoke(commandRunner([...fromSource, `${ROOT}${PROGRAM}`]), work);
    const failed = checks.filter((c) => !c.ok);
    line(
      failed.length === 0,
      "smoke test from source with exactly these permissions",
      failed.length
        ? failed.map((c) => `${c.name}: ${c.detail}`).join("; ")
        : `${checks.length} checks`,
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }

  for (const target of targets) {
    const { problems, reached } = await dryCompile(target, includes);
    line(
      problems.length === 0,
      `deno compile --target ${target} with a stand-in runtime`,
      problems.join("; ") ||
        `${XZ_PREBUILT[target]} embedded, --include ${includes.join(" ")}; ${reached}`,
    );
  }
  return ok;
}
