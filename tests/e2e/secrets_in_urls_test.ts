/**
 * Credentials written into an endpoint URL or a PATH (`http://user:SECRET@host`) never appear
 * in what the CLI prints: errors, --verbose causes and stacks, --json.
 */
import assert from "node:assert/strict";
import { runCli } from "../_helpers/run_cli.ts";

const SECRET = "Sup3rSecretValue";

for (
  const [what, args, env] of [
    ["an endpoint that is no URL", ["--s3-endpoint", `http://user:${SECRET}@exa mple:9`], {}],
    ["AWS_ENDPOINT_URL that is no URL", [], { AWS_ENDPOINT_URL: `http://u:${SECRET}@a b` }],
    ["an endpoint nobody answers", ["--s3-endpoint", `http://user:${SECRET}@127.0.0.1:9`], {}],
  ] as const
) {
  for (const mode of [[], ["--verbose"], ["--json"]]) {
    Deno.test(`${what}: no secret in the output (${mode.join(" ") || "default"})`, async () => {
      const r = await runCli([...mode, ...args, "s3://bucket/prefix"], {
        env: {
          ...env,
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "not-the-secret",
          AWS_MAX_ATTEMPTS: "1",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^error: /m);
      assert.ok(!(r.stdout + r.stderr).includes(SECRET), r.stdout + r.stderr);
    });
  }
}

Deno.test("a PATH URL with credentials is refused without echoing them", async () => {
  const r = await runCli([`https://user:${SECRET}@example.org/repo`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /https:\/\/\*\*\*@example\.org\/repo/);
  assert.ok(!r.stderr.includes(SECRET), r.stderr);
});
