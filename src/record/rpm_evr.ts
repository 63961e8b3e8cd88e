/**
 * rpm version strings: "[E:]V[-R]" split as createrepo_c's cr_str_to_evr, and rpm's rpmvercmp
 * ordering of two version (or release) strings, "~" before anything and "^" after the base.
 * @module
 */

/** EVR split as cr_str_to_evr; epoch undefined (with version set) means a non-numeric epoch. */
export function parseEvr(text: string): { epoch?: string; ver?: string; rel?: string } {
  if (text === "") return {};
  const colon = text.indexOf(":");
  let epoch: string | undefined = "0";
  let rest = text;
  if (colon >= 0) {
    const e = text.slice(0, colon);
    if (e === "" || /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(e)) epoch = e === "" ? "0" : e;
    else epoch = undefined;
    rest = text.slice(colon + 1);
  }
  const dash = rest.indexOf("-");
  if (dash < 0) return { epoch, ver: rest };
  const rel = rest.slice(dash + 1);
  return { epoch, ver: rest.slice(0, dash), ...(rel ? { rel } : {}) };
}

/** rpm's rpmvercmp: 1 when a is newer, -1 when older, 0 when equal. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const isDigit = (c: string) => c >= "0" && c <= "9";
  const isAlpha = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
  const sep = (c: string) => c !== "" && !isDigit(c) && !isAlpha(c) && c !== "~" && c !== "^";
  let i = 0, j = 0;
  const at = (s: string, k: number) => (k < s.length ? s[k] : "");
  while (i < a.length || j < b.length) {
    while (sep(at(a, i))) i++;
    while (sep(at(b, j))) j++;
    const x = at(a, i), y = at(b, j);
    if (x === "~" || y === "~") {
      if (x !== "~") return 1;
      if (y !== "~") return -1;
      i++, j++;
      continue;
    }
    if (x === "^" || y === "^") {
      if (x === "") return -1;
      if (y === "") return 1;
      if (x !== "^") return 1;
      if (y !== "^") return -1;
      i++, j++;
      continue;
    }
    if (x === "" || y === "") break;
    const num = isDigit(x);
    const kind = num ? isDigit : isAlpha;
    let e1 = i, e2 = j;
    while (e1 < a.length && kind(a[e1])) e1++;
    while (e2 < b.length && kind(b[e2])) e2++;
    if (e2 === j) return num ? 1 : -1;
    let s1 = a.slice(i, e1), s2 = b.slice(j, e2);
    if (num) {
      s1 = s1.replace(/^0+/, "");
      s2 = s2.replace(/^0+/, "");
      if (s1.length !== s2.length) return s1.length > s2.length ? 1 : -1;
    }
    if (s1 !== s2) return s1 < s2 ? -1 : 1;
    i = e1, j = e2;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Compares two packages' epoch, version and release as rpm does: negative, zero or positive. */
export function compareRpmEvr(
  a: { epoch: string; version: string; release: string },
  b: { epoch: string; version: string; release: string },
): number {
  const ea = Number(a.epoch || "0"), eb = Number(b.epoch || "0");
  if (ea !== eb) return ea < eb ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}
