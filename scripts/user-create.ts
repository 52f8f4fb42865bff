/**
 * Creates a console user for an account, on the database `npm start` uses (SPEC §2 data folder):
 *   npm run user:create -- --account acc_... --email ops@acme.example
 * prints a generated password once; with `--password-stdin` the password is read from stdin.
 */
import { parseArgs } from "node:util";
import { text } from "node:stream/consumers";
import { loadConfig, openProcessDatabase } from "@hookline/gateway";
import { createConsoleUser, MIN_PASSWORD_LENGTH } from "@hookline/console";

const { values } = parseArgs({
  options: {
    account: { type: "string" },
    email: { type: "string" },
    "password-stdin": { type: "boolean", default: false },
  },
});
if (!values.account || !values.email) {
  console.error("usage: npm run user:create -- --account <acc_...> --email <email> [--password-stdin]");
  process.exit(2);
}
const password = values["password-stdin"] ? (await text(process.stdin)).replace(/\r?\n$/, "") : undefined;

const config = loadConfig();
const database = await openProcessDatabase(config.database);
try {
  const r = await createConsoleUser(database.store, {
    accountId: values.account,
    email: values.email,
    password,
  });
  if (!r.ok) {
    const why = {
      no_account: `no account ${values.account} in the database`,
      duplicate_email: `${values.email} already has a console user`,
      weak_password: `the password needs at least ${MIN_PASSWORD_LENGTH} characters`,
    }[r.reason];
    console.error(`user:create: ${why}`);
    process.exitCode = 1;
  } else {
    console.log(`created console user ${r.user.email} (${r.user.id}) for account ${r.user.accountId}`);
    if (r.password) console.log(`password (shown once): ${r.password}`);
  }
} finally {
  await database.close();
}
