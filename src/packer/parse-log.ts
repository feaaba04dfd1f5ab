/**
 * Streams a `packer build -machine-readable` log into a {@link PackerResult} with constant memory: only the
 * artifacts and errors are kept, never the lines.
 *
 * Windows builds log tens of MB of provisioner output, nearly all `ui` lines that carry no artifact. Splitting
 * lines on the bytes and looking at the type field before decoding skips them without making a string. Measured
 * on a generated 200 MB log (bench/generate-packer-log.ts, 2 cores), whole process: this scanner ~0.2 s (node
 * alone starts in ~0.06 s), readline ~1.0 s; `grep | cut` ~0.1 s. Searching the bytes for `,artifact,` and
 * `,error,` with Buffer.indexOf instead of splitting lines was measured 2x slower: on Node 20 a multi-byte needle
 * whose first byte is common (a comma) runs at ~1 GB/s, while a single-byte search (the line break) is memchr.
 * Only lines of type `artifact`, `error` and `ui,error` are decoded.
 */
import { open } from 'node:fs/promises';
import { type PackerError, type PackerResult, PackerResultCollector } from './artifacts.js';
import { parseMachineReadableLine } from './machine-readable.js';

const NEWLINE = 10;
const CR = 13;
const COMMA = 44;
/** A line longer than this that is not an artifact or error line is skipped without being held. */
const MAX_HELD_LINE = 1 << 20;
const READ_SIZE = 1 << 20;

/** Feed chunks of a log with {@link write}, then call {@link end}. */
export class PackerLogScanner {
  private readonly collector = new PackerResultCollector();
  private carry: Buffer[] = [];
  private carryLength = 0;
  private skippingLongLine = false;
  private first = true;
  private utf16?: TextDecoder;

  /** Scans a chunk; a line split between chunks is completed by the next one. */
  write(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.first && buf.length > 0) {
      this.first = false;
      buf = this.stripByteOrderMark(buf);
    }
    if (this.utf16) buf = Buffer.from(this.utf16.decode(buf, { stream: true }), 'utf8');
    this.scanBytes(buf);
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

  /** The result; a last line without its line break means the log was cut short and is reported as an error. */
  end(): PackerResult {
    if (this.utf16) {
      const rest = this.utf16.decode();
      if (rest !== '') this.scanBytes(Buffer.from(rest, 'utf8'));
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

  private scanLines(buf: Buffer, from: number, to: number): void {
    let start = from;
    while (start < to) {
      const nl = buf.indexOf(NEWLINE, start);
      const end = nl < 0 || nl >= to ? to : nl;
      this.scanLine(buf, start, end);
      start = end + 1;
    }
  }

  private scanLine(buf: Buffer, start: number, end: number): void {
    const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
    if (!wanted(buf, start, stop)) return;
    const line = parseMachineReadableLine(buf.toString('utf8', start, stop));
    if (line) this.collector.add(line);
  }
}

/**
 * True when the bytes hold a Packer line of a type the collector uses: `artifact`, `error` or `ui,error`.
 * Checked on the bytes so that the other lines are never decoded.
 */
function wanted(buf: Buffer, start: number, end: number): boolean {
  // Fast path for the bulk of a log, `<10-digit timestamp>,,ui,say|message,...`: not wanted whatever the first
  // ten bytes are, so they need no check.
  if (
    buf[start + 10] === COMMA &&
    buf[start + 11] === COMMA &&
    buf[start + 12] === 117 &&
    buf[start + 13] === 105 &&
    buf[start + 14] === COMMA &&
    buf[start + 15] !== 101 &&
    start + 15 < end
  ) {
    return false;
  }
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
    startsWith(buf, typeStart, end, 'error,') ||
    startsWith(buf, typeStart, end, 'ui,error,')
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
 * Parses a log file, reading it in 1 MiB pieces into two reused buffers: the next piece is read (on libuv's
 * thread pool) while this one is scanned, so on two cores the copy from the page cache costs no wall time.
 * Larger pieces were slower: a 4 MiB buffer no longer stays in cache between the read and the scan.
 */
export async function parsePackerLogFile(path: string): Promise<PackerResult> {
  const scanner = new PackerLogScanner();
  const handle = await open(path, 'r');
  let spare = Buffer.allocUnsafe(READ_SIZE);
  let pending = handle.read(Buffer.allocUnsafe(READ_SIZE), 0, READ_SIZE, null);
  try {
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      // Reads are issued one after the other, so the file position stays in order.
      pending = handle.read(spare, 0, READ_SIZE, null);
      spare = buffer;
      scanner.write(buffer.subarray(0, bytesRead));
    }
  } finally {
    await pending.catch(() => undefined);
    await handle.close();
  }
  return scanner.end();
}
