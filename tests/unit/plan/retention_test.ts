/**
 * Version orders against the reference tools (`dpkg --compare-versions`, rpm's own
 * `rpm.vercmp`), and the retention rules on versions whose order differs from their strings'.
 */
import assert from "node:assert/strict";
import { compareDebVersions } from "../../../src/record/deb_version.ts";
import { compareRpmEvr, parseEvr } from "../../../src/record/rpm_evr.ts";
import { retentionDrops, type RetentionItem } from "../../../src/plan/retention.ts";
import { requireTool, run } from "../../_helpers/reference_tools.ts";

const DEB_VERSIONS = [
  "1.0",
  "1.0-1",
  "1.0-2",
  "1.0-10",
  "1.0~rc1",
  "1.0~rc1-1",
  "1.0~~",
  "1.0~",
  "1.0+b1",
  "1.0a",
  "1.0.1",
  "1:0.9",
  "2:0.1",
  "0:1.0",
  "1.00",
  "1.0-1ubuntu1",
  "1.0-1~bpo1",
  "10",
  "9",
  "1.0-0",
  "2.10-3",
  "2.10-3+r1a",
  "2.9",
  "a",
  "A",
  "1.0-a",
  "1.0-A",
  "1.0+dfsg",
  "1.0.dfsg",
  "1.0-1.1",
  "0.0",
  "0",
  "00",
  "1.2.3~beta.4",
  "1.2.3-beta4",
  "3.0~git20200101",
  "3.0+git20200101",
];

Deno.test("compareDebVersions orders as dpkg --compare-versions", async () => {
  requireTool("dpkg");
  // Sorted by our order, each neighbour pair checked with dpkg: both orders are total, so
  // agreeing on every neighbour means agreeing on every pair (one dpkg call or two per pair).
  const sorted = [...DEB_VERSIONS].sort(compareDebVersions);
  const failures: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    const ours = compareDebVersions(a, b) === 0 ? "eq" : "lt";
    if ((await run("dpkg", ["--compare-versions", a, ours, b])).code !== 0) {
      failures.push(`dpkg does not say ${a} ${ours} ${b}`);
    }
  }
  assert.deepEqual(failures, []);
});

const RPM_EVRS = [
  "1.0-1",
  "1.0-2",
  "1.0-10",
  "1.0~rc1-1",
  "1.0^git1-1",
  "1.0^-1",
  "1.0-1.el9",
  "1.0-1.fc40",
  "1:0.9-1",
  "2:0.1-1",
  "0:1.0-1",
  "1.00-1",
  "1.0a-1",
  "1.0.1-1",
  "1.0-1a",
  "10-1",
  "9-1",
  "1.0_1-1",
  "1.0.a-1",
  "a-1",
  "A-1",
  "2.10-3",
  "2.9-1",
  "1.0~~-1",
  "1.0~-1",
];

Deno.test("compareRpmEvr orders as rpm's own rpm.vercmp, epochs included", async () => {
  requireTool("rpm");
  const pairs: [string, string][] = [];
  for (const a of RPM_EVRS) for (const b of RPM_EVRS) if (a < b) pairs.push([a, b]);
  const lua = pairs.map(([a, b]) => `print(rpm.vercmp("${a}", "${b}") .. " ")`).join("; ");
  const r = await run("rpm", ["--eval", `%{lua: ${lua}}`]);
  assert.equal(r.code, 0, r.stderr);
  const theirs = r.stdout.trim().split(/\s+/).map(Number);
  assert.equal(theirs.length, pairs.length);
  const evr = (s: string) => {
    const e = parseEvr(s);
    return { epoch: e.epoch ?? "0", version: e.ver ?? "", release: e.rel ?? "" };
  };
  const failures = pairs.flatMap(([a, b], i) => {
    const ours = Math.sign(compareRpmEvr(evr(a), evr(b)));
    return ours === Math.sign(theirs[i]) ? [] : [`${a} vs ${b}: rpm ${theirs[i]}, ours ${ours}`];
  });
  assert.deepEqual(failures, []);
});

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

function items(group: string, versions: [string, number][]): RetentionItem[] {
  return versions.map(([version, age]) => ({
    key: `${group}/${version}`,
    group,
    version,
    firstSeen: NOW - age * DAY,
  }));
}

Deno.test("--keep N keeps the N newest by the format's order, per group", () => {
  // String order would keep 9 and 10~rc1; dpkg's keeps 10 and 10~rc1.
  const hello = items("main/hello/amd64", [["9", 1], ["10~rc1", 1], ["10", 1], ["1:1", 1]]);
  const all = items("main/doc/all", [["1.0", 1], ["1.1", 1], ["1.2", 1]]);
  const drops = retentionDrops([...hello, ...all], { keep: 2 }, compareDebVersions, NOW);
  assert.deepEqual(drops, ["main/hello/amd64/9", "main/hello/amd64/10~rc1", "main/doc/all/1.0"]);
});

Deno.test("--keep-days never drops a group's newest version, however old", () => {
  const old = items("tour/noarch", [["4-5", 400], ["4-6", 300]]);
  const drops = retentionDrops(old, { keepDays: 30 }, compareDebVersions, NOW);
  assert.deepEqual(drops, ["tour/noarch/4-5"]);
  assert.deepEqual(retentionDrops(old.slice(1), { keepDays: 30 }, compareDebVersions, NOW), []);
});

Deno.test("--keep and --keep-days combine; files of one version share its fate; no policy drops nothing", () => {
  const list = items("g", [["1", 50], ["2", 1], ["3", 1], ["4", 1]]);
  list.push({ key: "g/3-copy", group: "g", version: "3", firstSeen: NOW });
  assert.deepEqual(
    retentionDrops(list, { keep: 3, keepDays: 10 }, compareDebVersions, NOW),
    ["g/1"],
  );
  assert.deepEqual(
    retentionDrops(list, { keep: 2 }, compareDebVersions, NOW),
    ["g/1", "g/2"],
  );
  assert.deepEqual(retentionDrops(list, {}, compareDebVersions, NOW), []);
});
