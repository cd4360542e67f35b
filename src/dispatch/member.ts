/** A credential as the pool and the dispatch loop see it: the credential, its route entry, its quota key. */
import type { QuotaMember } from '../pool/quota.js';
import type { RouteCredential, RouteEntry } from '../upstream/registry.js';

/** The credential surface dispatch needs (satisfied by OAuth credentials and API keys). */
export interface DispatchCredential extends RouteCredential {
  readonly disabledReason: string | undefined;
  /** A new token; given the token a server rejected, a newer one already in hand is returned instead. */
  refresh(rejected?: string): Promise<string>;
  /** The current token or key for display, e.g. `ya29…x9Q` (empty before the first token). */
  maskedAccessToken(): string;
  /** The quota tier, when known (an API key's declared tier); selects configured limits. */
  readonly tier?: string | undefined;
}

export class Member implements QuotaMember {
  readonly quotaKey: string;
  constructor(
    readonly credential: DispatchCredential,
    readonly entry: RouteEntry,
  ) {
    // Stable for the member's life: the key follows the account (Code Assist) or the key's project.
    this.quotaKey = entry.quotaKey(credential);
  }
  get id() {
    return this.credential.id;
  }
  get email() {
    return this.credential.email;
  }
  get projectId() {
    return this.credential.projectId;
  }
  get route() {
    return this.credential.route;
  }
  get disabledReason() {
    return this.credential.disabledReason;
  }
  get tier() {
    return this.credential.tier;
  }
  getAccessToken() {
    return this.credential.getAccessToken();
  }
  cachedAccessToken() {
    return this.credential.cachedAccessToken?.();
  }
}
