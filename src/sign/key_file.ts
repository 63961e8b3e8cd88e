/**
 * Reading a key file named on the command line (--sign-key-file, --verify-key, or a signer's
 * `keyFile`): one read, one error shape naming the path.
 * @module
 */
import { type ErrorCode, MkrepoError } from "../errors.ts";

/** How a failed read is reported. */
export interface KeyFileErrors {
  /** Code of the error. */
  code: ErrorCode;
  /** Code when the file does not exist (default: `code`). */
  notFound?: ErrorCode;
  /** What was being done ("read key file"). */
  action: string;
}

/** Reads a key file's bytes; a failure is a MkrepoError naming the path. */
export async function readKeyFile(path: string, errors: KeyFileErrors): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    throw new MkrepoError({
      code: cause instanceof Deno.errors.NotFound ? errors.notFound ?? errors.code : errors.code,
      key: path,
      action: errors.action,
      reason: cause instanceof Error ? cause.message : String(cause),
      cause,
    });
  }
}

/** Reads a key file as text (an armored key); failures as readKeyFile. */
export async function readKeyText(path: string, errors: KeyFileErrors): Promise<string> {
  return new TextDecoder().decode(await readKeyFile(path, errors));
}
