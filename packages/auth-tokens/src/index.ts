export { signAccountToken, verifyAccountToken } from "./account-tokens.js";
export type { AccountTokenClaims, VerifyAccountTokenResult } from "./account-tokens.js";
export { ensureOperatorToken, ensureTokenSecret } from "./secret-files.js";
export type { OperatorToken } from "./secret-files.js";
export { openSecret, sealSecret, trunkSecretContext } from "./sealed-secrets.js";
