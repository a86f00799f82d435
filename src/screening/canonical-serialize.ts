/**
 * v8 serialization (read back with `deserialize` from node:v8) that depends on values only. V8's
 * own serializer writes what the heap happens to hold: a whole number as an integer or a double
 * (after another object of the same shape held a fraction in that field), a Latin-1 string as one
 * or two bytes a character (after it was cut from a longer string). So two builds of the same
 * index from the same inputs gave different bytes. Here a whole number in the int32 range is
 * always an integer and a string is two-byte only when a character needs it.
 *
 * It writes what an index keeps: undefined, null, booleans, numbers, strings, arrays, Maps, Sets
 * and objects (their own enumerable fields, as V8 keeps them), a value met twice as a reference
 * to the first; anything else (a BigInt, a typed array, a Date…) is refused.
 */

const VERSION = 15;
const TAG = {
  padding: 0x00,
  undefined: 0x5f, // '_'
  null: 0x30, // '0'
  true: 0x54, // 'T'
  false: 0x46, // 'F'
  int32: 0x49, // 'I'
  double: 0x4e, // 'N'
  oneByteString: 0x22, // '"'
  twoByteString: 0x63, // 'c'
  objectReference: 0x5e, // '^'
  beginObject: 0x6f, // 'o'
  endObject: 0x7b, // '{'
  beginDenseArray: 0x41, // 'A'
  endDenseArray: 0x24, // '$'
  hole: 0x2d, // '-'
  beginMap: 0x3b, // ';'
  endMap: 0x3a, // ':'
  beginSet: 0x27, // "'"
  endSet: 0x2c, // ','
} as const;

const varintLength = (n: number) => {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
};

class Writer {
  private buffer = Buffer.allocUnsafe(256);
  size = 0;

  private room(n: number): void {
    if (this.size + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + n));
    this.buffer.copy(grown, 0, 0, this.size);
    this.buffer = grown;
  }

  byte(b: number): void {
    this.room(1);
    this.buffer[this.size++] = b;
  }

  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buffer[this.size++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buffer[this.size++] = n;
  }

  double(d: number): void {
    this.room(8);
    this.size = this.buffer.writeDoubleLE(d, this.size);
  }

  string(s: string, encoding: 'latin1' | 'utf16le', byteLength: number): void {
    this.room(byteLength);
    this.size += this.buffer.write(s, this.size, byteLength, encoding);
  }

  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.size));
  }
}

const isOneByte = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
};

/** `value` in V8's serialization format, the same bytes for equal values whatever their representation in the heap. */
export function canonicalSerialize(value: unknown): Buffer {
  const out = new Writer();
  // Every object, array, Map and Set gets the next id as it begins, as the deserializer counts them.
  const ids = new Map<object, number>();
  const write = (v: unknown): void => {
    switch (typeof v) {
      case 'undefined':
        return out.byte(TAG.undefined);
      case 'boolean':
        return out.byte(v ? TAG.true : TAG.false);
      case 'number':
        if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)) {
          out.byte(TAG.int32);
          return out.varint(v >= 0 ? v * 2 : -v * 2 - 1);
        }
        out.byte(TAG.double);
        return out.double(v);
      case 'string': {
        const oneByte = isOneByte(v);
        const byteLength = oneByte ? v.length : v.length * 2;
        // V8 aligns two-byte characters on an even offset, with a padding tag before the string's.
        if (!oneByte && (out.size + 1 + varintLength(byteLength)) % 2 === 1) out.byte(TAG.padding);
        out.byte(oneByte ? TAG.oneByteString : TAG.twoByteString);
        out.varint(byteLength);
        return out.string(v, oneByte ? 'latin1' : 'utf16le', byteLength);
      }
      case 'object':
        if (v === null) return out.byte(TAG.null);
        return writeObject(v);
      default:
        throw new Error(`a ${typeof v} cannot be kept in an index file`);
    }
  };
  const writeObject = (v: object): void => {
    const id = ids.get(v);
    if (id !== undefined) {
      out.byte(TAG.objectReference);
      return out.varint(id);
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp || v instanceof Error) throw new Error(`a ${v.constructor.name} cannot be kept in an index file`);
    ids.set(v, ids.size);
    if (Array.isArray(v)) {
      out.byte(TAG.beginDenseArray);
      out.varint(v.length);
      for (let i = 0; i < v.length; i++) {
        if (i in v) write(v[i]);
        else out.byte(TAG.hole);
      }
      out.byte(TAG.endDenseArray);
      out.varint(0);
      return out.varint(v.length);
    }
    if (v instanceof Map) {
      out.byte(TAG.beginMap);
      for (const [key, item] of v) {
        write(key);
        write(item);
      }
      out.byte(TAG.endMap);
      return out.varint(v.size * 2);
    }
    if (v instanceof Set) {
      out.byte(TAG.beginSet);
      for (const item of v) write(item);
      out.byte(TAG.endSet);
      return out.varint(v.size);
    }
    out.byte(TAG.beginObject);
    const keys = Object.keys(v);
    for (const key of keys) {
      write(key);
      write((v as Record<string, unknown>)[key]);
    }
    out.byte(TAG.endObject);
    out.varint(keys.length);
  };
  out.byte(0xff);
  out.varint(VERSION);
  write(value);
  return out.bytes();
}
