import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { generatePackerLog } from '../../bench/generate-packer-log.js';
import { type PackerResult, PackerResultCollector } from '../../src/packer/artifacts.js';
import { escapeField, parseMachineReadableLine } from '../../src/packer/machine-readable.js';
import {
  PackerLogScanner,
  parsePackerLogFile,
  READ_SIZE,
  truncatedLineError,
} from '../../src/packer/parse-log.js';
import { createUiLineSkipper } from '../../src/packer/ui-line-skipper.js';

/**
 * The straightforward parse the scanner must agree with: decode the whole log, split it into lines (LF or
 * CRLF), give every line to the collector, as `packer build` does with the lines it reads; an unfinished last
 * line is an error.
 */
function parseLineByLine(bytes: Buffer): PackerResult {
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) text = bytes.toString('utf8', 3);
  else text = bytes.toString('utf8');
  const lines = text.split('\n');
  const last = lines.pop() as string;
  const collector = new PackerResultCollector();
  for (const line of lines) {
    const parsed = parseMachineReadableLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (parsed) collector.add(parsed);
  }
  if (last.replace(/\r$/, '') !== '') {
    const error = truncatedLineError(last);
    collector.addError(error.build, error.message);
  }
  return collector.result();
}

/** Cuts `bytes` at the given sizes (the rest in one last chunk). */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

/** Feeds chunks from the caller's own buffers, which the scanner copies into its memory. */
function scanCopied(chunks: readonly Buffer[]): PackerResult {
  const scanner = new PackerLogScanner();
  for (const chunk of chunks) scanner.write(Buffer.from(chunk));
  return scanner.end();
}

/** Feeds chunks read into the scanner's own read buffer, as the file reader does. */
function scanInPlace(chunks: readonly Buffer[]): PackerResult {
  const scanner = new PackerLogScanner();
  const buffer = scanner.readBuffer();
  for (const chunk of chunks) {
    // Line breaks left behind by an earlier read must not count as ends of lines of this chunk.
    buffer.fill(10, 0, chunk.length + 64);
    chunk.copy(buffer);
    scanner.write(buffer.subarray(0, chunk.length));
  }
  return scanner.end();
}

const timestamp = fc.oneof(fc.constant('1736153193'), fc.nat({ max: 99_999 }).map(String));
const target = fc.constantFrom('', 'amazon-ebs.win2022', 'docker.x', 'b');
const text = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    ' ',
    ',',
    '%',
    '!',
    '(',
    ')',
    ':',
    '\\',
    '\r',
    'e',
    '0',
    'é',
    '€',
    '😀',
    '\uFEFF',
  ),
  maxLength: 24,
});
/** Data fields: escaped as Packer writes them, or raw, as a hand-made or damaged log may hold them. */
const data = fc.tuple(text, fc.boolean()).map(([value, escaped]) => (escaped ? escapeField(value) : value));
const errorText = fc.oneof(
  data,
  fc
    .tuple(target, data)
    .map(([build, message]) => escapeField(`Build '${build}' errored after 1 second: ${message}`)),
  fc.tuple(target, data).map(([build, message]) => escapeField(`--> ${build}: ${message}`)),
  data.map((message) => escapeField(`==> amazon-ebs.win2022: ${message}`)),
);
const artifactField = fc.oneof(
  fc
    .tuple(fc.constantFrom('builder-id', 'id', 'string', 'files-count'), data)
    .map(([field, value]) => `${field},${value}`),
  fc.constantFrom(
    'id,us-east-1:ami-0123%!(PACKER_COMMA)eu-west-1:ami-0456',
    'end',
    'end',
    'builder-id,packer.file',
  ),
  fc.tuple(fc.nat(2), data).map(([index, file]) => `file,${index},${file}`),
);
const line = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(timestamp, fc.constantFrom('say', 'message'), data) },
    { weight: 2, arbitrary: fc.tuple(timestamp, fc.constant('error'), errorText) },
  )
  .map(([ts, kind, value]) => `${ts},,ui,${kind},${value}`);
const packerLine = fc.oneof(
  { weight: 6, arbitrary: line },
  {
    weight: 4,
    arbitrary: fc
      .tuple(timestamp, target, fc.nat(2), artifactField)
      .map(([ts, build, index, field]) => `${ts},${build},artifact,${index},${field}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(timestamp, target, data).map(([ts, build, msg]) => `${ts},${build},error,${msg}`),
  },
  { weight: 1, arbitrary: fc.tuple(timestamp, target).map(([ts, build]) => `${ts},${build},error`) },
  {
    weight: 1,
    arbitrary: fc.tuple(timestamp, target).map(([ts, build]) => `${ts},${build},artifact-count,1`),
  },
  { weight: 1, arbitrary: fc.constant('2025/01/06 08:04:01 plugin: artifact,0,id,us-east-1:ami-0bad') },
  { weight: 1, arbitrary: text },
);
/** A log: lines ending in LF or CRLF, maybe a byte order mark, maybe an unfinished last line. */
const log = fc
  .record({
    lines: fc.array(fc.tuple(packerLine, fc.boolean()), { maxLength: 25 }),
    last: fc.option(packerLine.filter((value) => value !== '')),
    bom: fc.boolean(),
  })
  .map(({ lines, last, bom }) => {
    const body = lines.map(([value, crlf]) => `${value}${crlf ? '\r\n' : '\n'}`).join('');
    return Buffer.from(`${bom ? '\uFEFF' : ''}${body}${last ?? ''}`, 'utf8');
  });
const sizes = fc.array(fc.nat({ max: 80 }), { maxLength: 30 });

describe('PackerLogScanner against the line-by-line parse', () => {
  it('agrees on any log cut anywhere, copied or scanned in place', () => {
    fc.assert(
      fc.property(log, sizes, (bytes, cuts) => {
        const expected = parseLineByLine(bytes);
        const chunks = cut(bytes, cuts);
        expect(scanCopied(chunks)).toEqual(expected);
        expect(scanInPlace(chunks)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on UTF-16LE logs cut anywhere, even inside a character', () => {
    fc.assert(
      fc.property(log, sizes, (utf8, cuts) => {
        const text = utf8.toString('utf8').replace(/^\uFEFF/, '');
        const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        expect(scanCopied(cut(bytes, cuts))).toEqual(parseLineByLine(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees on a large generated log given in one piece, which is copied in many', () => {
    let text = '';
    generatePackerLog({ bytes: 300_000, seed: 3 }, (chunk) => {
      text += chunk;
    });
    const bytes = Buffer.from(`${text}1736153193,b,error,cut`);
    expect(bytes.length).toBeGreaterThan(4 * 65536);
    const expected = parseLineByLine(bytes);
    expect(expected.errors.map((error) => error.build)).toEqual(['amazon-ebs.win2016', 'b']);
    expect(scanCopied([bytes])).toEqual(expected);
  });

  it('agrees where WebAssembly is missing (node --jitless) and lines are split in JavaScript', () => {
    vi.stubGlobal('WebAssembly', undefined);
    try {
      expect(createUiLineSkipper(64).engine).toBe('js');
      fc.assert(
        fc.property(log, sizes, (bytes, cuts) => {
          const chunks = cut(bytes, cuts);
          expect(scanInPlace(chunks)).toEqual(parseLineByLine(bytes));
        }),
        { numRuns: 100 },
      );
    } finally {
      vi.unstubAllGlobals();
    }
    expect(createUiLineSkipper(64).engine).toBe('wasm');
  });

  it('reports an error with no message and one whose data looks like a ui line', () => {
    const result = scanCopied([Buffer.from('1,,error,x,,ui,say\n7,amazon-ebs.x,error\n')]);
    expect(result.errors).toEqual([
      { build: '', message: 'x,,ui,say' },
      { build: 'amazon-ebs.x', message: '' },
    ]);
  });
});

describe('parsePackerLogFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hephestus-parse-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with the line-by-line parse whatever the size of its reads', async () => {
    const file = path.join(dir, 'packer.log');
    await fc.assert(
      fc.asyncProperty(log, fc.integer({ min: 1, max: 64 }), async (bytes, readSize) => {
        writeFileSync(file, bytes);
        expect(await parsePackerLogFile(file, { readSize })).toEqual(parseLineByLine(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('reads a log larger than its read buffer', async () => {
    const file = path.join(dir, 'big.log');
    let text = '';
    const expected = generatePackerLog({ bytes: READ_SIZE + 100_000, seed: 5 }, (chunk) => {
      text += chunk;
    });
    writeFileSync(file, text);
    expect(await parsePackerLogFile(file)).toEqual(expected);
    expect(await parsePackerLogFile(file, { readSize: 65_521 })).toEqual(expected);
  });
});
