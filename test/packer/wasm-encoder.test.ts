import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { op, signedLeb128, unsignedLeb128, wasmModule } from '../../src/packer/wasm-encoder.js';

// The WebAssembly JavaScript API; the project's TypeScript library has no DOM types.
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** LEB128 decoding as the WebAssembly specification defines it (section 5.2.2). */
function decodeLeb128(bytes: number[], signed: boolean): number {
  let result = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) {
      if (signed && byte & 0x40) result -= 1n << shift;
      return Number(result);
    }
  }
  throw new Error('unterminated LEB128');
}

describe('LEB128', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [624485, [0xe5, 0x8e, 0x26]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ])('unsigned %d', (value, bytes) => {
    expect(unsignedLeb128(value)).toEqual(bytes);
  });

  it.each([
    [0, [0x00]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [-1, [0x7f]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
    [-123456, [0xc0, 0xbb, 0x78]],
  ])('signed %d', (value, bytes) => {
    expect(signedLeb128(value)).toEqual(bytes);
  });

  it('round-trips every u32 and i32', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer(), (u, i) => {
        expect(decodeLeb128(unsignedLeb128(u), false)).toBe(u);
        expect(decodeLeb128(signedLeb128(i), true)).toBe(i);
      }),
    );
  });

  it('refuses values that are not 32-bit integers', () => {
    expect(() => unsignedLeb128(-1)).toThrow(RangeError);
    expect(() => unsignedLeb128(2 ** 32)).toThrow(RangeError);
    expect(() => signedLeb128(2 ** 31)).toThrow(RangeError);
    expect(() => signedLeb128(1.5)).toThrow(RangeError);
  });
});

describe('wasmModule', () => {
  const binary = wasmModule({
    functions: [
      {
        name: 'add',
        params: ['i32', 'i32'],
        results: ['i32'],
        body: [op.localGet(0), op.localGet(1), op.i32Add],
      },
      {
        // Counts the bytes equal to 7 among the 16 at an address: v128 instructions and a local.
        name: 'sevens',
        params: ['i32'],
        results: ['i32'],
        locals: ['i32'],
        body: [
          [op.localGet(0), op.v128Load(), op.v128ConstBytes(7), op.i8x16Eq, op.i8x16Bitmask, op.localSet(1)],
          [op.i32Const(0), op.localSet(0)],
          op.block,
          op.loop,
          [op.localGet(1), op.i32Eqz, op.brIf(1)],
          [op.localGet(0), op.i32Const(1), op.i32Add, op.localSet(0)],
          [op.localGet(1), op.localGet(1), op.i32Const(-1), op.i32Add, op.i32And, op.localSet(1), op.br(0)],
          op.end,
          op.end,
          op.localGet(0),
        ],
      },
    ],
    pages: 2,
    memoryName: 'mem',
  });

  it('is a valid module whose functions run', () => {
    expect(wasm.validate(binary)).toBe(true);
    const { exports } = new wasm.Instance(new wasm.Module(binary));
    const add = exports.add as (a: number, b: number) => number;
    const sevens = exports.sevens as (at: number) => number;
    const memory = Buffer.from((exports.mem as { buffer: ArrayBuffer }).buffer);
    expect(memory.length).toBe(2 * 65536);
    expect(add(2, 40)).toBe(42);
    expect(add(-5, 3)).toBe(-2);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), fc.nat({ max: 65000 }), (bytes, at) => {
        const inLanes = bytes.map((byte) => byte % 9);
        memory.set(inLanes, at);
        expect(sevens(at)).toBe(inLanes.subarray(0, 16).filter((byte) => byte === 7).length);
      }),
    );
  });

  it('fixes the memory size, so views of it stay valid', () => {
    const { exports } = new wasm.Instance(new wasm.Module(binary));
    const memory = exports.mem as { grow(pages: number): number };
    expect(() => memory.grow(1)).toThrow(RangeError);
  });
});
