/**
 * Settings as people read them: one line per setting for `mkrepo settings`, and the changes a
 * run makes ("architectures: amd64 → amd64 arm64").
 * @module
 */
import type { RepoSettings } from "../record/repo_settings.ts";
import { DEFAULT_GRACE_SECONDS } from "../publish/unreferenced.ts";

function signingText(s: RepoSettings): string {
  if (!s.signed) return "unsigned";
  return s.signingKeys.length > 0 ? `signed by ${s.signingKeys.join(" ")}` : "signed";
}

function list(values: readonly string[] | undefined, empty: string): string {
  return values && values.length > 0 ? values.join(" ") : empty;
}

/** The differences between two settings, as "architectures: amd64 → amd64 arm64". */
export function changesOf(a: RepoSettings, b: RepoSettings): string[] {
  const out: string[] = [];
  const diff = (name: string, x: string, y: string) => {
    if (x !== y) out.push(`${name}: ${x} → ${y}`);
  };
  diff("signing", signingText(a), signingText(b));
  diff("public read", a.publicRead ? "on" : "off", b.publicRead ? "on" : "off");
  diff("public key", a.publicKey ?? "(none)", b.publicKey ?? "(none)");
  diff("grace", graceText(a.graceSeconds), graceText(b.graceSeconds));
  diff("keep", keepText(a.keep), keepText(b.keep));
  diff("keep days", keepDaysText(a.keepDays), keepDaysText(b.keepDays));
  if (a.deb && b.deb) {
    diff(
      "architectures",
      list(a.deb.architectures, "(from packages)"),
      list(b.deb.architectures, "(from packages)"),
    );
    diff("components", list(a.deb.components, "main"), list(b.deb.components, "main"));
    diff("origin", a.deb.origin ?? "(default)", b.deb.origin ?? "(default)");
    diff("label", a.deb.label ?? "(default)", b.deb.label ?? "(default)");
    diff("description", a.deb.description ?? "(default)", b.deb.description ?? "(default)");
    diff("hashes", list(a.deb.hashes, ""), list(b.deb.hashes, ""));
  }
  if (a.rpm && b.rpm) diff("compression", a.rpm.compression, b.rpm.compression);
  return out;
}

/** Settings as text lines for `mkrepo settings` ("signing: signed by …"). */
export function describeSettings(s: RepoSettings): string[] {
  const lines = [
    `kind: ${s.kind}`,
    `signing: ${signingText(s)}`,
    `public read: ${s.publicRead ? "on" : "off"}`,
    `public key: ${s.publicKey ?? "(none)"}`,
    `grace before unreferenced files are deleted: ${graceText(s.graceSeconds)}`,
    `keep: ${keepText(s.keep)}`,
    `keep days: ${keepDaysText(s.keepDays)}`,
  ];
  if (s.deb) {
    lines.push(
      `architectures: ${list(s.deb.architectures, "(from packages)")}`,
      `components: ${list(s.deb.components, "main")}`,
      `origin: ${s.deb.origin ?? "(default)"}`,
      `label: ${s.deb.label ?? "(default)"}`,
      `description: ${s.deb.description ?? "(default)"}`,
      `hashes: ${list(s.deb.hashes, "")}`,
    );
  }
  if (s.rpm) lines.push(`compression: ${s.rpm.compression}`);
  return lines;
}

function graceText(seconds: number | undefined): string {
  if (seconds === undefined) return `${DEFAULT_GRACE_SECONDS / 3600}h (default)`;
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`;
}

function keepText(n: number | undefined): string {
  return n === undefined ? "all versions" : `the ${n} newest version${n === 1 ? "" : "s"}`;
}

function keepDaysText(n: number | undefined): string {
  return n === undefined ? "no limit" : `${n} day${n === 1 ? "" : "s"} (never the newest)`;
}
