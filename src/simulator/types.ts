/**
 * Public types of the Google simulator: a local fake of Google's OAuth, userinfo, Code Assist and public
 * Gemini API (/v1beta, API keys) endpoints.
 * The simulator is "Google, not Rotor": nothing here is imported from, or shared with, the rest of src/.
 */

/** Limits of one model. A window left out is unlimited; 0 means the model has no quota at all (every request 429s). */
export interface SimQuotaLimits {
  /** Requests per window (`rateWindowMs`, default a minute), sliding. */
  rpm?: number;
  /** Requests per day: to midnight Pacific on the Gemini API, to UTC midnight on Code Assist. */
  rpd?: number;
  /** Input tokens per window (`rateWindowMs`), sliding: each request's prompt tokens, as countTokens counts them. */
  tpm?: number;
}

/**
 * Limits per model id (`gemini-2.5-flash`; a `models/` prefix is dropped), `'*'` for every model without its own
 * entry. Each window falls back on its own: `{'gemini-2.5-pro': {rpm: 2}, '*': {rpd: 50}}` gives Pro 2 per minute
 * and 50 a day.
 */
export type SimQuotas = Record<string, SimQuotaLimits>;

/** The quota windows, as `SimCall.quotaExceeded` and `SimQuotaStats.byWindow` name them. */
export type SimQuotaWindow = 'rpm' | 'rpd' | 'tpm';

/** How loadCodeAssist and the model calls treat an account (see `SimAccountInput.scenario`). */
export type SimScenario = 'ok' | 'needs-project' | 'validation-required' | 'ineligible' | 'unsupported-client';

/** One Google account the simulator knows. Only `email` is required; the rest has realistic defaults. */
export interface SimAccountInput {
  email: string;
  /** Default: `1//sim-refresh-<email>`. */
  refreshToken?: string;
  /** The Code Assist project (cloudaicompanionProject). Default: `sim-project-<local part>`. */
  projectId?: string;
  /** Default true. false: loadCodeAssist offers tiers but no currentTier, and onboardUser runs an LRO. */
  onboarded?: boolean;
  /** Default 'free-tier'. */
  tier?: 'free-tier' | 'standard-tier' | 'legacy-tier';
  /**
   * loadCodeAssist scenarios (docs/google-protocols.md#project-discovery). Default 'ok'. 'unsupported-client': a "Code Assist for
   * individuals" account (free, Google One AI Pro / Ultra) after Google retired that tier for gemini-cli and
   * third-party clients on 2026-06-18: loadCodeAssist names no current tier and an UNSUPPORTED_CLIENT
   * ineligible tier; model calls answer 403 with ErrorInfo reason UNSUPPORTED_CLIENT.
   */
  scenario?: SimScenario;
  /** refresh_token grant answers 400 invalid_grant. */
  revoked?: boolean;
  /** authorization_code grant returns no refresh_token. */
  noRefreshToken?: boolean;
  /** Per-model requests per window (`rateWindowMs`), every model. Default unlimited. */
  rpm?: number;
  /** Per-model requests per UTC day, every model. Default unlimited. */
  rpd?: number;
  /**
   * The account's limits per model (rpm / rpd / tpm), before its flat rpm / rpd and the simulator-wide `quotas`.
   * An update that names `quotas` replaces the whole table (`undefined` removes it).
   */
  quotas?: SimQuotas;
}

/** One Gemini API key. Quotas belong to the project: keys of one project share its buckets. */
export interface SimApiKeyInput {
  key: string;
  projectId: string;
  /** The project's per-model requests per window (`rateWindowMs`); the last key to set it wins. */
  rpm?: number;
  /** The project's per-model requests per day, reset at midnight Pacific time. */
  rpd?: number;
  /**
   * The project's limits per model (rpm / rpd / tpm), before its flat rpm / rpd and the simulator-wide `quotas`.
   * Project-wide like rpm / rpd: the last key to name `quotas` sets the whole table (`undefined` removes it).
   */
  quotas?: SimQuotas;
  /**
   * A standard Gemini API key Google no longer accepts (since September 2026): every /v1beta call made with
   * it answers 401 UNAUTHENTICATED, ErrorInfo reason ACCESS_TOKEN_TYPE_UNSUPPORTED. Default false; an upsert that
   * leaves it out keeps the key's current setting.
   */
  rejected?: boolean;
}

export type SimFault =
  | { type: 'status'; status: number; body?: unknown }
  | { type: 'rate-limit'; retryDelayMs?: number }
  | { type: 'quota-exhausted'; resetInMs?: number }
  | { type: 'capacity'; status?: 429 | 503 }
  | { type: 'unauthenticated' }
  | { type: 'reset' }
  | { type: 'cut-stream'; afterEvents: number }
  | { type: 'stall'; ms: number };

export type SimMethod =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'loadCodeAssist'
  | 'onboardUser'
  | 'token'
  | 'userinfo'
  | 'embedContent'
  | 'batchEmbedContents'
  | 'listModels'
  | 'getModel';

/** A fault and the requests it hits. Rules apply in the order injected. */
export interface SimFaultRule {
  fault: SimFault;
  /** Only requests authenticated as this account (Code Assist and OAuth). */
  email?: string;
  /** Only Gemini API requests made with this key. */
  apiKey?: string;
  /** Only requests for this project: the Code Assist body's `project`, or the API key's project. */
  project?: string;
  model?: string;
  method?: SimMethod;
  /** How many matching requests it hits; default unlimited until cleared. */
  times?: number;
}

export interface SimulatorOptions {
  accounts?: SimAccountInput[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Delay before response headers on model calls. Default 0. */
  latencyMs?: number;
  /** Number of SSE events a streamed reply is split into. Default 3, at least 2. */
  streamEvents?: number;
  /** Delay between stream events. Default 0. */
  streamIntervalMs?: number;
  /** Default 3599. */
  accessTokenTtlSec?: number;
  /** Length of the "minute" for rpm and tpm quotas. Default 60000. */
  rateWindowMs?: number;
  /** Known model ids. Default: DEFAULT_SIM_MODELS. */
  models?: string[];
  /** Embedding models of the Gemini API (Code Assist has none). Default: DEFAULT_SIM_EMBEDDING_MODELS. */
  embeddingModels?: string[];
  /** Gemini API keys accepted on /v1beta. */
  apiKeys?: SimApiKeyInput[];
  /** Clock used for token expiry, codes and quotas. Default Date.now. */
  now?: () => number;
  /**
   * Default limits per model for every Gemini API project and every Code Assist account, under what each sets
   * itself (its `quotas`, then its flat rpm / rpd). E.g. `{'*': {rpm: 5, rpd: 100, tpm: 20000}}`. Default none.
   */
  quotas?: SimQuotas;
}

export interface SimCallFilter {
  method?: string;
  email?: string;
  route?: 'code-assist' | 'gemini-api';
  project?: string;
  /** Only calls answered with this HTTP status (e.g. 429). */
  status?: number;
}

/** One logged request. */
export interface SimCall {
  method: string;
  /** Set on model-API calls: which of Google's surfaces was called. */
  route?: 'code-assist' | 'gemini-api';
  email?: string;
  /** Gemini API: the key as sent, masked (`AIza...wxyz`). */
  apiKey?: string;
  model?: string;
  project?: string;
  body: unknown;
  at: number;
  /** The answer's HTTP status, once sent; absent while in flight and when the connection closed before one. */
  status?: number;
  /** A model call the quotas let through: its input tokens, as booked against `tpm`. */
  inputTokens?: number;
  /** A 429 from the simulated quotas (not from a fault): every window the request would have overrun. */
  quotaExceeded?: SimQuotaWindow[];
  /** A stream: when each event was written (performance.now(), ms), so tests read its pacing without a clock of their own. */
  eventsAt?: number[];
}

/**
 * Counters of the quota-consuming model calls (generateContent, streamGenerateContent, embedContent,
 * batchEmbedContents) of one bucket and model, since the last resetStats.
 */
export interface SimQuotaStats {
  /** Calls received, whatever the answer (a refused key, a 400 and a fault count too). */
  requests: number;
  /** Calls the quotas let through and booked. */
  served: number;
  /** Input tokens of the served calls. */
  inputTokens: number;
  /** Calls answered 429, whatever the cause (quota or injected fault). */
  status429: number;
  /** 429s from the simulated quotas. */
  quota429: number;
  /** Quota 429s per window named; a 429 naming several windows counts under each. */
  byWindow: Record<SimQuotaWindow, number>;
  /** Quota 429s naming a limit of 0 (a model without quota). */
  limitZero: number;
}

export interface SimStats {
  /** All buckets and models together. */
  total: SimQuotaStats;
  /** bucket (`key:<projectId>` for the Gemini API, the account email for Code Assist, '(none)') -> model -> counters. */
  buckets: Record<string, Record<string, SimQuotaStats>>;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Equals `url`: clients append `/v1internal:<method>` like CODE_ASSIST_ENDPOINT. */
  readonly codeAssistEndpoint: string;
  /** Equals `url`: clients append `/v1beta/models/...` like GEMINI_API_BASE_URL. */
  readonly geminiApiBaseUrl: string;
  readonly tokenUrl: string;
  readonly authUrl: string;
  readonly userinfoUrl: string;
  /** Adds an account, or updates it when the email is already known. */
  addAccount(a: SimAccountInput): void;
  /** Throws for an unknown email. */
  updateAccount(email: string, patch: Partial<SimAccountInput>): void;
  /** Adds a Gemini API key, or moves it to another project / changes its project's limits / rejects it. */
  addApiKey(k: SimApiKeyInput): void;
  /** The key stops working (400 API_KEY_INVALID), as a deleted key does. */
  removeApiKey(key: string): void;
  injectFault(rule: SimFaultRule): void;
  clearFaults(): void;
  /** The request log (the last 5000). */
  calls(filter?: SimCallFilter): SimCall[];
  /**
   * who -> method -> count. `who` is the account email for OAuth / Code Assist traffic, `key:<projectId>` for
   * Gemini API traffic with a known key (valid or rejected), and '(none)' for requests with no known account or key.
   */
  counts(): Record<string, Record<string, number>>;
  /** Quota counters per bucket and model (upstream 429s per request, requests served). */
  stats(): SimStats;
  /** Clears calls, counts, stats, aborted and ended (not the quotas' bookings). */
  resetStats(): void;
  /** Replaces the simulator-wide default quotas (`SimulatorOptions.quotas`). */
  setQuotas(quotas: SimQuotas): void;
  /** Forgets every booking, so all windows start empty (limits stay). */
  resetQuotaUsage(): void;
  /** How many requests the client abandoned before the reply was complete (reset / cut faults excluded). */
  aborted(): number;
  /** How many requests have ended, whichever way (answered, abandoned, cut): `aborted()` is final for each by then. */
  ended(): number;
  /** Access tokens issued to that account, oldest first. */
  issuedTokens(email: string): string[];
  close(): Promise<void>;
}

export const DEFAULT_SIM_MODELS: readonly string[] = [
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-3-pro-preview',
  'gemini-3-flash-preview',
  'gemini-3.1-pro-preview',
];

export const DEFAULT_SIM_EMBEDDING_MODELS: readonly string[] = ['gemini-embedding-001', 'text-embedding-004'];
