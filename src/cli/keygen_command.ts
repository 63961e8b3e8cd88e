/**
 * `mkrepo keygen`: a new signing key pair, written to PREFIX.key/PREFIX.asc or printed.
 * @module
 */
import type { CliOptions } from "./args.ts";
import { MkrepoError } from "../errors.ts";
import { generateKey } from "../sign/keygen.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function keyFileExists(file: string, files: string[]): MkrepoError {
  return new MkrepoError({
    code: "usage",
    action: "write key file",
    key: file,
    reason: "it already exists",
    hint: `choose another --out PREFIX, or remove ${files.join(" and ")} if you mean to replace ` +
      "the key",
  });
}

/** Writes a file that must not exist yet (keygen never overwrites a key). */
async function writeNew(file: string, text: string, files: string[], mode?: number) {
  try {
    await Deno.writeTextFile(file, text, { mode, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw keyFileExists(file, files);
    throw err;
  }
}

/**
 * Runs `mkrepo keygen`: writes PREFIX.key and PREFIX.asc with `--out` (never over existing
 * files), else returns both armored keys for stdout.
 */
export async function runKeygen(opts: CliOptions): Promise<string | undefined> {
  const { name, email, type, out } = opts.keygen;
  if (!name || !email) {
    throw new MkrepoError({
      code: "usage",
      action: "create key",
      reason: "keygen needs --name and --email",
      hint: 'e.g. mkrepo keygen --name "My Repo" --email repo@example.com --out signing',
    });
  }
  const files = out ? [`${out}.key`, `${out}.asc`] : [];
  for (const file of files) {
    if (await exists(file)) throw keyFileExists(file, files);
  }
  const key = await generateKey({ name, email, type });
  if (out) {
    await writeNew(`${out}.key`, key.privateKeyArmored, files, 0o600);
    await writeNew(`${out}.asc`, key.publicKeyArmored, files);
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `Wrote ${out}.key (private; keep it secret, e.g. in MKREPO_SIGNING_KEY) and ${out}.asc (public)\n` +
          `Fingerprint: ${key.fingerprint}\n`,
      ),
    );
    return undefined;
  }
  return key.privateKeyArmored + key.publicKeyArmored;
}
