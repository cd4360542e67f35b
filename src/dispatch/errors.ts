/** No credential can serve the request right now. */
export class NoCredentialError extends Error {
  override readonly name = 'NoCredentialError';
  constructor(
    message: string,
    /** 429 while quotas are out; 502/503/504 when credentials fail or none is usable. */
    readonly status: 429 | 502 | 503 | 504,
    readonly retryAfterMs: number | undefined,
    /** False when waiting will not help (no credentials configured, all disabled): clients should not retry. */
    readonly retryable = true,
    /** A short machine-readable code for clients (`all_credentials_cooling_down`, `no_usable_credentials`…). */
    readonly code = status === 429 ? 'all_credentials_cooling_down' : 'no_usable_credentials',
  ) {
    super(message);
  }
}
