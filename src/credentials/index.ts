/** Credentials: OAuth user credential files, loading, token refresh and Code Assist project discovery. */
export { CredentialError, ProjectDiscoveryError } from './errors.js';
export type { CredentialErrorKind, ProjectDiscoveryErrorCode } from './errors.js';
export { parseCredentialJson, serializeCredential, parseExpiry, formatExpiry } from './format.js';
export type { CredentialFormat, ParsedCredential } from './format.js';
export { createOAuthCredential, GOOGLE_TOKEN_URL, DEFAULT_REFRESH_THRESHOLD_MS } from './oauth-credential.js';
export type { CredentialSource, OAuthCredential, OAuthCredentialDeps } from './oauth-credential.js';
export { loadCredentials, readCredentialFile, isEnvListSet, CREDENTIAL_FILE_PATTERN } from './load.js';
export type { CredentialsOptions, LoadResult } from './load.js';
export { discoverProject } from './project-discovery.js';
export type { DiscoverProjectInput, DiscoveredProject } from './project-discovery.js';
export { ensureProject } from './ensure-project.js';
export { startBackgroundRefresh } from './background-refresh.js';
export type { BackgroundRefreshOptions } from './background-refresh.js';
export { watchCredentialFolder } from './watch.js';
export type { FolderWatch, FolderWatchHandlers, FolderWatchOptions } from './watch.js';
export type { FileState } from './credential-file.js';
export { loadApiKeys, createApiKeyCredential, isApiKeyEntry, API_KEY_FILE_PATTERN } from './api-key.js';
export type { ApiKeyCredential, ApiKeyLoadResult } from './api-key.js';
