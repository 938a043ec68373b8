// Client addresses as `lastUsedIps` keeps them: one spelling per address, so the list holds
// distinct addresses and a UI can compare them. IPv4 in dotted decimal; IPv6 in RFC 5952's
// canonical form; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack Node
// socket reports for an IPv4 peer) as the IPv4 address it is.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** Longer than any spelling of an address (45 characters): refused before any parsing. */
const MAX_LENGTH = 64;

/**
 * The canonical spelling of an IPv4 or IPv6 address, or `null` for anything else (host names,
 * ports, zone ids, brackets, leading zeros in IPv4 octets, which some parsers read as octal).
 */
export function normalizeIp(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH) return null;
  const v4 = ipv4Octets(value);
  if (v4 !== null) return v4.join(".");
  const groups = ipv6Groups(value);
  if (groups === null) return null;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6] as number, groups[7] as number];
    return [high >>> 8, high & 0xff, low >>> 8, low & 0xff].join(".");
  }
  return formatIpv6(groups);
}

function ipv4Octets(text: string): number[] | null {
  const match = IPV4.exec(text);
  if (match === null) return null;
  const octets: number[] = [];
  for (let i = 1; i <= 4; i++) {
    const part = match[i] as string;
    if (part.length > 1 && part.startsWith("0")) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    octets.push(octet);
  }
  return octets;
}

/** The 8 groups of an IPv6 address (a trailing dotted IPv4 counts as two), or `null`. */
function ipv6Groups(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes(".")) {
        const octets = ipv4Octets(piece);
        if (octets === null) return null;
        groups.push(
          ((octets[0] as number) << 8) | (octets[1] as number),
          ((octets[2] as number) << 8) | (octets[3] as number),
        );
      } else if (HEX_GROUP.test(piece)) groups.push(Number.parseInt(piece, 16));
      else return null;
    }
    return groups;
  };
  const head = parse(halves[0] as string);
  const tail = halves.length === 2 ? parse(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  // "::" stands for at least one group of zeros.
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** RFC 5952: lower-case hex, no leading zeros, the longest run of 2+ zero groups as "::". */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
