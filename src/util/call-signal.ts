/**
 * Cancellation for one client request. Request code needs only `aborted` and abort listeners; a DOM
 * AbortSignal satisfies this interface, and so does ClientSignal, which costs a fraction of an
 * AbortController (whose signal, an EventTarget, was the largest single cost of a request in the bench).
 */
export interface CallSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A one-shot signal: listeners run once, on the first abort(). undici takes it as a request's `signal`. */
export class ClientSignal implements CallSignal {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
