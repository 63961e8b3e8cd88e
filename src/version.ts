/** mkrepo's version, stamped at release time (kept equal to deno.json "version"). */
export const VERSION = "0.1.0";
