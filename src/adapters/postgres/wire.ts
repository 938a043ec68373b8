// PostgreSQL frontend messages (protocol 3.0, extended query), for PGlite's `execProtocol`. Only
// what the prepared verify lookup sends: every parameter and result in text format.

const encoder = new TextEncoder();

/** Builds one message: a type byte, a 32-bit length (itself included), then the body. */
class MessageWriter {
  private bytes: number[] = [];

  byte(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }

  int16(value: number): this {
    return this.byte(value >>> 8).byte(value);
  }

  int32(value: number): this {
    return this.byte(value >>> 24)
      .byte(value >>> 16)
      .byte(value >>> 8)
      .byte(value);
  }

  raw(data: Uint8Array): this {
    for (const value of data) this.bytes.push(value);
    return this;
  }

  /** A NUL-terminated string. */
  cstring(text: string): this {
    return this.raw(encoder.encode(text)).byte(0);
  }

  finish(type: string): Uint8Array {
    const message = new Uint8Array(this.bytes.length + 5);
    message[0] = type.charCodeAt(0);
    new DataView(message.buffer).setInt32(1, this.bytes.length + 4);
    message.set(this.bytes, 5);
    return message;
  }
}

/** Parse: prepares `text` as the statement `name`, parameter types inferred by the server. */
export function parseMessage(name: string, text: string): Uint8Array {
  return new MessageWriter().cstring(name).cstring(text).int16(0).finish("P");
}

/** Close: drops the prepared statement `name` (not an error when there is none). */
export function closeStatementMessage(name: string): Uint8Array {
  return new MessageWriter().byte(0x53).cstring(name).finish("C");
}

/** Bind: the unnamed portal on statement `name` with text parameters, text results. */
export function bindMessage(name: string, values: readonly string[]): Uint8Array {
  const writer = new MessageWriter().cstring("").cstring(name).int16(0).int16(values.length);
  for (const value of values) {
    const data = encoder.encode(value);
    writer.int32(data.length).raw(data);
  }
  return writer.int16(0).finish("B");
}

/** Execute: every row of the unnamed portal. */
export function executeMessage(): Uint8Array {
  return new MessageWriter().cstring("").int32(0).finish("E");
}

/** Sync: ends the extended query (and its implicit transaction). */
export function syncMessage(): Uint8Array {
  return new MessageWriter().finish("S");
}

/** The messages, one after the other, as one buffer (one call, one round trip). */
export function concatMessages(messages: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const message of messages) length += message.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const message of messages) {
    out.set(message, offset);
    offset += message.length;
  }
  return out;
}
