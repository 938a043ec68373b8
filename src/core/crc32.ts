// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), table-driven. The running value is kept as a
// signed 32-bit integer (Int32Array table, start -1): values above 2^31 would be doubles in V8.
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * The CRC-32 of the characters of `text` in `[start, end)`, each taken as one byte. Callers pass
 * ASCII only, so this equals the CRC-32 of the string's UTF-8 bytes.
 */
export function crc32Ascii(text: string, start = 0, end = text.length): number {
  let crc = CRC32_START;
  for (let i = start; i < end; i++) crc = crc32Step(crc, text.charCodeAt(i));
  return crc32Finish(crc);
}

/** The running value before the first byte, for {@link crc32Step} (all ones). */
export const CRC32_START = -1;

/** Feeds one byte into a running CRC-32 (start from {@link CRC32_START}); lets callers fuse it into their own loop. */
export function crc32Step(crc: number, byte: number): number {
  return (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
}

/** The CRC-32 of what was fed to {@link crc32Step}, as an unsigned 32-bit integer. */
export function crc32Finish(crc: number): number {
  return ~crc >>> 0;
}
