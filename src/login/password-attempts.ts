/**
 * A budget of wrong passwords per client: at most `maxFailures` in any `windowMs` (a sliding window),
 * then the client waits until its oldest failure leaves the window. The per-request delay only slows one
 * connection down; this stops a client that opens many. Memory is bounded: at most `maxClients` are
 * tracked, the least recently failing one forgotten first.
 */

export interface PasswordAttemptOptions {
  /** Default 10. */
  maxFailures?: number | undefined;
  /** Default 15 minutes. */
  windowMs?: number | undefined;
  /** Default 10,000. */
  maxClients?: number | undefined;
  now?: (() => number) | undefined;
}

export interface PasswordAttempts {
  /** How long this client must wait before its next attempt is even checked; 0 when it may try now. */
  retryAfterMs(client: string): number;
  /** Records a wrong password; returns true when this failure used up the client's budget. */
  fail(client: string): boolean;
  /** The right password: the client's earlier failures are forgiven. */
  succeed(client: string): void;
  /** Clients currently tracked. */
  readonly size: number;
}

export function createPasswordAttempts(options: PasswordAttemptOptions = {}): PasswordAttempts {
  const max = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  // client -> times of its failures still in the window, oldest first (at most `max` of them).
  // Map order is the eviction order: a client is re-inserted at each failure.
  const failures = new Map<string, number[]>();

  const recent = (client: string, t: number): number[] => {
    const times = (failures.get(client) ?? []).filter((at) => t - at < windowMs);
    if (times.length === 0) failures.delete(client);
    return times;
  };

  return {
    retryAfterMs(client) {
      const t = now();
      const times = recent(client, t);
      return times.length < max ? 0 : times[0]! + windowMs - t;
    },
    fail(client) {
      const t = now();
      const times = [...recent(client, t), t].slice(-max);
      failures.delete(client);
      failures.set(client, times);
      for (const oldest of failures.keys()) {
        if (failures.size <= maxClients) break;
        failures.delete(oldest);
      }
      return times.length >= max;
    },
    succeed(client) {
      failures.delete(client);
    },
    get size() {
      return failures.size;
    },
  };
}

/**
 * The key a client's attempts are counted under: its IPv4 address, or the /64 prefix of its IPv6 address
 * (one host usually holds a whole /64, so counting single addresses would give it 2^64 budgets).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address.replace(/%.*$/, ''));
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

/** The eight 16-bit groups of an IPv6 address (hex, no leading zeros), or undefined if it is not one. */
function expandIpv6(address: string): string[] | undefined {
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  // A dotted IPv4 tail (::1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const last = tail.length ? tail : head;
  const dotted = last.length ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(last[last.length - 1]!) : null;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    last.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}
