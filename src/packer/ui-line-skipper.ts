/**
 * Skips the bulk of a `packer build -machine-readable` log: the `ui` lines Packer prints for the run as a whole,
 * `<10-digit timestamp>,,ui,<kind>,<text>`, whose kind is not `error`. Nearly every line of a Windows build is
 * one (provisioner output), and none of them carries an artifact or an error.
 *
 * Why WebAssembly: calling Buffer.indexOf once per line costs ~30 ns of call overhead, not search, so splitting
 * a 200 MB log (1.7 M lines) in JavaScript takes ~90 ms however little is done per line; Node offers no call
 * that finds many line breaks at once. This kernel, SIMD over 32 bytes a step, takes ~25 ms on data just read;
 * ~12 ms when it scans the same data again, so about half is the one mispredicted branch a line (where it ends).
 * Where WebAssembly is missing (`node --jitless`), {@link skipUiLines} does the same work in JavaScript; a
 * property test holds the two to the same answers.
 */
import { type Code, op, wasmModule } from './wasm-encoder.js';

const NEWLINE = 10;
const COMMA = 44;
/** The kernel reads up to 31 bytes past the end it is given; the memory keeps this much after the caller's. */
const GUARD = 64;
const PAGE = 65536;

/**
 * True when the line at `s`, known to be at least 16 bytes long, is a run-wide `ui` line that is not an error:
 * no comma in its first 10 bytes, then `,,ui,` and a kind not starting with `e`. Such a line is never wanted:
 * without a comma before byte 10 its timestamp (if it has one) ends at byte 10, so its target is empty and its
 * type is `ui`, and a `ui` line only matters when its kind is `error`.
 */
function isUiLine(buf: Uint8Array, s: number): boolean {
  for (let i = s; i < s + 10; i++) if (buf[i] === COMMA) return false;
  return (
    buf[s + 10] === COMMA &&
    buf[s + 11] === COMMA &&
    buf[s + 12] === 0x75 && // u
    buf[s + 13] === 0x69 && // i
    buf[s + 14] === COMMA &&
    buf[s + 15] !== 0x65 // e
  );
}

/**
 * From the line that starts at `start`, skips whole lines (ending before `end`) that {@link isUiLine} calls
 * unwanted. Returns the start of the first line that may matter, or of the line not finished before `end`;
 * `end` when every line was skipped.
 */
export function skipUiLines(buf: Buffer, start: number, end: number): number {
  let s = start;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, s);
    if (nl < 0 || nl >= end || nl < s + 16 || !isUiLine(buf, s)) return s;
    s = nl + 1;
  }
}

// Locals of the kernel: its parameters, then the scan position and the bit mask of line breaks found.
const S = 0;
const END = 1;
const P = 2;
const MASK = 3;

/** The bit mask of the bytes equal to `byte` among the 16 at the address on the stack. */
const bytesEqual = (byte: number, offset = 0): Code => [
  op.v128Load(offset),
  op.v128ConstBytes(byte),
  op.i8x16Eq,
  op.i8x16Bitmask,
];
const returnStartIf = (condition: Code): Code => [condition, op.if, op.localGet(S), op.return, op.end];

/** {@link skipUiLines} as a WebAssembly function `skip(start, end) -> i32` over its module's memory. */
const skipKernel: Code[] = [
  op.loop, // each line
  [op.localGet(S), op.localSet(P)],
  op.block,
  op.loop, // 32 bytes at a time until a line break
  returnStartIf([op.localGet(P), op.localGet(END), op.i32GeU]),
  [op.localGet(P), bytesEqual(NEWLINE)],
  [op.localGet(P), bytesEqual(NEWLINE, 16), op.i32Const(16), op.i32Shl],
  [op.i32Or, op.localTee(MASK), op.brIf(1)],
  [op.localGet(P), op.i32Const(32), op.i32Add, op.localSet(P), op.br(0)],
  op.end,
  op.end,
  // P: the line break, which may lie past the end (the vector read beyond it).
  [op.localGet(P), op.localGet(MASK), op.i32Ctz, op.i32Add, op.localSet(P)],
  returnStartIf([op.localGet(P), op.localGet(END), op.i32GeU]),
  returnStartIf([op.localGet(P), op.localGet(S), op.i32Const(16), op.i32Add, op.i32LtU]),
  // Commas among the first 15 bytes exactly at 10, 11 and 14; then `ui` at 12 and no `e` at 15.
  returnStartIf([
    [op.localGet(S), bytesEqual(COMMA), op.i32Const(0x7fff), op.i32And],
    [op.i32Const((1 << 10) | (1 << 11) | (1 << 14)), op.i32Ne],
  ]),
  returnStartIf([op.localGet(S), op.i32Load16u(12), op.i32Const(0x6975), op.i32Ne]),
  returnStartIf([op.localGet(S), op.i32Load8u(15), op.i32Const(0x65), op.i32Eq]),
  [op.localGet(P), op.i32Const(1), op.i32Add, op.localSet(S), op.br(0)],
  op.end,
  op.unreachable,
];

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript library has no DOM types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { skip?: unknown; memory?: { buffer: ArrayBuffer } } };
}

export interface UiLineSkipper {
  /** Where the caller puts the bytes to scan; offsets given to {@link skip} are offsets in it. */
  readonly memory: Buffer;
  /** {@link skipUiLines} over {@link memory}. */
  skip(start: number, end: number): number;
  /** `wasm`, or `js` where WebAssembly is missing. */
  readonly engine: 'wasm' | 'js';
}

const modules = new Map<number, object>();

/** A skipper with `bytes` of memory for the caller's data; the WebAssembly kernel where it can run. */
export function createUiLineSkipper(bytes: number): UiLineSkipper {
  const kernel = instantiateKernel(bytes);
  if (kernel) return kernel;
  const memory = Buffer.alloc(bytes);
  return { memory, skip: (start, end) => skipUiLines(memory, start, end), engine: 'js' };
}

function instantiateKernel(bytes: number): UiLineSkipper | undefined {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return undefined;
  const pages = Math.ceil((bytes + GUARD) / PAGE);
  try {
    let module = modules.get(pages);
    if (!module) {
      const binary = wasmModule({
        functions: [
          {
            name: 'skip',
            params: ['i32', 'i32'],
            results: ['i32'],
            locals: ['i32', 'i32'],
            body: skipKernel,
          },
        ],
        pages,
        memoryName: 'memory',
      });
      module = new api.Module(binary);
      modules.set(pages, module);
    }
    const { exports } = new api.Instance(module);
    if (typeof exports.skip !== 'function' || !exports.memory) return undefined;
    return {
      memory: Buffer.from(exports.memory.buffer, 0, bytes),
      skip: exports.skip as (start: number, end: number) => number,
      engine: 'wasm',
    };
  } catch {
    // WebAssembly present but unable to run this module (SIMD turned off, no address space for its memory):
    // the JavaScript engine gives the same answers.
    return undefined;
  }
}
