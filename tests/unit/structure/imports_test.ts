/**
 * The pipeline's arrows, read from the source files' import lines (each stage's mod.ts says the
 * same in words): `index/` never imports `reader/` or `storage/`; `reader/` never imports `storage/` (not even its types: readers take
 * a byte source, util/byte_source.ts); `record/` imports only ground (`util/`, `errors.ts`) and
 * itself; `plan/` imports neither the stages after it nor `sign/`; ground imports no stage; and there is no import cycle in `src/` (dynamic `import()`
 * counts, type-only imports do not: they vanish at run time). No file under `src/reader/` opens
 * a file (`Deno.open`, `Deno.openSync`): what a reader reads is given to it.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../../src/", import.meta.url));

/** Every .ts file under src/, relative to it ("reader/deb/ar.ts"). */
async function sources(dir = SRC): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await sources(path));
    else if (e.name.endsWith(".ts")) out.push(relative(SRC, path));
  }
  return out.sort();
}

/**
 * The src/ files a module imports at run time (static and dynamic, not `import type`), or with
 * `types` also those it imports types from.
 */
export function importsOf(file: string, text: string, types = false): string[] {
  const specs: string[] = [];
  const notType = types ? "" : "(?!type\\s)";
  const patterns = [
    new RegExp(`^\\s*import\\s+${notType}(?:[^'"]*?\\sfrom\\s+)?["']([^"']+)["']`, "gm"),
    new RegExp(`^\\s*export\\s+${notType}[^'"]*?\\sfrom\\s+["']([^"']+)["']`, "gm"),
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]);
  return specs
    .filter((s) => s.startsWith("."))
    .map((s) => normalize(join(dirname(file), s)))
    .filter((p) => !p.startsWith(".."));
}

/** The top folder of a src/ path ("reader"), or "ground" for util/ and top-level files. */
export function stage(path: string): string {
  const top = path.includes("/") ? path.slice(0, path.indexOf("/")) : "ground";
  return top === "util" ? "ground" : top;
}

/** Rules: a stage and the stages it must not import. */
const FORBIDDEN: Record<string, string[]> = {
  index: ["reader", "storage", "repo", "cli", "plan", "publish", "sign"],
  reader: ["storage", "repo", "cli", "index", "plan", "publish", "sign"],
  record: ["storage", "plan", "reader", "index", "sign", "publish", "repo", "cli"],
  storage: ["plan", "reader", "record", "index", "sign", "publish", "repo", "cli"],
  sign: ["storage", "plan", "reader", "record", "index", "publish", "repo", "cli"],
  plan: ["reader", "sign", "publish", "repo", "cli"],
  publish: ["reader", "repo", "cli"],
  repo: ["cli"],
  ground: ["storage", "plan", "reader", "record", "index", "sign", "publish", "repo", "cli"],
};

/** Rules that hold for type-only imports too: a stage and the stages it must not name. */
const FORBIDDEN_TYPES: Record<string, string[]> = {
  index: ["reader", "storage"],
  reader: ["storage"],
};

/** Imports in a module graph from a stage to one that `rules` forbids it. */
function ruleViolations(graph: Map<string, string[]>, rules: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    for (const dep of deps) {
      if (rules[stage(file)]?.includes(stage(dep))) out.push(`${file} imports ${dep}`);
    }
  }
  return out;
}

/** Type-only imports against FORBIDDEN_TYPES in a module graph (with types). */
export function typeArrowViolations(graph: Map<string, string[]>): string[] {
  return ruleViolations(graph, FORBIDDEN_TYPES);
}

/** Calls that open files, forbidden under reader/ (a reader is given what it reads). */
const FILE_OPEN = /\bDeno\s*\.\s*open(?:Sync)?\s*\(/;

/** Files of a stage whose text opens a file. */
export function fileOpeners(texts: Map<string, string>): string[] {
  return [...texts].filter(([file, text]) => stage(file) === "reader" && FILE_OPEN.test(text))
    .map(([file]) => `${file} opens a file`);
}

/** Violations of the stage rules in a module graph. */
export function arrowViolations(graph: Map<string, string[]>): string[] {
  return ruleViolations(graph, FORBIDDEN);
}

/** The cycles of a module graph, each as "a -> b -> a". */
export function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const dep of graph.get(node) ?? []) {
      if (state.get(dep) === "open") {
        found.push([...path.slice(path.indexOf(dep)), dep].join(" -> "));
      } else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

async function srcTexts(): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const file of await sources()) texts.set(file, await Deno.readTextFile(join(SRC, file)));
  return texts;
}

async function srcGraph(types = false): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of await srcTexts()) graph.set(file, importsOf(file, text, types));
  return graph;
}

Deno.test("src/: no import runs against the pipeline", async () => {
  assert.deepEqual(arrowViolations(await srcGraph()), []);
});

Deno.test("src/: index/ and reader/ do not even name storage/'s types", async () => {
  assert.deepEqual(typeArrowViolations(await srcGraph(true)), []);
});

Deno.test("src/reader/: no file is opened (readers take a byte source)", async () => {
  assert.deepEqual(fileOpeners(await srcTexts()), []);
});

Deno.test("src/: every stage folder says what it does and what it may import (mod.ts)", async () => {
  const missing: string[] = [];
  for await (const e of Deno.readDir(SRC)) {
    if (!e.isDirectory) continue;
    const doc = await Deno.readTextFile(join(SRC, e.name, "mod.ts")).catch(() => "");
    if (!doc.includes("@module") || !/May import:/.test(doc)) missing.push(`${e.name}/mod.ts`);
  }
  assert.deepEqual(missing, []);
});

Deno.test("src/: no import cycles", async () => {
  assert.deepEqual(cycles(await srcGraph()), []);
});

Deno.test("the structure checks catch what they are for", () => {
  const graph = new Map([
    ["index/deb/x.ts", ["reader/hashing.ts", "record/checksums.ts", "util/bytes.ts"]],
    ["reader/deb/y.ts", ["storage/storage.ts"]],
    ["record/z.ts", ["util/bytes.ts", "index/compress.ts"]],
    ["util/bytes.ts", []],
    ["repo/a.ts", ["repo/b.ts"]],
    ["repo/b.ts", ["repo/a.ts"]],
  ]);
  assert.deepEqual(arrowViolations(graph), [
    "index/deb/x.ts imports reader/hashing.ts",
    "reader/deb/y.ts imports storage/storage.ts",
    "record/z.ts imports index/compress.ts",
  ]);
  assert.deepEqual(cycles(graph), ["repo/a.ts -> repo/b.ts -> repo/a.ts"]);
  assert.deepEqual(
    importsOf("repo/a.ts", 'import type { X } from "./t.ts";\nimport { y } from "../util/y.ts";'),
    ["util/y.ts"],
  );
  const typed = 'import type { Storage } from "../../storage/storage.ts";';
  assert.deepEqual(importsOf("reader/deb/y.ts", typed), []);
  assert.deepEqual(
    typeArrowViolations(new Map([["reader/deb/y.ts", importsOf("reader/deb/y.ts", typed, true)]])),
    ["reader/deb/y.ts imports storage/storage.ts"],
  );
  assert.deepEqual(
    fileOpeners(
      new Map([
        ["reader/byte_reader.ts", "const f = await Deno.open(path);"],
        ["reader/hash_worker.ts", "Deno.openSync(p, { read: true })"],
        ["storage/fs_storage.ts", "await Deno.open(path)"],
        ["util/local_file.ts", "Deno.openSync(path)"],
      ]),
    ),
    ["reader/byte_reader.ts opens a file", "reader/hash_worker.ts opens a file"],
  );
});
