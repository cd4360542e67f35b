/** Adding accounts: the browser login flow (`--gen-creds`), `rotor import`, and the canonical credential files. */
export { LoginError } from './errors.js';
export type { LoginErrorCode, LoginErrorLink } from './errors.js';
export { createLoginFlow, parseRedirectUrl, callbackParams } from './login-flow.js';
export type { CallbackParams, LoginFlow, LoginFlowOptions, LoginSuccess, PendingLogin } from './login-flow.js';
export {
  createCredentialStore,
  canonicalCredentialJson,
  credentialFileName,
  listStoredAccounts,
} from './credential-store.js';
export type { CanonicalCredential, CredentialStore, SavedCredential, StoredAccount } from './credential-store.js';
export { importCredentialFile } from './import-credentials.js';
export type { ImportOptions, ImportOutcome } from './import-credentials.js';
export { LOGIN_SCOPES } from './google-oauth.js';
