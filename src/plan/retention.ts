/**
 * Retention: which package files a repository no longer keeps, given how many versions of each
 * package to keep (`--keep N`) and for how long (`--keep-days D`). A pure decision over
 * versions; the caller groups the packages (per name and architecture, and per dist/component
 * for Debian; source packages by name) and supplies the format's own version order.
 *
 * Rules: within a group, versions are ordered newest first; every file of the N newest versions
 * is kept; a version first seen more than D days ago is dropped too — but never the newest
 * version of a group, whatever its age. Several files of one version (the same package under
 * two names) share its fate.
 * @module
 */

/** One package file as retention sees it. */
export interface RetentionItem {
  /** Storage key of the package file. */
  key: string;
  /** Group it competes in, e.g. "stable/main/hello/amd64" or "hello/x86_64". */
  group: string;
  /** Its version, in whatever form `compare` takes. */
  version: string;
  /** When mkrepo first saw it (ms since the epoch). */
  firstSeen: number;
}

/** What to keep. */
export interface RetentionPolicy {
  /** Keep the N newest versions of each group (undefined: no limit). */
  keep?: number;
  /** Drop versions first seen more than D days ago, except each group's newest. */
  keepDays?: number;
}

/** The keys retention drops, in the order given; `compare` orders two versions (negative: a older). */
export function retentionDrops(
  items: readonly RetentionItem[],
  policy: RetentionPolicy,
  compare: (a: string, b: string) => number,
  now: number,
): string[] {
  if (policy.keep === undefined && policy.keepDays === undefined) return [];
  const groups = new Map<string, RetentionItem[]>();
  for (const item of items) {
    const list = groups.get(item.group);
    if (list) list.push(item);
    else groups.set(item.group, [item]);
  }
  const cutoff = policy.keepDays === undefined ? -Infinity : now - policy.keepDays * 86_400_000;
  const dropped = new Set<string>();
  for (const list of groups.values()) {
    // Distinct versions, newest first; each rank holds every file of that version.
    const ranks: RetentionItem[][] = [];
    for (const item of [...list].sort((a, b) => compare(b.version, a.version))) {
      const last = ranks.at(-1);
      if (last && compare(last[0].version, item.version) === 0) last.push(item);
      else ranks.push([item]);
    }
    ranks.forEach((files, rank) => {
      if (rank === 0) return; // the newest version stays, always
      const beyondCount = policy.keep !== undefined && rank >= policy.keep;
      const tooOld = files.every((f) => f.firstSeen < cutoff);
      if (beyondCount || tooOld) files.forEach((f) => dropped.add(f.key));
    });
  }
  return items.filter((i) => dropped.has(i.key)).map((i) => i.key);
}
