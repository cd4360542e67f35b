/** The wrong-password budget: a sliding window per client, bounded memory, an injected clock. */
import { describe, expect, it } from 'vitest';
import { clientKey, createPasswordAttempts } from '../../src/login/password-attempts.js';

const MIN = 60_000;

describe('password attempts', () => {
  it('allows maxFailures in any window, then says how long to wait for the oldest to leave it', () => {
    let t = 0;
    const a = createPasswordAttempts({ maxFailures: 3, windowMs: 15 * MIN, now: () => t });
    expect(a.fail('c')).toBe(false);
    t = 5 * MIN;
    expect(a.fail('c')).toBe(false);
    expect(a.retryAfterMs('c')).toBe(0);
    t = 6 * MIN;
    expect(a.fail('c')).toBe(true);
    expect(a.retryAfterMs('c')).toBe(9 * MIN);
    expect(a.retryAfterMs('other')).toBe(0);
    // The first failure leaves the window: one more attempt, and the next wait runs to the second's end.
    t = 15 * MIN;
    expect(a.retryAfterMs('c')).toBe(0);
    expect(a.fail('c')).toBe(true);
    expect(a.retryAfterMs('c')).toBe(5 * MIN);
  });

  it('forgives a client that gets the password right, and forgets clients whose failures have all expired', () => {
    let t = 0;
    const a = createPasswordAttempts({ maxFailures: 2, windowMs: MIN, now: () => t });
    a.fail('c');
    a.succeed('c');
    expect(a.fail('c')).toBe(false);
    a.fail('d');
    expect(a.size).toBe(2);
    t = MIN;
    expect(a.retryAfterMs('c')).toBe(0);
    expect(a.retryAfterMs('d')).toBe(0);
    expect(a.size).toBe(0);
  });

  it('tracks at most maxClients, forgetting the one that failed longest ago', () => {
    const a = createPasswordAttempts({ maxFailures: 1, maxClients: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) a.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(a.size).toBe(100);
    expect(a.retryAfterMs('10.0.0.0')).toBe(0);
    expect(a.retryAfterMs('10.0.3.231')).toBeGreaterThan(0);
  });
});

describe('clientKey', () => {
  it('counts IPv4 (also IPv4-mapped) by address and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});
