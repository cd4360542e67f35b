/**
 * Injected faults. Rules apply in the order injected; 'stall' and 'cut-stream' modify a request and let later
 * rules run, every other kind answers the request itself. Each hit consumes one of the rule's `times`.
 * A rule without `method` hits generateContent and streamGenerateContent only.
 */
import type { ServerResponse } from 'node:http';
import { destroyOnPurpose, sendJson, sendRpc } from './http-io.js';
import {
  capacityExhausted,
  quotaExhausted,
  rateLimited,
  rpcError,
  unauthenticated,
  type RpcError,
} from './rpc-errors.js';
import type { SimFault, SimFaultRule } from './types.js';

export interface FaultContext {
  method: string;
  email?: string;
  /** The Gemini API key as sent (unmasked), for rules with `apiKey`. */
  apiKey?: string;
  project?: string;
  model?: string;
}

export type TerminalFault = Exclude<SimFault, { type: 'stall' } | { type: 'cut-stream' }>;

export interface FaultPlan {
  stallMs: number;
  cutAfterEvents?: number;
  terminal?: TerminalFault;
}

interface ActiveRule {
  rule: SimFaultRule;
  remaining: number;
}

export class FaultBook {
  private rules: ActiveRule[] = [];

  add(rule: SimFaultRule): void {
    this.rules.push({ rule: structuredClone(rule), remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  list(): SimFaultRule[] {
    return this.rules.map((r) => structuredClone(r.rule));
  }

  /** Consumes the rules that hit this request and says what to do with it. */
  plan(ctx: FaultContext): FaultPlan {
    const plan: FaultPlan = { stallMs: 0 };
    for (const active of this.rules) {
      if (active.remaining <= 0 || !matches(active.rule, ctx)) continue;
      const fault = active.rule.fault;
      // A cut only makes sense on a stream; leave the rule for the next streamed request.
      if (fault.type === 'cut-stream' && ctx.method !== 'streamGenerateContent') continue;
      active.remaining -= 1;
      if (fault.type === 'stall') plan.stallMs += fault.ms;
      else if (fault.type === 'cut-stream') plan.cutAfterEvents ??= fault.afterEvents;
      else {
        plan.terminal = fault;
        break;
      }
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return plan;
  }
}

/** Without `method`, a rule hits generation calls only, so it never breaks token refresh or setup by surprise. */
const DEFAULT_METHODS = new Set(['generateContent', 'streamGenerateContent']);

function matches(rule: SimFaultRule, ctx: FaultContext): boolean {
  if (rule.method === undefined ? !DEFAULT_METHODS.has(ctx.method) : rule.method !== ctx.method) return false;
  if (rule.email !== undefined && rule.email !== ctx.email) return false;
  if (rule.apiKey !== undefined && rule.apiKey !== ctx.apiKey) return false;
  if (rule.project !== undefined && rule.project !== ctx.project) return false;
  if (rule.model !== undefined && rule.model !== ctx.model) return false;
  return true;
}

/** Builds the reply of a terminal fault. */
export function faultError(fault: Exclude<TerminalFault, { type: 'reset' }>, ctx: FaultContext, now: number): RpcError | { raw: unknown; status: number } {
  const model = ctx.model ?? 'gemini-2.5-pro';
  switch (fault.type) {
    case 'status':
      return fault.body === undefined ? rpcError(fault.status) : { raw: fault.body, status: fault.status };
    case 'rate-limit':
      return rateLimited(model, fault.retryDelayMs ?? 1000, now);
    case 'quota-exhausted':
      return quotaExhausted(model, fault.resetInMs ?? 6 * 60 * 60 * 1000, now);
    case 'capacity':
      return capacityExhausted(model, fault.status ?? 429);
    case 'unauthenticated':
      return unauthenticated('ACCESS_TOKEN_EXPIRED', ctx.method);
  }
}

/** Answers a request with a terminal fault; 'reset' destroys the socket before any byte. */
export function sendFault(res: ServerResponse, fault: TerminalFault, ctx: FaultContext, now: number): void {
  if (fault.type === 'reset') return destroyOnPurpose(res);
  const reply = faultError(fault, ctx, now);
  if ('raw' in reply) {
    if (typeof reply.raw === 'string') {
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(reply.raw);
    } else sendJson(res, reply.status, reply.raw);
    return;
  }
  sendRpc(res, reply);
}
