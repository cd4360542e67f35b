import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseIPv6 } from '../../src/media/address-guard.js';
import { isPublicAddress as fromFetcher } from '../../src/media/fetch-media.js';

/** Each non-public IPv4 range: its first and last address, and one inside. */
const PRIVATE_V4: Record<string, string[]> = {
  '0.0.0.0/8': ['0.0.0.0', '0.1.2.3', '0.255.255.255'],
  '10.0.0.0/8': ['10.0.0.0', '10.20.30.40', '10.255.255.255'],
  '100.64.0.0/10': ['100.64.0.0', '100.100.100.100', '100.127.255.255'],
  '127.0.0.0/8': ['127.0.0.0', '127.0.0.1', '127.255.255.255'],
  '169.254.0.0/16': ['169.254.0.0', '169.254.169.254', '169.254.255.255'],
  '172.16.0.0/12': ['172.16.0.0', '172.20.1.1', '172.31.255.255'],
  '192.0.0.0/24': ['192.0.0.0', '192.0.0.170', '192.0.0.255'],
  '192.168.0.0/16': ['192.168.0.0', '192.168.1.1', '192.168.255.255'],
  '198.18.0.0/15': ['198.18.0.0', '198.19.1.1', '198.19.255.255'],
  '224.0.0.0/4': ['224.0.0.0', '224.0.0.251', '239.255.255.255'],
  '240.0.0.0/4': ['240.0.0.0', '250.1.2.3', '255.255.255.254'],
  '255.255.255.255': ['255.255.255.255'],
};

/** Public addresses, among them the neighbours just outside the ranges above. */
const PUBLIC_V4 = [
  '1.1.1.1', '8.8.8.8', '93.184.216.34', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0',
  '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0',
  '192.0.1.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255',
];

const PRIVATE_V6 = [
  '::', '::1', '0:0:0:0:0:0:0:1', 'fc00::1', 'fd12:3456:789a::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::1', 'fe80::1%eth0', 'febf:ffff::1', 'fec0::1', 'ff02::1', 'ff0e::101', '100::1', '64:ff9b:1::a00:1',
];

const PUBLIC_V6 = ['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:82a::200e', '[2606:4700:4700::1001]'];

/** Two hextets carrying an IPv4 address; `invert` flips every bit (Teredo stores its client that way). */
function hex(v4: string, invert = false): [string, string] {
  const [a, b, c, d] = v4.split('.').map((n) => (invert ? Number(n) ^ 0xff : Number(n))) as [number, number, number, number];
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** Every IPv6 form that carries `v4`, by name. */
function embeddings(v4: string): Record<string, string> {
  const [h1, h2] = hex(v4);
  const [i1, i2] = hex(v4, true);
  const [p1, p2] = hex('8.8.8.8', true); // a public Teredo client, for the server form
  return {
    'IPv4-mapped (dotted)': `::ffff:${v4}`,
    'IPv4-mapped (hex)': `::ffff:${h1}:${h2}`,
    'IPv4-translated': `::ffff:0:${v4}`,
    'IPv4-compatible (dotted)': `::${v4}`,
    'IPv4-compatible (hex)': `::${h1}:${h2}`,
    'NAT64 (dotted)': `64:ff9b::${v4}`,
    'NAT64 (hex)': `64:ff9b::${h1}:${h2}`,
    '6to4': `2002:${h1}:${h2}::1`,
    'Teredo server': `2001:0:${h1}:${h2}:0:0:${p1}:${p2}`,
    'Teredo client': `2001:0:4136:e378:8000:63bf:${i1}:${i2}`,
  };
}

describe('isPublicAddress', () => {
  it.each(Object.entries(PRIVATE_V4))('refuses IPv4 %s', (_range, addresses) => {
    for (const address of addresses) expect(isPublicAddress(address), address).toBe(false);
  });

  it('accepts public IPv4 addresses, the neighbours of each range included', () => {
    for (const address of PUBLIC_V4) expect(isPublicAddress(address), address).toBe(true);
  });

  it('refuses IPv6 unspecified, loopback, unique local, link-local, site-local, multicast, discard and local NAT64', () => {
    for (const address of PRIVATE_V6) expect(isPublicAddress(address), address).toBe(false);
  });

  it('accepts public IPv6 addresses', () => {
    for (const address of PUBLIC_V6) expect(isPublicAddress(address), address).toBe(true);
  });

  it.each(Object.values(PRIVATE_V4).flat())('refuses every IPv6 form that carries %s', (v4) => {
    for (const [form, address] of Object.entries(embeddings(v4))) expect(isPublicAddress(address), `${form} ${address}`).toBe(false);
  });

  it('accepts the IPv6 forms of a public IPv4 address (a DNS64 answer, a public 6to4 host)', () => {
    for (const [form, address] of Object.entries(embeddings('8.8.8.8'))) expect(isPublicAddress(address), `${form} ${address}`).toBe(true);
    // RFC 4380's example: server 65.54.227.120, client 192.0.2.45.
    expect(isPublicAddress('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBe(true);
  });

  it('says no to anything that is not an IP literal', () => {
    for (const text of ['', 'example.com', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '0x7f.0.0.1', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1.2.3.4::', 'g::1', '::ffff:1.2.3']) {
      expect(isPublicAddress(text), text).toBe(false);
    }
  });

  it('is the guard the media fetcher uses', () => {
    expect(fromFetcher).toBe(isPublicAddress);
  });
});

describe('parseIPv6', () => {
  it('reads compressed, full and dotted-tail forms into 16 bytes', () => {
    expect(parseIPv6('::1')).toEqual([...Array(15).fill(0), 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIPv6('::ffff:192.168.0.1')).toEqual(parseIPv6('::ffff:c0a8:1'));
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual(parseIPv6('1:2:3:4:5:6:7:0'));
  });
});
