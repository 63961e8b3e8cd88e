/** The cleanup record (mkrepo-cleanup.json) and the decision over pending package files. */
import assert from "node:assert/strict";
import { decideCleanup } from "../../../src/publish/unreferenced.ts";
import {
  cleanupRecordText,
  emptyCleanupRecord,
  parseCleanupRecord,
  type PendingPackages,
} from "../../../src/record/cleanup_record.ts";

const NOW = Date.UTC(2026, 0, 31, 12);
const HOUR = 3_600_000;

Deno.test("parseCleanupRecord() reads back what cleanupRecordText() writes", () => {
  const packages: PendingPackages = new Map([
    ["pool/a.deb", { since: NOW - HOUR, mtime: NOW - 5 * HOUR, reason: "retention" }],
  ]);
  const text = cleanupRecordText(new Map([["dists/x", NOW]]), packages)!;
  const back = parseCleanupRecord(text, "r");
  assert.deepEqual([back.unreferenced, back.packages], [new Map([["dists/x", NOW]]), packages]);
  assert.equal(cleanupRecordText(new Map(), new Map()), undefined);
  assert.throws(() => parseCleanupRecord('{"unreferenced":{},"packages":[]}', "r"), /packages/);
});

Deno.test("decideCleanup() deletes pending package files past the grace unless an index names them; keeps them recorded until gone", () => {
  const pending: PendingPackages = new Map([
    ["pool/old.deb", { since: NOW - 2 * HOUR, mtime: 1000, reason: "retention" }],
    ["pool/new.deb", { since: NOW - 1000, mtime: 1000, reason: "removed" }],
    ["pool/named.deb", { since: NOW - 2 * HOUR, mtime: 1000, reason: "retention" }],
    ["pool/gone.deb", { since: NOW - 2 * HOUR, mtime: 1000, reason: "retention" }],
  ]);
  const existing = new Map(["old", "new", "named"].map((n) => [`pool/${n}.deb`, 1000]));
  const d = decideCleanup([], emptyCleanupRecord(), NOW, {
    graceSeconds: 3600,
    packages: { pending, named: new Set(["pool/named.deb"]), existing },
  });
  assert.deepEqual(d.expiredPackages, [{ key: "pool/old.deb", mtime: 1000 }]);
  const recorded = parseCleanupRecord(d.file!.data as string, "r");
  assert.deepEqual([...recorded.packages.keys()], ["pool/new.deb", "pool/old.deb"]);
});
