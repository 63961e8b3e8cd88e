/**
 * Fuzzes the package readers (readDeb, readDsc, readRpm) with mutated copies of every fixture
 * in tests/fixtures/{deb,rpm,bad}: truncations, bit flips, spliced bytes, and
 * structure-aware damage (ar member sizes and names, tar header sizes inside control.tar,
 * rpm header index counts, data sizes and entries, .dsc text). Each case is fed as a stream cut
 * into random chunks and must end in a record or a MkrepoError: any other exception, a case
 * running longer than the time limit (asynchronous or synchronous hang) or memory above the
 * limit is a failure. Exit code 1 on any failure, with the cases to reproduce it.
 *
 *   deno task fuzz [--cases N] [--seed S] [--case I] [--time-limit MS] [--max-rss-mb MB]
 *
 * (`--inject error:I|hang:I|sync-hang:I` makes case I fail that way, to test the harness.)
 *
 * Cases run in a worker watched by the main thread, so a synchronous infinite loop is caught
 * too (the worker is then replaced and the run goes on). A case is fully determined by the
 * seed and its index: `--seed S --case I` replays exactly one.
 * @module
 */
import { concatBytes } from "../src/util/bytes.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { MkrepoError } from "../src/errors.ts";
import { readDeb } from "../src/reader/deb/read_deb.ts";
import { readDsc } from "../src/reader/deb/read_dsc.ts";
import { readRpm } from "../src/reader/rpm/read_rpm.ts";
import { decompress } from "../src/util/decompress.ts";

const FIXTURES = fileURLToPath(new URL("../tests/fixtures/", import.meta.url));
const IN_WORKER = typeof (globalThis as { postMessage?: unknown }).postMessage === "function";

type Reader = "deb" | "dsc" | "rpm";
type Outcome = "ok" | "malformed" | "failure";

interface Fixture {
  name: string;
  reader: Reader;
  data: Uint8Array;
}

interface Options {
  cases: number;
  seed: number;
  only?: number;
  timeLimitMs: number;
  maxRssMb: number;
  /** Self-test of the harness: case `at` behaves as a broken reader would. */
  inject?: { kind: "error" | "hang" | "sync-hang"; at: number };
}

/** What the worker reports for one case. */
interface CaseResult {
  i: number;
  fixture: string;
  reader: Reader;
  mutation: string;
  outcome: Outcome;
  detail?: string;
}

// ---------------------------------------------------------------- deterministic randomness

/** mulberry32: a small, fast PRNG; the same seed gives the same sequence everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number, index: number) {
    this.next = prng(Math.imul(seed ^ 0x9e3779b9, 2654435761) ^ Math.imul(index + 1, 40503));
  }
  int(max: number): number {
    return Math.floor(this.next() * Math.max(0, max));
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------- fixture structure

interface ArMember {
  name: string;
  header: number;
  data: number;
  size: number;
}

const latin1 = new TextDecoder("latin1");
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Members of an ar archive (tolerant: stops at the first header that does not parse). */
function arMembers(data: Uint8Array): ArMember[] {
  const out: ArMember[] = [];
  if (latin1.decode(data.subarray(0, 8)) !== "!<arch>\n") return out;
  for (let at = 8; at + 60 <= data.length;) {
    const h = data.subarray(at, at + 60);
    const size = Number(latin1.decode(h.subarray(48, 58)).trim());
    if (!Number.isSafeInteger(size) || size < 0) break;
    out.push({ name: latin1.decode(h.subarray(0, 16)).trim(), header: at, data: at + 60, size });
    at += 60 + size + (size & 1);
  }
  return out;
}

/** An ar archive of the given members (standard 60-byte headers, even padding). */
function buildAr(members: { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [ascii("!<arch>\n")];
  for (const m of members) {
    const header = m.name.padEnd(16) + "0".padEnd(12) + "0".padEnd(6) + "0".padEnd(6) +
      "100644".padEnd(8) + String(m.data.length).padEnd(10) + "`\n";
    parts.push(ascii(header), m.data);
    if (m.data.length & 1) parts.push(ascii("\n"));
  }
  return concatBytes(parts);
}

/** Offsets of the 512-byte headers of a tar archive. */
function tarHeaders(tar: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) break;
    out.push(at);
    const size = parseInt(latin1.decode(tar.subarray(at + 124, at + 136)).replace(/\0.*$/, ""), 8);
    at += 512 + Math.ceil((Number.isFinite(size) ? size : 0) / 512) * 512;
  }
  return out;
}

/** Offsets of the signature and main headers of an rpm (after the 96-byte lead). */
function rpmHeaders(data: Uint8Array): number[] {
  const out: number[] = [];
  let at = 96;
  for (let n = 0; n < 2 && at + 16 <= data.length; n++) {
    if (data[at] !== 0x8e || data[at + 1] !== 0xad || data[at + 2] !== 0xe8) break;
    out.push(at);
    const view = new DataView(data.buffer, data.byteOffset + at);
    const size = 16 + view.getUint32(8) * 16 + view.getUint32(12);
    at += size;
    if (n === 0) at += (8 - (size % 8)) % 8;
  }
  return out;
}

/** The decompressed control.tar of a deb, with the member it came from (cached per fixture). */
const controlTars = new Map<string, { member: ArMember; tar: Uint8Array } | null>();

async function controlTar(f: Fixture) {
  if (controlTars.has(f.name)) return controlTars.get(f.name)!;
  let found: { member: ArMember; tar: Uint8Array } | null = null;
  const member = arMembers(f.data).find((m) => m.name.startsWith("control.tar"));
  if (member) {
    const suffix = member.name.slice("control.tar".length).replace(/\/$/, "");
    const compression = ({ "": "none", ".gz": "gzip", ".xz": "xz", ".zst": "zstd" } as const)[
      suffix as "" | ".gz" | ".xz" | ".zst"
    ];
    if (compression) {
      try {
        const bytes = f.data.slice(member.data, member.data + member.size);
        const stream = decompress(new Blob([bytes]).stream(), compression, {
          key: f.name,
          name: member.name,
          maxOutput: 64 << 20,
        });
        found = { member, tar: new Uint8Array(await new Response(stream).arrayBuffer()) };
      } catch {
        found = null;
      }
    }
  }
  controlTars.set(f.name, found);
  return found;
}

/** The deb with its control member replaced by `tar`, gzip-compressed (a valid deb form). */
function withControlTar(f: Fixture, tar: Uint8Array): Uint8Array {
  const members = arMembers(f.data).map((m) => ({
    name: m.name.startsWith("control.tar") ? "control.tar.gz" : m.name,
    data: m.name.startsWith("control.tar")
      ? new Uint8Array(gzipSync(tar))
      : f.data.subarray(m.data, m.data + m.size),
  }));
  return buildAr(members);
}

// ---------------------------------------------------------------- mutations

type Mutation = (f: Fixture, rng: Rng) => Promise<[string, Uint8Array]> | [string, Uint8Array];

/** Large and edge-case numbers for length fields. */
const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x00ffffff, 65536, 0];

function flipBits(data: Uint8Array, rng: Rng, count: number, within = data.length) {
  const out = data.slice();
  const at: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = rng.int(Math.min(within, out.length));
    out[i] ^= 1 << rng.int(8);
    at.push(i);
  }
  return [at.join(","), out] as const;
}

/** Boundaries where parsers change state: a truncation there (±2) is most telling. */
function boundaries(f: Fixture): number[] {
  if (f.reader === "deb") {
    return arMembers(f.data).flatMap((m) => [m.header, m.data, m.data + m.size]);
  }
  if (f.reader === "rpm") {
    const out = [96];
    for (const h of rpmHeaders(f.data)) {
      const v = new DataView(f.data.buffer, f.data.byteOffset + h);
      out.push(
        h,
        h + 16,
        h + 16 + v.getUint32(8) * 16,
        h + 16 + v.getUint32(8) * 16 + v.getUint32(12),
      );
    }
    return out;
  }
  return [];
}

const GENERIC: Record<string, Mutation> = {
  truncate(f, rng) {
    const edges = boundaries(f);
    const at = edges.length && rng.bool(0.5)
      ? Math.max(0, Math.min(f.data.length - 1, rng.pick(edges) + rng.int(5) - 2))
      : rng.int(f.data.length);
    return [`truncate at ${at}`, f.data.slice(0, at)];
  },
  flip(f, rng) {
    const head = rng.bool(0.6);
    const [at, out] = flipBits(f.data, rng, 1 + rng.int(4), head ? 4096 : f.data.length);
    return [`flip bits at ${at}`, out];
  },
  splice(f, rng) {
    const out = f.data.slice();
    const at = rng.int(out.length);
    const len = 1 + rng.int(64);
    for (let i = at; i < Math.min(out.length, at + len); i++) out[i] = rng.int(256);
    return [`random bytes at ${at}+${len}`, out];
  },
  repeat(f, rng) {
    const at = rng.int(f.data.length);
    const len = 1 + rng.int(Math.min(4096, f.data.length - at));
    const part = f.data.subarray(at, at + len);
    const times = 1 + rng.int(8);
    const out = concatBytes([
      f.data.subarray(0, at),
      ...Array(times).fill(part),
      f.data.subarray(at),
    ]);
    return [`repeat ${at}+${len} x${times}`, out];
  },
  none(f) {
    return ["none", f.data];
  },
};

const DEB: Record<string, Mutation> = {
  "ar-size"(f, rng) {
    const members = arMembers(f.data);
    if (!members.length) return GENERIC.flip(f, rng);
    const m = rng.pick(members);
    const value = rng.pick([
      "9999999999",
      "4294967296",
      "2147483648",
      "0",
      "-5",
      "12abc",
      "",
      "0x10",
      String(m.size + 1),
      String(m.size - 1),
      String(Number.MAX_SAFE_INTEGER).slice(0, 10),
    ]);
    const out = f.data.slice();
    out.set(ascii(value.padEnd(10).slice(0, 10)), m.header + 48);
    return [`ar size of ${m.name} = "${value}"`, out];
  },
  "ar-header"(f, rng) {
    const members = arMembers(f.data);
    if (!members.length) return GENERIC.flip(f, rng);
    const m = rng.pick(members);
    const out = f.data.slice();
    const field = rng.pick(["name", "magic", "mode", "name-nul"] as const);
    if (field === "name") {
      out.set(
        ascii(
          rng.pick([
            "control.tar.zz ",
            "data.tar.lz4   ",
            "debian-binary/ ",
            "/               ",
            "//              ",
            "control.tar     ",
          ]).padEnd(16),
        ),
        m.header,
      );
    } else if (field === "magic") out.set(ascii("x\n"), m.header + 58);
    else if (field === "mode") out.set(ascii("7777777z"), m.header + 40);
    else out[m.header + rng.int(16)] = 0;
    return [`ar ${field} of ${m.name}`, out];
  },
  "ar-order"(f, rng) {
    const members = arMembers(f.data).map((m) => ({
      name: m.name,
      data: f.data.subarray(m.data, m.data + m.size),
    }));
    if (members.length < 2) return GENERIC.flip(f, rng);
    const i = rng.int(members.length);
    const how = rng.pick(["drop", "swap", "duplicate"] as const);
    if (how === "drop") members.splice(i, 1);
    else if (how === "duplicate") members.splice(i, 0, members[i]);
    else {
      const j = (i + 1) % members.length;
      [members[i], members[j]] = [members[j], members[i]];
    }
    return [`ar ${how} member ${i}`, buildAr(members)];
  },
  async "tar-size"(f, rng) {
    const c = await controlTar(f);
    if (!c) return GENERIC.flip(f, rng);
    const headers = tarHeaders(c.tar);
    if (!headers.length) return GENERIC.flip(f, rng);
    const h = rng.pick(headers);
    const tar = c.tar.slice();
    const kind = rng.pick(["octal", "base256", "garbage", "plus1"] as const);
    let what: string;
    if (kind === "octal") {
      what = rng.pick(["77777777777", "7777777777", "10000000000", "00000000000"]);
      tar.set(ascii(what + "\0"), h + 124);
    } else if (kind === "base256") {
      const field = new Uint8Array(12);
      field[0] = 0x80 | rng.int(0x80);
      for (let i = 1; i < 12; i++) field[i] = rng.bool(0.7) ? 0xff : rng.int(256);
      tar.set(field, h + 124);
      what = "base-256 " + Array.from(field, (b) => b.toString(16)).join("");
    } else if (kind === "garbage") {
      what = "garbage";
      tar.set(ascii("zz-12\0 9 x\0\0"), h + 124);
    } else {
      const size = parseInt(latin1.decode(tar.subarray(h + 124, h + 136)), 8) || 0;
      what = `${size}+1`;
      tar.set(ascii((size + 1).toString(8).padStart(11, "0") + "\0"), h + 124);
    }
    fixChecksum(tar, h, rng.bool(0.8));
    return [`control tar size at header ${h} = ${what}`, withControlTar(f, tar)];
  },
  async "tar-header"(f, rng) {
    const c = await controlTar(f);
    if (!c) return GENERIC.flip(f, rng);
    const headers = tarHeaders(c.tar);
    if (!headers.length) return GENERIC.flip(f, rng);
    const h = rng.pick(headers);
    const tar = c.tar.slice();
    const field = rng.pick(["typeflag", "name", "prefix", "linkname", "flip"] as const);
    if (field === "typeflag") {
      tar[h + 156] = ascii(rng.pick(["L", "K", "x", "g", "5", "2", "1", "7", "S", "\0", "Z"]))[0];
    } else if (field === "name") {
      tar.set(rng.bool() ? new Uint8Array(100).fill(0x41) : ascii("./control\0"), h);
    } else if (field === "prefix") tar.set(new Uint8Array(155).fill(0x2f), h + 345);
    else if (field === "linkname") tar.set(new Uint8Array(100).fill(0x2e), h + 157);
    else tar[h + rng.int(512)] ^= 1 << rng.int(8);
    fixChecksum(tar, h, rng.bool(0.8));
    return [`control tar ${field} at header ${h}`, withControlTar(f, tar)];
  },
  async "tar-truncate"(f, rng) {
    const c = await controlTar(f);
    if (!c) return GENERIC.truncate(f, rng);
    const at = rng.int(c.tar.length);
    return [`control tar cut at ${at}`, withControlTar(f, c.tar.slice(0, at))];
  },
  "compressed-flip"(f, rng) {
    const m = arMembers(f.data).find((x) => x.name.startsWith("control.tar"));
    if (!m || m.size === 0) return GENERIC.flip(f, rng);
    const out = f.data.slice();
    const at = m.data + rng.int(m.size);
    out[at] ^= 1 << rng.int(8);
    return [`flip in ${m.name} at ${at}`, out];
  },
};

/** Recomputes a tar header checksum (or leaves it wrong on purpose). */
function fixChecksum(tar: Uint8Array, h: number, fix: boolean) {
  if (!fix) return;
  tar.fill(0x20, h + 148, h + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[h + i];
  tar.set(ascii(sum.toString(8).padStart(6, "0") + "\0 "), h + 148);
}

const RPM: Record<string, Mutation> = {
  "rpm-count"(f, rng) {
    const headers = rpmHeaders(f.data);
    if (!headers.length) return GENERIC.flip(f, rng);
    const h = rng.pick(headers);
    const field = rng.pick([8, 12] as const);
    const value = rng.bool(0.7)
      ? rng.pick(HUGE)
      : new DataView(f.data.buffer, f.data.byteOffset + h).getUint32(field) + rng.int(5) - 2;
    const out = f.data.slice();
    new DataView(out.buffer).setUint32(h + field, value >>> 0);
    return [
      `rpm header at ${h}: ${field === 8 ? "index count" : "data size"} = ${value >>> 0}`,
      out,
    ];
  },
  "rpm-entry"(f, rng) {
    const headers = rpmHeaders(f.data);
    if (!headers.length) return GENERIC.flip(f, rng);
    const h = rng.pick(headers);
    const v = new DataView(f.data.buffer, f.data.byteOffset + h);
    const n = v.getUint32(8);
    if (n === 0) return GENERIC.flip(f, rng);
    const e = rng.int(n);
    const field = rng.pick(["tag", "type", "offset", "count"] as const);
    const value = field === "type" ? rng.pick([0, 1, 5, 7, 9, 10, 16, 0xffffffff]) : rng.pick(HUGE);
    const out = f.data.slice();
    const pos = h + 16 + e * 16 + { tag: 0, type: 4, offset: 8, count: 12 }[field];
    new DataView(out.buffer).setUint32(pos, value >>> 0);
    return [`rpm header at ${h}: entry ${e} ${field} = ${value >>> 0}`, out];
  },
  "rpm-lead"(f, rng) {
    const out = f.data.slice();
    const at = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 78, 79]);
    out[at] ^= 0xff;
    return [`rpm lead byte ${at}`, out];
  },
};

const DSC: Record<string, Mutation> = {
  "dsc-text"(f, rng) {
    let text = latin1.decode(f.data);
    const kind = rng.pick(
      [
        "huge-size",
        "long-line",
        "no-newline",
        "nul",
        "cr",
        "blank",
        "dup",
        "unterminated-signature",
      ] as const,
    );
    if (kind === "huge-size") {
      text = text.replace(/^( [0-9a-f]{32,128} )\d+/m, `$1${"9".repeat(1 + rng.int(40))}`);
    } else if (kind === "long-line") {
      text = text.replace(/\n/, `\nX-Long: ${"a".repeat(1 << (10 + rng.int(12)))}\n`);
    } else if (kind === "no-newline") text = text.replaceAll("\n", "");
    else if (kind === "nul") text = text.replace(/:/, ":\0");
    else if (kind === "cr") text = text.replaceAll("\n", "\r\n");
    else if (kind === "blank") text = text.replace(/\n(?=Files:)/, "\n\n");
    else if (kind === "dup") text = text + text;
    else text = text.replace(/-----END PGP SIGNATURE-----/, "");
    return [`dsc ${kind}`, ascii(text)];
  },
};

function mutationsFor(reader: Reader): [string, Mutation][] {
  const specific = reader === "deb" ? DEB : reader === "rpm" ? RPM : DSC;
  const generic = Object.entries(GENERIC).filter(([n]) => n !== "none");
  // Structure-aware mutations twice as likely as generic ones; "none" rarely.
  return [...Object.entries(specific), ...Object.entries(specific), ...generic];
}

// ---------------------------------------------------------------- running one case

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const dir of ["deb", "rpm", "bad"]) {
    const names = [...Deno.readDirSync(FIXTURES + dir)].filter((e) => e.isFile).map((e) => e.name);
    for (const name of names.sort()) {
      const reader: Reader | undefined = /\.(deb|udeb|ddeb)$/.test(name)
        ? "deb"
        : name.endsWith(".dsc")
        ? "dsc"
        : name.endsWith(".rpm")
        ? "rpm"
        : undefined;
      if (reader) {
        out.push({
          name: `${dir}/${name}`,
          reader,
          data: Deno.readFileSync(FIXTURES + dir + "/" + name),
        });
      }
    }
  }
  return out;
}

/** The bytes as a stream cut into random chunks (1 byte to 64 KiB). */
function chunked(data: Uint8Array, rng: Rng): ReadableStream<Uint8Array> {
  let at = 0;
  const tiny = rng.bool(0.2);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) return controller.close();
      const n = 1 + (tiny ? rng.int(16) : rng.int(65536));
      controller.enqueue(data.slice(at, at + n));
      at += n;
    },
  });
}

async function runCase(
  fixtures: Fixture[],
  o: Options,
  i: number,
  onStart: (c: Omit<CaseResult, "outcome">) => void = () => {},
): Promise<CaseResult> {
  const f = fixtures[i % fixtures.length];
  const rng = new Rng(o.seed, i);
  const [name, mutate] = rng.bool(0.02) ? ["none", GENERIC.none] : rng.pick(mutationsFor(f.reader));
  let mutation = name;
  let data: Uint8Array;
  try {
    const [what, bytes] = await mutate(f, rng);
    mutation = `${name}: ${what}`;
    data = bytes;
  } catch (err) {
    return {
      i,
      fixture: f.name,
      reader: f.reader,
      mutation,
      outcome: "failure",
      detail: `mutation failed: ${err}`,
    };
  }
  onStart({ i, fixture: f.name, reader: f.reader, mutation });
  const base = f.name.slice(f.name.lastIndexOf("/") + 1);
  const stream = chunked(data, rng);
  const injected = o.inject?.at === i ? o.inject.kind : undefined;
  if (injected === "sync-hang") { for (;;) { /* a reader stuck in a loop */ } }
  const read = injected === "error"
    ? Promise.reject(new TypeError("injected: not a MkrepoError"))
    : injected === "hang"
    ? new Promise<never>(() => {})
    : f.reader === "deb"
    ? readDeb(stream, { key: `pool/main/x/${base}`, mtime: 0, etag: "" })
    : f.reader === "dsc"
    ? readDsc(stream, { key: `pool/main/x/${base}` })
    : readRpm(stream, { key: `Packages/${base}`, mtime: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), o.timeLimitMs);
  });
  const result = { i, fixture: f.name, reader: f.reader, mutation };
  try {
    const r = await Promise.race([read, timeout]);
    if (r === "timeout") {
      read.catch(() => {});
      return {
        ...result,
        outcome: "failure",
        detail: `no result after ${o.timeLimitMs} ms (hang)`,
      };
    }
    return { ...result, outcome: "ok" };
  } catch (err) {
    if (err instanceof MkrepoError) return { ...result, outcome: "malformed", detail: err.message };
    const e = err instanceof Error
      ? `${err.name}: ${err.message}\n${err.stack ?? ""}`
      : String(err);
    return { ...result, outcome: "failure", detail: `not a MkrepoError: ${e}` };
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- worker side

if (IN_WORKER) {
  const fixtures = loadFixtures();
  const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
  (self as unknown as Worker).onmessage = async (
    e: MessageEvent<{ options: Options; from: number; to: number; list?: number[] }>,
  ) => {
    const { options, from, to, list } = e.data;
    const indexes = list ?? Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
    for (const i of indexes) {
      const result = await runCase(fixtures, options, i, (c) => post({ t: "start", case: c }));
      post({ t: "done", result });
    }
    post({ t: "end" });
  };
}

// ---------------------------------------------------------------- main side

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      cases: { type: "string" },
      seed: { type: "string" },
      case: { type: "string" },
      "time-limit": { type: "string" },
      "max-rss-mb": { type: "string" },
      inject: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      "usage: deno task fuzz [--cases N] [--seed S] [--case I] [--time-limit MS] [--max-rss-mb MB]",
    );
    Deno.exit(0);
  }
  const num = (v: string | undefined, d: number, what: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      console.error(`fuzz: ${what} must be a whole number, got "${v}"`);
      Deno.exit(2);
    }
    return n;
  };
  return {
    cases: num(values.cases, 3000, "--cases"),
    seed: num(values.seed, Math.floor(Math.random() * 2 ** 31), "--seed"),
    only: values.case === undefined ? undefined : num(values.case, 0, "--case"),
    timeLimitMs: num(values["time-limit"], 5000, "--time-limit"),
    maxRssMb: num(values["max-rss-mb"], 1024, "--max-rss-mb"),
    inject: parseInject(values.inject),
  };
}

/** `--inject error|hang|sync-hang:I` (harness self-test: case I fails that way). */
function parseInject(v: string | undefined): Options["inject"] {
  if (v === undefined) return undefined;
  const m = /^(error|hang|sync-hang):(\d+)$/.exec(v);
  if (!m) {
    console.error(`fuzz: --inject takes error:I, hang:I or sync-hang:I, got "${v}"`);
    Deno.exit(2);
  }
  return { kind: m[1] as "error" | "hang" | "sync-hang", at: Number(m[2]) };
}

/** Runs the cases in a watched worker; a worker silent for too long is replaced. */
async function runAll(o: Options, indexes: number[]): Promise<CaseResult[]> {
  const results = new Map<number, CaseResult>();
  let pending = indexes;
  while (pending.length > 0) {
    const worker = new Worker(import.meta.url, { type: "module" });
    let current: Omit<CaseResult, "outcome"> | undefined;
    let last = performance.now();
    const finished = new Promise<"end" | "hung">((resolve) => {
      const watchdog = setInterval(() => {
        if (current !== undefined && performance.now() - last > o.timeLimitMs + 3000) {
          clearInterval(watchdog);
          resolve("hung");
        }
      }, 200);
      worker.onmessage = (e: MessageEvent) => {
        const m = e.data;
        last = performance.now();
        if (m.t === "start") current = m.case;
        else if (m.t === "done") {
          results.set(m.result.i, m.result);
          current = undefined;
        } else if (m.t === "end") {
          clearInterval(watchdog);
          resolve("end");
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        clearInterval(watchdog);
        resolve("hung");
      };
    });
    worker.postMessage({ options: o, from: 0, to: 0, list: pending });
    const how = await finished;
    worker.terminate();
    if (how === "end") break;
    // The case running when the worker stopped answering is a (synchronous) hang or a crash.
    if (current !== undefined && !results.has(current.i)) {
      results.set(current.i, {
        ...current,
        outcome: "failure",
        detail: `the worker stopped answering for ${
          o.timeLimitMs + 3000
        } ms (synchronous hang or crash)`,
      });
    }
    pending = pending.filter((i) => !results.has(i));
  }
  return indexes.map((i) => results.get(i)!);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ")
  ).join("\n");
}

async function main() {
  const o = parseOptions(Deno.args);
  const indexes = o.only !== undefined ? [o.only] : Array.from({ length: o.cases }, (_, i) => i);
  const start = performance.now();
  let maxRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, Deno.memoryUsage().rss)), 25);
  const results = await runAll(o, indexes);
  clearInterval(sampler);
  maxRss = Math.max(maxRss, Deno.memoryUsage().rss);
  const seconds = (performance.now() - start) / 1000;

  const count = (list: CaseResult[], outcome?: Outcome) =>
    String(list.filter((r) => outcome === undefined || r.outcome === outcome).length);
  const rows = [["reader", "cases", "ok", "malformed", "failures"]];
  for (const reader of ["deb", "dsc", "rpm"] as const) {
    const list = results.filter((r) => r.reader === reader);
    rows.push([
      reader,
      count(list),
      count(list, "ok"),
      count(list, "malformed"),
      count(list, "failure"),
    ]);
  }
  rows.push([
    "total",
    count(results),
    count(results, "ok"),
    count(results, "malformed"),
    count(results, "failure"),
  ]);
  const byMutation = new Map<string, CaseResult[]>();
  for (const r of results) {
    const m = r.mutation.split(":")[0];
    byMutation.set(m, [...(byMutation.get(m) ?? []), r]);
  }
  const mrows = [["mutation", "cases", "ok", "malformed", "failures"]];
  for (const [m, list] of [...byMutation].sort()) {
    mrows.push([
      m,
      count(list),
      count(list, "ok"),
      count(list, "malformed"),
      count(list, "failure"),
    ]);
  }
  const rssMb = maxRss / 2 ** 20;
  console.log(table(rows));
  console.log();
  console.log(table(mrows));
  console.log();
  console.log(
    `seed ${o.seed}, ${results.length} cases in ${seconds.toFixed(1)} s, max RSS ${
      rssMb.toFixed(0)
    } MiB ` +
      `(limit ${o.maxRssMb} MiB), time limit ${o.timeLimitMs} ms per case`,
  );

  const failures = results.filter((r) => r.outcome === "failure");
  for (const r of failures.slice(0, 20)) {
    console.log(
      `\nFAILURE case ${r.i}: ${r.fixture} (${r.reader}), mutation ${r.mutation}\n  ${
        r.detail?.split("\n").slice(0, 6).join("\n  ")
      }\n` +
        `  replay: deno task fuzz --seed ${o.seed} --case ${r.i}`,
    );
  }
  if (failures.length > 20) console.log(`\n... and ${failures.length - 20} more failures`);
  const memoryOk = rssMb <= o.maxRssMb;
  if (!memoryOk) console.log(`\nFAILURE: max RSS ${rssMb.toFixed(0)} MiB above ${o.maxRssMb} MiB`);
  Deno.exit(failures.length === 0 && memoryOk ? 0 : 1);
}

if (!IN_WORKER && import.meta.main) await main();
