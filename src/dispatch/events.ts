/**
 * What the dispatch loop tells the rest of Rotor: metrics, usage and logs subscribe here instead of being
 * called from inside the loop. Tests assert on these events (or on the simulator's records), never on log text.
 */
import type { GeminiUsageMetadata } from '../types/gemini.js';

interface Base {
  /** The request's id (x-request-id). */
  requestId: string;
  model: string;
}

export type DispatchEvent =
  /** A credential was chosen for an attempt. */
  | (Base & { type: 'pick'; credential: string; route: string; attempt: number })
  /** An attempt ended: for a stream, when its first event arrived (or it failed before that). */
  | (Base & {
      type: 'attempt';
      credential: string;
      route: string;
      attempt: number;
      outcome: 'ok' | 'error';
      /** HTTP status of an upstream failure, or 0 for a network failure. */
      status?: number;
      /** rate | quota | capacity | auth | permission | transient | invalid | not-found */
      kind?: string;
      /** Whether the pool was told (false: the request's own fault, or it stopped the request). */
      blamed?: boolean;
      latencyMs: number;
      stream: boolean;
    })
  /** Every credential was out for a model; the next in MODEL_FALLBACKS is tried. */
  | (Base & { type: 'fallback'; to: string })
  /** A request served (or failed for good): the model that served and Google's token counts. */
  | (Base & {
      type: 'done';
      operation: 'generate' | 'stream' | 'countTokens' | 'embed';
      outcome: 'ok' | 'error';
      credential: string | undefined;
      route: string | undefined;
      /** Error class for failures: the HTTP status Rotor answers (429, 502…) or `client-abort`. */
      error?: string;
      usage?: GeminiUsageMetadata;
      latencyMs: number;
      /** The access token (its name) the request came with, if any. */
      token?: string;
    });

export type DispatchListener = (event: DispatchEvent) => void;

/** A tiny emitter: listeners are few and run synchronously; one that throws does not break the request. */
export class DispatchEvents {
  private listeners: DispatchListener[] = [];

  on(listener: DispatchListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get active(): boolean {
    return this.listeners.length > 0;
  }

  emit(event: DispatchEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a subscriber's bug must not fail a request */
      }
    }
  }
}
