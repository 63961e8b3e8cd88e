/**
 * The only reader of the environment: MKREPO_*, GPG_SIGN_KEY, signing key variables,
 * SOURCE_DATE_EPOCH and AWS_ENDPOINT_URL become a RunConfig next to the parsed flags.
 * @module
 */
import { MkrepoError } from "../errors.ts";

/** Settings that come from the environment. */
export interface RunConfig {
  debOrigin?: string;
  debLabel?: string;
  debDescription?: string;
  /** Armored private key (MKREPO_SIGNING_KEY). */
  signingKey?: string;
  signingPassphrase?: string;
  /** Key id in the user's gpg keyring (GPG_SIGN_KEY, as the original). */
  gpgSignKey?: string;
  /** Release Date from SOURCE_DATE_EPOCH, for reproducible output. */
  date?: Date;
  s3Endpoint?: string;
  /** The variable s3Endpoint comes from, for messages. */
  s3EndpointVariable?: "AWS_ENDPOINT_URL_S3" | "AWS_ENDPOINT_URL";
}

function get(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === "" ? undefined : v;
  } catch {
    return undefined; // no --allow-env for this variable
  }
}

/** Reads the environment. */
export function readConfig(): RunConfig {
  const epoch = get("SOURCE_DATE_EPOCH");
  let date: Date | undefined;
  if (epoch !== undefined) {
    if (!/^\d+$/.test(epoch)) {
      throw new MkrepoError({
        code: "usage",
        reason: `SOURCE_DATE_EPOCH must be a number of seconds, not "${epoch}"`,
      });
    }
    date = new Date(Number(epoch) * 1000);
  }
  const endpointVariable = (["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] as const)
    .find((name) => get(name) !== undefined);
  return {
    debOrigin: get("MKREPO_DEB_ORIGIN"),
    debLabel: get("MKREPO_DEB_LABEL"),
    debDescription: get("MKREPO_DEB_DESCRIPTION"),
    signingKey: get("MKREPO_SIGNING_KEY"),
    signingPassphrase: get("MKREPO_SIGNING_PASSPHRASE"),
    gpgSignKey: get("GPG_SIGN_KEY"),
    date,
    s3Endpoint: endpointVariable && get(endpointVariable),
    s3EndpointVariable: endpointVariable,
  };
}
