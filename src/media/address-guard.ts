/**
 * Which IP addresses a client-given media URL may reach: public unicast only. Loopback, private, shared
 * (CGNAT), link-local, benchmarking, multicast, reserved and unspecified addresses are refused, in IPv4 and
 * IPv6, and so is every IPv6 form that carries an IPv4 address a router or the kernel may deliver to
 * (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4, Teredo).
 *
 * The embedded IPv4 address is extracted and checked against the IPv4 ranges, rather than the whole prefix
 * refused: `64:ff9b::8.8.8.8` (what a DNS64 resolver answers on an IPv6-only host) or a 6to4 address of a
 * public host are legitimate. Only the local-use NAT64 prefix `64:ff9b:1::/48` is refused whole: the
 * position of the IPv4 address inside it depends on a prefix length the network chooses (RFC 8215), and it
 * never names a public destination.
 */

type Rule = readonly [network: readonly number[], prefixBits: number];

const PRIVATE_V4: readonly Rule[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // shared address space (CGNAT)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (cloud metadata services live here)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, including the broadcast 255.255.255.255
];

const PRIVATE_V6: readonly Rule[] = [
  [hextets(0, 0, 0, 0, 0, 0, 0, 0), 128], // unspecified
  [hextets(0, 0, 0, 0, 0, 0, 0, 1), 128], // loopback
  [hextets(0x0100, 0, 0, 0, 0, 0, 0, 0), 64], // discard-only
  [hextets(0x0064, 0xff9b, 0x0001, 0, 0, 0, 0, 0), 48], // local-use NAT64 (see above)
  [hextets(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7], // unique local
  [hextets(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10], // link-local
  [hextets(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10], // site-local (deprecated, still private)
  [hextets(0xff00, 0, 0, 0, 0, 0, 0, 0), 8], // multicast
];

/** Whether `address` (an IP literal; anything else is not) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) return !matchesAny(v4, PRIVATE_V4);
  const v6 = parseIPv6(address);
  if (!v6) return false;
  if (matchesAny(v6, PRIVATE_V6)) return false;
  return embeddedIPv4(v6).every((embedded) => !matchesAny(embedded, PRIVATE_V4));
}

/**
 * The IPv4 addresses an IPv6 address carries, by the prefix it is in:
 * - `::ffff:a.b.c.d` (mapped), `::ffff:0:a.b.c.d` (translated, SIIT), `::a.b.c.d` (compatible, deprecated;
 *   `::` and `::1` are caught above), `64:ff9b::a.b.c.d` (NAT64, RFC 6052): the last 32 bits;
 * - `2002:aabb:ccdd::/48` (6to4): bits 16–47;
 * - `2001:0:ssss:ssss:flags:port:cccc:cccc` (Teredo): the server (bits 32–63) and the client, whose bits
 *   are stored inverted (bits 96–127 XOR 0xffffffff). Both are checked: either may be where traffic goes.
 */
function embeddedIPv4(b: readonly number[]): number[][] {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last = b.slice(12, 16);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return [last];
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return [last];
  if (zeros(0, 12)) return [last];
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return [last];
  if (b[0] === 0x20 && b[1] === 0x02) return [b.slice(2, 6)];
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return [b.slice(4, 8), last.map((x) => x ^ 0xff)];
  return [];
}

function matchesAny(bytes: readonly number[], rules: readonly Rule[]): boolean {
  return rules.some(([network, bits]) => network.length === bytes.length && inPrefix(bytes, network, bits));
}

function inPrefix(bytes: readonly number[], network: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

function hextets(...groups: number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Dotted-quad IPv4 (each part 0–255, decimal, no leading zeros) → 4 bytes; undefined otherwise. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((n) => n <= 255) ? bytes : undefined;
}

/**
 * IPv6 text (RFC 4291: `::` compression, a dotted-quad tail, an optional `%zone`, optional brackets) →
 * 16 bytes; undefined for anything else.
 */
export function parseIPv6(text: string): number[] | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%[^%]*$/, '');
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  // A dotted quad may only end the address.
  const groupsOf = (part: string | undefined, last: boolean): number[] | undefined => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (last && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const compressed = halves.length === 2;
  const head = groupsOf(halves[0], !compressed);
  const tail = groupsOf(halves[1], true);
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  return hextets(...head, ...Array<number>(missing).fill(0), ...tail);
}
