/**
 * Debian version strings, `[epoch:]upstream[-revision]`, ordered as dpkg orders them
 * (lib/dpkg/version.c, `dpkg_version_compare` and `verrevcmp`; Debian Policy §5.6.12): epochs
 * numerically, then upstream and revision part by part — non-digit runs compared character by
 * character with `~` before everything (even the end), letters before other characters, then
 * digit runs numerically.
 * @module
 */

/** A version split into its three parts (epoch 0 and revision "" when absent). */
export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Splits a version as dpkg's parseversion: epoch before the first ":", revision after the last "-". */
export function parseDebVersion(text: string): DebVersion {
  const v = text.trim();
  const colon = v.indexOf(":");
  const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf("-");
  return {
    epoch: Number.isFinite(epoch) ? epoch : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : "",
  };
}

/** dpkg's `order()`: the weight of one character in a non-digit run. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === "~") return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** dpkg's `verrevcmp` of one upstream or revision part: negative, zero or positive. */
function verrevcmp(a: string, b: string): number {
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(isDigit(a[i]) ? undefined : a[i]);
      const bc = order(isDigit(b[j]) ? undefined : b[j]);
      if (ac !== bc) return ac - bc;
      i++, j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++, j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Compares two Debian versions as `dpkg --compare-versions`: negative, zero or positive. */
export function compareDebVersions(a: string, b: string): number {
  const x = parseDebVersion(a), y = parseDebVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}
