/** A GitHub-like secret-scanning signer: a P-256 key pair of its own, its public key as PEM SPKI. */
export async function createSigner(id: string) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const pem = `-----BEGIN PUBLIC KEY-----\n${base64(spki).replace(/(.{64})/g, "$1\n")}\n-----END PUBLIC KEY-----\n`;
  return {
    publicKey: { key_identifier: id, key: pem },
    /** The base64 DER signature of `body`, as GitHub sends it. */
    async sign(body: string | Uint8Array): Promise<string> {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const raw = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          pair.privateKey,
          bytes as Uint8Array<ArrayBuffer>,
        ),
      );
      return base64(rawToDer(raw));
    },
  };
}

/** A signer of {@link createSigner}. */
export type Signer = Awaited<ReturnType<typeof createSigner>>;

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** `r || s` as DER, the way GitHub sends signatures. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (part: Uint8Array) => {
    let start = 0;
    while (start < part.length - 1 && part[start] === 0) start++;
    const trimmed = part.subarray(start);
    const padded = (trimmed[0] as number) & 0x80 ? [0, ...trimmed] : [...trimmed];
    return [0x02, padded.length, ...padded];
  };
  const body = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}
