/**
 * Writes the binary of a small WebAssembly module: functions, one memory, exports. Just enough for the
 * hand-written kernels of this project, so that they ship as readable TypeScript instead of an opaque `.wasm`
 * file or a build step with a WebAssembly toolchain (wabt, binaryen), which would be a new dependency for a
 * few dozen instructions. Opcodes are those of the WebAssembly 2.0 specification, section 5.4.
 */

/** An instruction or a run of them: bytes of the code section, nested as written. */
export type Code = number | readonly Code[];

const TYPE = { i32: 0x7f, v128: 0x7b } as const;
export type ValueType = keyof typeof TYPE;

/** Unsigned LEB128, as WebAssembly encodes lengths, indices and offsets. */
export function unsignedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`not a u32: ${value}`);
  const out: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

/** Signed LEB128, as WebAssembly encodes `i32.const`. */
export function signedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`not an i32: ${value}`);
  }
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const flat = (code: Code): number[] => (typeof code === 'number' ? [code] : code.flatMap(flat));
const vector = (items: readonly Code[]): number[] => [
  ...unsignedLeb128(items.length),
  ...items.flatMap(flat),
];
const name = (text: string): number[] => vector([...Buffer.from(text, 'utf8')]);
const section = (id: number, items: readonly Code[]): number[] => {
  const body = vector(items);
  return [id, ...unsignedLeb128(body.length), ...body];
};
/** The alignment hint of a load: WebAssembly allows any address, so hint byte alignment. */
const memarg = (offset: number): number[] => [0, ...unsignedLeb128(offset)];

/** Instructions, named as in the text format (`i32.load8_u` is `op.i32Load8u`). */
export const op = {
  unreachable: 0x00,
  /** `block`, `loop`, `if` take no values and leave none in the kernels written here. */
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: 0x0b,
  br: (depth: number): Code => [0x0c, ...unsignedLeb128(depth)],
  brIf: (depth: number): Code => [0x0d, ...unsignedLeb128(depth)],
  return: 0x0f,
  localGet: (index: number): Code => [0x20, ...unsignedLeb128(index)],
  localSet: (index: number): Code => [0x21, ...unsignedLeb128(index)],
  localTee: (index: number): Code => [0x22, ...unsignedLeb128(index)],
  i32Load8u: (offset = 0): Code => [0x2d, ...memarg(offset)],
  i32Load16u: (offset = 0): Code => [0x2f, ...memarg(offset)],
  i32Const: (value: number): Code => [0x41, ...signedLeb128(value)],
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Ctz: 0x68,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  v128Load: (offset = 0): Code => [0xfd, 0x00, ...memarg(offset)],
  /** `v128.const` with the same byte in all sixteen lanes. */
  v128ConstBytes: (byte: number): Code => [0xfd, 0x0c, ...new Array<number>(16).fill(byte & 0xff)],
  i8x16Eq: [0xfd, 0x23],
  i8x16Bitmask: [0xfd, 0x64],
} as const;

export interface WasmFunction {
  /** Exported under this name. */
  name: string;
  params: readonly ValueType[];
  results: readonly ValueType[];
  /** Locals after the parameters, in order. */
  locals?: readonly ValueType[];
  /** The body, without its final `end`. */
  body: readonly Code[];
}

/** The binary of a module with `functions` (all exported) and one memory of `pages` 64 KiB pages, exported. */
export function wasmModule(options: {
  functions: readonly WasmFunction[];
  pages: number;
  memoryName: string;
}) {
  const { functions, pages } = options;
  const signature = (fn: WasmFunction): Code => [
    0x60,
    vector(fn.params.map((type) => TYPE[type])),
    vector(fn.results.map((type) => TYPE[type])),
  ];
  const code = (fn: WasmFunction): Code => {
    const body = [
      ...vector((fn.locals ?? []).map((type) => [1, TYPE[type]])),
      ...fn.body.flatMap(flat),
      op.end,
    ];
    return [...unsignedLeb128(body.length), ...body];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, functions.map(signature)),
    ...section(
      3,
      functions.map((_, index) => unsignedLeb128(index)),
    ),
    // Limits with a minimum and a maximum: the memory never grows, so views of it stay valid.
    ...section(5, [[0x01, ...unsignedLeb128(pages), ...unsignedLeb128(pages)]]),
    ...section(7, [
      ...functions.map((fn, index) => [...name(fn.name), 0x00, ...unsignedLeb128(index)]),
      [...name(options.memoryName), 0x02, 0x00],
    ]),
    ...section(10, functions.map(code)),
  ]);
}
