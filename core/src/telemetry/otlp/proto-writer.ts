/**
 * A protobuf writer for the OTLP span encoder: one growable Buffer, reused from batch to batch,
 * with strings and ids written by Buffer's native `write`. Nested messages reserve one length
 * byte and move their content when a longer length is needed (most OTLP messages are under 128
 * bytes), so a message is written in one pass without sizing it first.
 */

export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

const TWO_32 = 4_294_967_296;

/** A hex digit's value by char code; 255 (INVALID_HEX) for anything else. */
const INVALID_HEX = 255;
const HEX_VALUE = new Uint8Array(128).fill(INVALID_HEX);
for (let d = 0; d < 10; d++) HEX_VALUE[48 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_VALUE[65 + d] = 10 + d;
  HEX_VALUE[97 + d] = 10 + d;
}

export class ProtoWriter {
  private buffer: Buffer;
  private readonly initialSize: number;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.initialSize = initialSize;
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes the writer holds (what it can write before growing). */
  get capacity(): number {
    return this.buffer.length;
  }

  /** The bytes written, copied (the writer's buffer is reused). */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.pos));
  }

  /** A view on the bytes written; valid until the next write or `reset`. */
  view(): Buffer {
    return this.buffer.subarray(0, this.pos);
  }

  /** Empties the writer; a buffer that grew past `maxRetainedBytes` (one huge span) is let go. */
  reset(maxRetainedBytes = Number.POSITIVE_INFINITY): void {
    this.pos = 0;
    if (this.buffer.length > maxRetainedBytes) this.buffer = Buffer.allocUnsafe(this.initialSize);
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.pos);
    this.buffer = next;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** An unsigned varint, or a negative integer as its 64-bit two's complement (int64). */
  varint(value: number): void {
    this.ensure(10);
    const b = this.buffer;
    if (value >= 0 && value < TWO_32) {
      let v = value >>> 0;
      while (v > 127) {
        b[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      b[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_32) >>> 0;
    } else {
      const abs = -value;
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / TWO_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      b[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    b[this.pos++] = low;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buffer.writeUInt32LE(low >>> 0, this.pos);
    this.buffer.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** `[seconds, nanoseconds]` as fixed64 nanoseconds since the epoch, exactly (past 2^53). */
  hrTime(time: readonly [number, number]): void {
    const [seconds, nanos] = time;
    // seconds · 1e9 = (high16 · 2^16 + low16) · 1e9; each product stays below 2^53.
    const fromLow = (seconds % 65_536) * 1e9 + nanos;
    const fromHigh = Math.floor(seconds / 65_536) * 1e9; // then · 2^16
    const highLow16 = fromHigh % 65_536;
    const low = (fromLow % TWO_32) + highLow16 * 65_536;
    const high = Math.floor(fromLow / TWO_32) + Math.floor(fromHigh / 65_536) + Math.floor(low / TWO_32);
    this.fixed64(low % TWO_32, high);
  }

  double(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (without its tag). */
  string(value: string): void {
    const length = value.length;
    if (length < 128) {
      // Most OTLP strings (attribute keys and values, names) are short ASCII: copied char by char
      // here they cost a few ns, where each call into Buffer's native write cost ~50–100 ns (with
      // the hex ids, ~40 % of a server span's encoding; 12–27 % less time a span, in-process A/B).
      // One byte per char, so the length (< 128) fits the one byte before it; any non-ASCII char
      // hands the string to the native UTF-8 write below.
      this.ensure(1 + length);
      const b = this.buffer;
      const start = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === length) {
        b[this.pos] = length;
        this.pos = start + length;
        return;
      }
    }
    if (length < 43) {
      // at most 126 bytes in UTF-8: the length fits one byte, known only after writing
      this.ensure(1 + 3 * length);
      const written = this.buffer.write(value, this.pos + 1, 'utf8');
      this.buffer[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buffer.write(value, this.pos, 'utf8');
  }

  /**
   * One KeyValue message with a string value, as field `tagByte` (its tag, one byte) of the
   * enclosing message; `keyField` is the KeyValue's key field already encoded (`keyField` below).
   * A short ASCII value — nearly every value of a server span — is written with its lengths
   * known up front, in one pass; anything else takes the general path.
   */
  stringKeyValue(tagByte: number, keyField: Uint8Array, value: string): void {
    const n = value.length;
    // KeyValue = key field + value = 2 (tag, length, AnyValue = string_value = 1: tag, length, n bytes)
    const kvLength = keyField.length + 4 + n;
    if (kvLength < 128) {
      const start = this.pos;
      this.ensure(kvLength + 16);
      this.keyValueHead(tagByte, kvLength, keyField, n + 2);
      const b = this.buffer;
      b[this.pos++] = 0x0a; // string_value = 1, LEN
      b[this.pos++] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        b[this.pos + i] = c;
      }
      if (i === n) {
        this.pos += n;
        return;
      }
      this.pos = start; // not ASCII: written again below
    }
    this.buffer[this.pos] = tagByte;
    this.pos++;
    const kv = this.begin();
    this.raw(keyField);
    this.tag(2, WIRE.LEN);
    const anyValue = this.begin();
    this.tag(1, WIRE.LEN);
    this.string(value);
    this.end(anyValue);
    this.end(kv);
  }

  /** As `stringKeyValue`, for an unsigned 32-bit integer value (int_value = 3): the lengths are known up front. */
  intKeyValue(tagByte: number, keyField: Uint8Array, value: number): void {
    let size = 1; // the varint's bytes
    for (let v = value >>> 7; v > 0; v >>>= 7) size++;
    // KeyValue = key field + value = 2 (tag, length, AnyValue = int_value = 3: tag, varint)
    const kvLength = keyField.length + 3 + size;
    this.ensure(kvLength + 16);
    this.keyValueHead(tagByte, kvLength, keyField, 1 + size);
    this.buffer[this.pos++] = 0x18; // int_value = 3, VARINT
    this.varint(value);
  }

  /**
   * A KeyValue field's opening when its lengths are known: its tag, its length, the key field, and
   * the value field's tag and length (< 128). The caller has reserved `kvLength + 16` bytes, so
   * that no varint's own check grows the buffer in between.
   */
  private keyValueHead(tagByte: number, kvLength: number, keyField: Uint8Array, anyValueLength: number): void {
    const b = this.buffer;
    b[this.pos++] = tagByte;
    this.varint(kvLength);
    for (let i = 0; i < keyField.length; i++) b[this.pos++] = keyField[i]!;
    b[this.pos++] = 0x12; // value = 2, LEN
    b[this.pos++] = anyValueLength;
  }

  /** A hex id (trace or span id) as its bytes, length-delimited; decoded here, as `string` does (see there). */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(1 + length);
    const b = this.buffer;
    b[this.pos++] = length;
    for (let i = 0; i < length; i++) {
      const high = HEX_VALUE[hex.charCodeAt(2 * i)] ?? INVALID_HEX;
      const low = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? INVALID_HEX;
      if (high === INVALID_HEX || low === INVALID_HEX) throw new Error(`not a hex id: ${hex}`);
      b[this.pos++] = (high << 4) | low;
    }
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Copies raw bytes (an already encoded field). */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Starts a nested message: reserves its one-byte length; pass the result to `end`. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the message begun at `start`, writing its length (moving the content if it needs more bytes). */
  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) {
      this.buffer[start] = length;
      return;
    }
    let size = 1;
    for (let v = length; v > 127; v = Math.floor(v / 128)) size++;
    this.ensure(size - 1);
    this.buffer.copy(this.buffer, start + size, start + 1, this.pos);
    this.pos += size - 1;
    let at = start;
    let v = length;
    while (v > 127) {
      this.buffer[at++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buffer[at] = v;
  }
}

/** A KeyValue's key field (`key = 1`: tag, length, UTF-8 bytes), encoded once for `stringKeyValue`. */
export function keyField(key: string): Uint8Array {
  const w = new ProtoWriter(64);
  w.tag(1, WIRE.LEN);
  w.string(key);
  return w.copy();
}
