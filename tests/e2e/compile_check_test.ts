/**
 * What `deno task compile` (and its offline `--check`) builds from: the modules to `--include`
 * (Workers' and lazily imported ones) found in the module graph, on this project and on
 * throwaway projects in a temporary folder (a worker or a computed import in a form the script
 * cannot follow, nested workers, a lazily imported module's own workers, a missing worker, an
 * import that does not resolve), and the baked-in permissions against the README.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compileArgs,
  findIncludes,
  PERMISSIONS,
  ROOT,
  V8_FLAGS,
} from "../../scripts/compile_plan.ts";
import { cliCommand } from "../_helpers/run_cli.ts";
import { documentedPermissions } from "../../scripts/compile_check.ts";

/** Writes a throwaway project (deno.json, mod.ts importing src/a.ts, and `files`). */
async function project(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mkrepo-compile-check-" });
  await Deno.mkdir(join(root, "src"));
  await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(root, "mod.ts"), 'export * from "./src/a.ts";\n');
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, name, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, name), text);
  }
  return root + "/";
}

async function withProject(
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await project(files);
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** findIncludes() of a throwaway project holding `files` (its mod.ts imports src/a.ts). */
async function includesOf(files: Record<string, string>): Promise<string[]> {
  let found: string[] = [];
  await withProject(files, async (root) => {
    found = await findIncludes(root, "mod.ts");
  });
  return found;
}

const FOLLOWED = (module: string) =>
  `export const start = () => new Worker(new URL("${module}", import.meta.url), { type: "module" });\n`;

Deno.test("compile: mkrepo's lazily imported CLI and its worker module are found", async () => {
  // run.ts is reached only through main.ts's computed import, the worker only through run.ts.
  assert.deepEqual(await findIncludes(), ["src/cli/run.ts", "src/reader/hash_worker.ts"]);
});

const LAZY = (module: string) =>
  `export const load = () =>\n  import(\n    new URL("${module}", import.meta.url).href\n  );\n`;

Deno.test("compile: an import of a computed URL in another form fails, naming the file", async () => {
  await assert.rejects(
    includesOf({
      "src/a.ts":
        'export const load = () => import(new URL("./l.ts", import.meta.url).toString());\n',
      "src/l.ts": "export const x = 1;\n",
    }),
    /^Error: src\/a\.ts imports a computed URL in a form this script cannot follow/,
  );
});

Deno.test("compile: a Worker created from a variable fails, naming the file", async () => {
  await assert.rejects(
    includesOf({
      "src/a.ts": 'const url = new URL("./w.ts", import.meta.url);\n' +
        'export const start = () => new Worker(url, { type: "module" });\n',
      "src/w.ts": "postMessage(1);\n",
    }),
    /^Error: src\/a\.ts creates a Worker in a form this script cannot follow/,
  );
});

Deno.test("compile: one followed and one unfollowed Worker in a file still fails", async () => {
  await assert.rejects(
    includesOf({
      "src/a.ts": FOLLOWED("./w.ts") + 'export const other = () => new Worker("./w.ts");\n',
      "src/w.ts": "postMessage(1);\n",
    }),
    /src\/a\.ts creates a Worker in a form/,
  );
});

const FOUND: { label: string; files: Record<string, string>; includes: string[] }[] = [
  {
    label: "workers in the followed form, workers of workers too",
    files: {
      "src/a.ts": FOLLOWED("./w.ts"),
      "src/w.ts": FOLLOWED("./deep/v.ts"),
      "src/deep/v.ts": "postMessage(1);\n",
    },
    includes: ["src/deep/v.ts", "src/w.ts"],
  },
  {
    label: "lazily imported modules, and what they start in turn",
    files: {
      "src/a.ts": LAZY("./l.ts"),
      "src/l.ts": FOLLOWED("./w.ts"),
      "src/w.ts": "postMessage(1);\n",
    },
    includes: ["src/l.ts", "src/w.ts"],
  },
];
for (const { label, files, includes } of FOUND) {
  Deno.test(`compile: ${label} are found`, async () => {
    assert.deepEqual(await includesOf(files), includes);
  });
}

Deno.test("compile: a worker module that does not exist fails", async () => {
  await assert.rejects(
    includesOf({ "src/a.ts": FOLLOWED("./gone.ts") }),
    /src\/a\.ts creates a Worker from \.\/gone\.ts, which does not exist/,
  );
});

Deno.test("compile: an import that does not resolve fails", async () => {
  await assert.rejects(
    includesOf({ "src/a.ts": 'export * from "./missing.ts";\n' }),
    /module graph of mod\.ts does not resolve/,
  );
});

Deno.test("compile: the baked-in permissions are the README's narrow set", async () => {
  assert.deepEqual([...PERMISSIONS].sort(), (await documentedPermissions()).sort());
});

Deno.test("every way mkrepo is started runs with the same V8 flags", async () => {
  const flag = V8_FLAGS;
  assert.ok(compileArgs("x86_64-unknown-linux-gnu", []).includes(flag), "deno compile");
  assert.ok(cliCommand(["--version"]).includes(flag), "the tests' command line");
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  for (const task of ["mkrepo", "sample"]) {
    assert.ok(tasks[task].command.includes(` ${flag} `), `deno task ${task}`);
  }
  const guide = await Deno.readTextFile(`${ROOT}docs/guide.md`);
  const lines = guide.split("\n").filter((l) => /deno(@2)? run .*jsr:@mkrepo\/mkrepo/.test(l));
  assert.ok(lines.length >= 3, "the guide's install table");
  for (const line of lines.filter((l) => l.startsWith("|"))) {
    assert.ok(line.includes(flag), `guide: ${line}`);
  }
});
