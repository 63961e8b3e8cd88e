/**
 * control.tar (already decompressed) → the text of its `control` member, from a stream or, for a
 * small one held whole, from its bytes (no streams: with the decompressing ones, they were ~85 of
 * the ~150 KB a tiny package cost the heap). The only importer of modern-tar. The tar is parsed in
 * strict mode (header checksums, the two-zero-block end, only zeros after it) and read to its
 * end, so a damaged control.tar is an error, not a half-read; both forms give the same errors.
 *
 * modern-tar quirks: without `strict` it silently skips corrupt headers and accepts truncated
 * archives; every entry body must be read or cancelled or the decoder stalls; it reports
 * problems as plain Errors ("Tar archive is truncated."), wrapped here with key and member.
 * @module
 */
import {
  createTarDecoder,
  type ParsedTarEntryWithData,
  type TarHeader,
  unpackTar,
} from "modern-tar";
import { MkrepoError } from "../../errors.ts";

/** Options of readControlFromTar. */
export interface ControlTarOptions {
  /** Object key named in errors. */
  key: string;
  /** Member name ("control.tar.xz") named in errors. */
  member: string;
  /** Largest control file accepted, in bytes (default 4 MiB). */
  maxControlSize?: number;
}

const DEFAULT_MAX_CONTROL = 4 * 1024 * 1024;

/** What both forms check of a tar entry named `control`, and the error they throw. */
function controlChecks(options: ControlTarOptions) {
  const { key, member } = options;
  const maxControl = options.maxControlSize ?? DEFAULT_MAX_CONTROL;
  const error = (reason: string, cause?: unknown) =>
    new MkrepoError({ code: "malformed-package", key, reason: `${member}: ${reason}`, cause });
  return {
    error,
    /** True for the control file's entry; throws for one that cannot be it. */
    isControl(header: TarHeader, seen: boolean): boolean {
      if (header.name.replace(/^(\.\/)+/, "") !== "control") return false;
      if (seen) throw error("more than one control file");
      if ((header.type ?? "file") !== "file") {
        throw error(`control is a ${header.type}, not a regular file`);
      }
      if (header.size > maxControl) {
        throw error(
          `control file of ${header.size} bytes is larger than the ${maxControl}-byte limit`,
        );
      }
      return true;
    },
    /** The control file's text. */
    text(control: Uint8Array | undefined): string {
      if (!control) throw error("no control file in it");
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(control);
      } catch (cause) {
        throw error("control file is not valid UTF-8", cause);
      }
    },
    /** A tar error of modern-tar's, named. */
    invalid(cause: unknown): MkrepoError {
      if (cause instanceof MkrepoError) return cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      return error(`invalid tar archive (${message.replace(/\.$/, "")})`, cause);
    },
  };
}

/** The `control` file of a whole control.tar held in memory, as text. */
export async function controlFromTarBytes(
  tar: Uint8Array,
  options: ControlTarOptions,
): Promise<string> {
  const checks = controlChecks(options);
  let entries: ParsedTarEntryWithData[];
  let seen = false;
  try {
    // Only the control file's entry is kept (and its body copied); the others are skipped.
    entries = await unpackTar(tar, {
      strict: true,
      filter: (header) => {
        if (!checks.isControl(header, seen)) return false;
        seen = true;
        return true;
      },
    });
  } catch (cause) {
    throw checks.invalid(cause);
  }
  return checks.text(entries[0]?.data);
}

/** Reads a control.tar stream to its end and returns the `control` file as text. */
export async function readControlFromTar(
  tar: ReadableStream<Uint8Array>,
  options: ControlTarOptions,
): Promise<string> {
  const checks = controlChecks(options);
  const decoder = createTarDecoder({ strict: true });
  let sourceError: unknown;
  // modern-tar fails its writable side on a truncated body but never ends the entry's body
  // stream: body reads race this promise so such a tar is an error, not a hang.
  let pipeFailed!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => (pipeFailed = reject));
  failed.catch(() => {});
  // Stopped when the read fails early: with the decoder no longer read, the pipe would wait on
  // its backpressure for ever (small decompressed chunks never fill it in one go).
  const stop = new AbortController();
  const piping = tar.pipeTo(decoder.writable, { signal: stop.signal }).catch((e) => {
    sourceError ??= e;
    pipeFailed(e);
  });
  let control: Uint8Array | undefined;
  try {
    for await (const entry of decoder.readable) {
      if (!checks.isControl(entry.header, control !== undefined)) {
        await entry.body.cancel();
        continue;
      }
      control = new Uint8Array(entry.header.size);
      let at = 0;
      const body = entry.body.getReader();
      try {
        for (;;) {
          const { value, done } = await Promise.race([body.read(), failed]);
          if (done) break;
          control.set(value, at);
          at += value.length;
        }
      } finally {
        body.releaseLock();
      }
    }
    await piping;
  } catch (cause) {
    stop.abort(cause);
    await piping;
    throw checks.invalid(sourceError instanceof MkrepoError ? sourceError : cause);
  }
  if (sourceError instanceof MkrepoError) throw sourceError;
  if (sourceError !== undefined) {
    throw checks.error(`invalid tar archive (${String(sourceError)})`, sourceError);
  }
  return checks.text(control);
}
