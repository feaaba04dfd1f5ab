/**
 * Streams a `packer build -machine-readable` log into a {@link PackerResult} with constant memory: only the
 * artifacts and errors are kept, never the lines.
 *
 * Windows builds log tens of MB of provisioner output, nearly all run-wide `ui` lines that carry no artifact.
 * The scanner keeps its chunks in the memory of a WebAssembly kernel ({@link createUiLineSkipper}) that skips
 * those lines 32 bytes a step; the few lines it stops at are split and checked on the bytes here, and only
 * lines of type `artifact`, `error` and `ui,error` are decoded. A file is read straight into that memory.
 * Measured on a generated 200 MB log (bench/generate-packer-log.ts, 2 cores), whole process: this ~0.13 s, of
 * which the CLI's start ~0.085 s, read()'s copy from the page cache ~0.025 s and the scan ~0.025 s; splitting
 * every line in JavaScript with Buffer.indexOf (~30 ns of call overhead a line) ~0.19 s; readline ~1.0 s;
 * `grep | cut` ~0.09 s. Searching for `,artifact,` and `,error,` with Buffer.indexOf was slower still: on
 * Node 20 a multi-byte needle whose first byte is common (a comma) runs at ~1-2 GB/s.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type PackerError, type PackerResult, PackerResultCollector } from './artifacts.js';
import { parseMachineReadableLine } from './machine-readable.js';
import { createUiLineSkipper, type UiLineSkipper } from './ui-line-skipper.js';

const NEWLINE = 10;
const CR = 13;
const COMMA = 44;
/** A line longer than this that is not an artifact or error line is skipped without being held. */
const MAX_HELD_LINE = 1 << 20;
/** Size of the read buffer of {@link PackerLogScanner.readBuffer}. */
export const READ_SIZE = 1 << 20;
/** Chunks from elsewhere (standard input, strings) are copied into the scanner's memory this much at a time. */
const COPY_SIZE = 1 << 16;
const COPY_START = READ_SIZE;

/** Feed chunks of a log with {@link write}, then call {@link end}. */
export class PackerLogScanner {
  private readonly collector = new PackerResultCollector();
  private readonly skipper: UiLineSkipper = createUiLineSkipper(COPY_START + COPY_SIZE);
  private carry: Buffer[] = [];
  private carryLength = 0;
  private skippingLongLine = false;
  /** The first bytes, held while they may still be the start of a byte order mark. */
  private head: Buffer | undefined = Buffer.alloc(0);
  private utf16?: TextDecoder;

  /**
   * A buffer of {@link READ_SIZE} bytes in the scanner's own memory: a chunk read into it is scanned where it
   * lies, without a copy. Refill it once {@link write} has returned.
   */
  readBuffer(): Buffer {
    return this.skipper.memory.subarray(0, READ_SIZE);
  }

  /** Scans a chunk; a line split between chunks is completed by the next one. */
  write(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.head) {
      buf = this.head.length > 0 ? Buffer.concat([this.head, buf]) : buf;
      if (mayStartByteOrderMark(buf)) {
        this.head = Buffer.from(buf);
        return;
      }
      this.head = undefined;
      buf = this.stripByteOrderMark(buf);
    }
    if (this.utf16) buf = Buffer.from(this.utf16.decode(buf, { stream: true }), 'utf8');
    this.scanChunk(buf);
  }

  /** The result; a last line without its line break means the log was cut short and is reported as an error. */
  end(): PackerResult {
    if (this.head) {
      const head = this.head;
      this.head = undefined;
      this.scanChunk(head);
    }
    if (this.utf16) {
      const rest = this.utf16.decode();
      if (rest !== '') this.scanChunk(Buffer.from(rest, 'utf8'));
    }
    if (this.skippingLongLine || this.carryLength > 0) {
      const partial = this.skippingLongLine ? '' : Buffer.concat(this.carry).toString('utf8');
      if (partial.replace(/\r$/, '') !== '' || this.skippingLongLine) {
        const error = truncatedLineError(partial);
        this.collector.addError(error.build, error.message);
      }
      this.dropCarry();
    }
    return this.collector.result();
  }

  private stripByteOrderMark(buf: Buffer): Buffer {
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3);
    // Windows PowerShell's Tee-Object writes UTF-16LE with a byte order mark.
    if (buf[0] === 0xff && buf[1] === 0xfe) {
      this.utf16 = new TextDecoder('utf-16le');
      return buf.subarray(2);
    }
    return buf;
  }

  /** Scans a chunk in the skipper's memory where it lies; any other is copied there piece by piece. */
  private scanChunk(buf: Buffer): void {
    const { memory } = this.skipper;
    if (buf.buffer === memory.buffer) {
      this.scanBytes(buf);
      return;
    }
    for (let at = 0; at < buf.length; at += COPY_SIZE) {
      const copied = buf.copy(memory, COPY_START, at, at + COPY_SIZE);
      this.scanBytes(memory.subarray(COPY_START, COPY_START + copied));
    }
  }

  private scanBytes(buf: Buffer): void {
    let start = 0;
    if (this.carryLength > 0 || this.skippingLongLine) {
      const nl = buf.indexOf(NEWLINE);
      if (nl < 0) {
        this.hold(buf);
        return;
      }
      if (!this.skippingLongLine) {
        this.carry.push(buf.subarray(0, nl));
        const line = Buffer.concat(this.carry);
        this.scanLine(line, 0, line.length);
      }
      this.dropCarry();
      start = nl + 1;
    }
    const last = buf.lastIndexOf(NEWLINE);
    if (last >= start) {
      this.scanLines(buf, start, last + 1);
      start = last + 1;
    }
    if (start < buf.length) this.hold(buf.subarray(start));
  }

  private hold(part: Buffer): void {
    if (this.skippingLongLine) return;
    // Copy: the caller may reuse its buffer for the next read.
    this.carry.push(Buffer.from(part));
    this.carryLength += part.length;
    // Decided once, when the line grows past the limit: only its start tells its type.
    if (this.carryLength > MAX_HELD_LINE && this.carryLength - part.length <= MAX_HELD_LINE) {
      const head = Buffer.concat(this.carry, Math.min(this.carryLength, 4096));
      if (!wanted(head, 0, head.length)) {
        this.dropCarry();
        this.skippingLongLine = true;
      }
    }
  }

  private dropCarry(): void {
    this.carry = [];
    this.carryLength = 0;
    this.skippingLongLine = false;
  }

  /** Scans whole lines `[from, to)` of `buf`, a view of the skipper's memory; `to` follows a line break. */
  private scanLines(buf: Buffer, from: number, to: number): void {
    const base = buf.byteOffset - this.skipper.memory.byteOffset;
    let start = from;
    while (start < to) {
      start = this.skipper.skip(base + start, base + to) - base;
      if (start >= to) return;
      const nl = buf.indexOf(NEWLINE, start);
      this.scanLine(buf, start, nl);
      start = nl + 1;
    }
  }

  private scanLine(buf: Buffer, start: number, end: number): void {
    const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
    if (!wanted(buf, start, stop)) return;
    const line = parseMachineReadableLine(buf.toString('utf8', start, stop));
    if (line) this.collector.add(line);
  }
}

/** True while `buf` is a proper prefix of a UTF-8 or UTF-16LE byte order mark, which the next bytes decide. */
function mayStartByteOrderMark(buf: Buffer): boolean {
  if (buf.length === 0) return true;
  if (buf.length < 3 && buf[0] === 0xef) return buf.length === 1 || buf[1] === 0xbb;
  return buf.length === 1 && buf[0] === 0xff;
}

/**
 * True when the bytes hold a Packer line of a type the collector uses: `artifact`, `error` or `ui,error`.
 * Checked on the bytes so that the other lines are never decoded.
 */
function wanted(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === start || i >= end || buf[i] !== COMMA) return false;
  // The target is short (usually empty): a loop beats a native indexOf call here.
  let typeStart = i + 1;
  while (typeStart < end && buf[typeStart] !== COMMA) typeStart++;
  typeStart++;
  if (typeStart >= end) return false;
  return (
    startsWith(buf, typeStart, end, 'artifact,') ||
    startsWith(buf, typeStart, end, 'ui,error,') ||
    // An error without a message still names its build, as it does for `packer build`.
    (startsWith(buf, typeStart, end, 'error') && (typeStart + 5 === end || buf[typeStart + 5] === COMMA))
  );
}

function startsWith(buf: Buffer, at: number, end: number, ascii: string): boolean {
  if (end - at < ascii.length) return false;
  for (let k = 0; k < ascii.length; k++) if (buf[at + k] !== ascii.charCodeAt(k)) return false;
  return true;
}

/** The error reported for a last line that has no line break: Packer ends every line, so the log was cut. */
export function truncatedLineError(partial: string): PackerError {
  const line = parseMachineReadableLine(partial);
  const preview = partial.length > 120 ? `${partial.slice(0, 120)}...` : partial;
  const what = preview === '' ? 'a very long line' : JSON.stringify(preview);
  return {
    build: line?.target ?? '',
    message: `the log ends in the middle of a line (packer was stopped or the log was cut short); ignored ${what}`,
  };
}

/** Parses a log from a stream of chunks (a Readable such as standard input, or any async iterable). */
export async function parsePackerLog(input: AsyncIterable<Buffer | string>): Promise<PackerResult> {
  const scanner = new PackerLogScanner();
  for await (const chunk of input) scanner.write(chunk);
  return scanner.end();
}

/**
 * Parses a log file, reading it in {@link READ_SIZE} pieces straight into the scanner's read buffer.
 * Synchronous reads: reading on libuv's thread pool while scanning was measured no faster on these 2-core VMs
 * (the main thread sat idle ~30 ms of a 200 MB log waiting for the hand-offs), and it is slower under load.
 * `readSize` (at most {@link READ_SIZE}) is for tests that cut a small log into many reads.
 */
export async function parsePackerLogFile(
  path: string,
  options: { readSize?: number } = {},
): Promise<PackerResult> {
  const readSize = Math.min(options.readSize ?? READ_SIZE, READ_SIZE);
  const scanner = new PackerLogScanner();
  const buffer = scanner.readBuffer();
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, readSize, null);
      if (bytesRead === 0) break;
      scanner.write(buffer.subarray(0, bytesRead));
    }
  } finally {
    closeSync(fd);
  }
  return scanner.end();
}
