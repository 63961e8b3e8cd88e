/**
 * control.tar (already decompressed) → the text of its `control` member. The only importer of
 * modern-tar. The tar is parsed in strict mode (header checksums, the two-zero-block end, only
 * zeros after it) and read to its end, so a damaged control.tar is an error, not a half-read.
 *
 * modern-tar quirks: without `strict` it silently skips corrupt headers and accepts truncated
 * archives; every entry body must be read or cancelled or the decoder stalls; it reports
 * problems as plain Errors ("Tar archive is truncated."), wrapped here with key and member.
 * @module
 */
import { createTarDecoder } from "modern-tar";
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

/** Reads a control.tar stream to its end and returns the `control` file as text. */
export async function readControlFromTar(
  tar: ReadableStream<Uint8Array>,
  options: ControlTarOptions,
): Promise<string> {
  const { key, member } = options;
  const maxControl = options.maxControlSize ?? DEFAULT_MAX_CONTROL;
  const error = (reason: string, cause?: unknown) =>
    new MkrepoError({ code: "malformed-package", key, reason: `${member}: ${reason}`, cause });

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
      const name = entry.header.name.replace(/^(\.\/)+/, "");
      if (name !== "control") {
        await entry.body.cancel();
        continue;
      }
      if (control) throw error("more than one control file");
      if ((entry.header.type ?? "file") !== "file") {
        throw error(`control is a ${entry.header.type}, not a regular file`);
      }
      if (entry.header.size > maxControl) {
        throw error(
          `control file of ${entry.header.size} bytes is larger than the ${maxControl}-byte limit`,
        );
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
    const first = sourceError instanceof MkrepoError ? sourceError : cause;
    if (first instanceof MkrepoError) throw first;
    const message = first instanceof Error ? first.message : String(first);
    throw error(`invalid tar archive (${message.replace(/\.$/, "")})`, first);
  }
  if (sourceError instanceof MkrepoError) throw sourceError;
  if (sourceError !== undefined) {
    throw error(`invalid tar archive (${String(sourceError)})`, sourceError);
  }
  if (!control) throw error("no control file in it");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(control);
  } catch (cause) {
    throw error("control file is not valid UTF-8", cause);
  }
}
