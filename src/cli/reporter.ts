/**
 * What the user sees on stderr: messages by verbosity, and progress of package reading —
 * a live line on a terminal, a plain line every few seconds otherwise (CI logs).
 * stdout is left to `--json`.
 * @module
 */
import type { Progress, RunEvents } from "../repo/run_types.ts";
import { redactUrls } from "../errors.ts";

/** Options of a reporter. */
export interface ReporterOptions {
  quiet?: boolean;
  verbose?: boolean;
  /** Whether stderr is a terminal (live progress line). */
  tty?: boolean;
  /** Seconds between progress lines when not a terminal. */
  plainInterval?: number;
  write?: (text: string) => void;
  now?: () => number;
  /** Width of the terminal, so the live line never wraps (a wrapped line cannot be erased). */
  columns?: () => number;
}

/** Formats a byte count ("12.3 MiB"). */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Formats a duration ("45s", "2m05s"). */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const whole = Math.ceil(s);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80; // stdout is not a terminal (e.g. --json piped): assume a common width
  }
}

/** The progress text: packages and bytes read, rate, ETA. */
export function progressText(p: Progress, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? p.bytes / elapsedSeconds : 0;
  const eta = rate > 0 ? (p.totalBytes - p.bytes) / rate : Infinity;
  return `reading packages ${p.done}/${p.total}, ${formatBytes(p.bytes)}/${
    formatBytes(p.totalBytes)
  }` +
    (elapsedSeconds > 0.5 ? `, ${formatBytes(rate)}/s, ETA ${formatSeconds(eta)}` : "");
}

/** A RunEvents writing to stderr. Call `finish()` before printing anything else. */
export class Reporter implements RunEvents {
  #o: Required<Omit<ReporterOptions, "write" | "now" | "columns">>;
  #write: (text: string) => void;
  #now: () => number;
  #columns: () => number;
  #start = 0;
  #lastPlain = 0;
  #live = false;
  #warned = new Set<string>();

  constructor(options: ReporterOptions = {}) {
    this.#o = {
      quiet: options.quiet ?? false,
      verbose: options.verbose ?? false,
      tty: options.tty ?? false,
      plainInterval: options.plainInterval ?? 5,
    };
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
    this.#now = options.now ?? (() => performance.now());
    this.#columns = options.columns ?? terminalColumns;
  }

  #line(text: string): void {
    this.finish();
    this.#write(redactUrls(text) + "\n");
  }

  info(message: string): void {
    if (!this.#o.quiet) this.#line(message);
  }

  detail(message: string): void {
    if (this.#o.verbose) this.#line(message);
  }

  /** Prints a warning; the same warning again (another PATH, a retry) is not repeated. */
  warn(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#line(`warning: ${message}`);
  }

  progress(p: Progress): void {
    if (this.#o.quiet) return;
    const now = this.#now();
    if (p.done <= 1 || this.#start === 0) this.#start = this.#start || now;
    const elapsed = (now - this.#start) / 1000;
    const text = progressText(p, elapsed);
    if (this.#o.tty) {
      this.#write(`\r\x1b[2K${text.slice(0, Math.max(10, this.#columns() - 1))}`);
      this.#live = true;
      if (p.done === p.total) this.finish();
    } else if (p.done === p.total || (now - this.#lastPlain) / 1000 >= this.#o.plainInterval) {
      this.#lastPlain = now;
      this.#write(text + "\n");
    }
  }

  /** Ends a live progress line. */
  finish(): void {
    if (this.#live) {
      this.#write("\r\x1b[2K");
      this.#live = false;
    }
  }
}
