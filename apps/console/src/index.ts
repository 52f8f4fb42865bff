export { createConsoleApp, notFoundResponse } from "./app.js";
export type { ConsoleApp, CreateConsoleAppOptions } from "./app.js";
export type { ConsoleConfig } from "./context.js";
export { ApiError } from "./errors.js";
export { databaseGuard } from "./database-guard.js";
export type { ApiErrorCode } from "./errors.js";
export { hashPassword, verifyPassword } from "./passwords.js";
export { createConsoleUser, MIN_PASSWORD_LENGTH } from "./console-users.js";
export type { CreateConsoleUserResult } from "./console-users.js";
