import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackerResultCollector } from '../../src/packer/artifacts.js';
import { parseMachineReadableLine } from '../../src/packer/machine-readable.js';
import { createUiLineSkipper, skipUiLines } from '../../src/packer/ui-line-skipper.js';

const wasm = createUiLineSkipper(1 << 16);

/** Both engines, as (text at offset 0, end) -> where the skip stopped. */
const engines = {
  wasm: (text: string, end?: number) => {
    const bytes = Buffer.from(text, 'utf8');
    bytes.copy(wasm.memory);
    // Stale line breaks after the end must not count as the end of a line.
    wasm.memory.fill(10, bytes.length, bytes.length + 64);
    return wasm.skip(0, end ?? bytes.length);
  },
  js: (text: string, end?: number) => {
    const bytes = Buffer.from(`${text}${'\n'.repeat(64)}`, 'utf8');
    return skipUiLines(bytes, 0, end ?? Buffer.byteLength(text));
  },
};

const say = '1736153193,,ui,say,==> amazon-ebs.win2022: Waiting for WinRM to become available...\n';
const message = '1736153193,,ui,message,    amazon-ebs.win2022: Installing update KB5034439\n';

describe('the WebAssembly kernel', () => {
  it('runs on this Node', () => {
    expect(wasm.engine).toBe('wasm');
    expect(wasm.memory.length).toBe(1 << 16);
  });
});

describe.each(Object.entries(engines))('%s engine', (_, skip) => {
  it('skips run-wide ui lines and stops at the first line that may matter', () => {
    const stops = [
      '1736153193,amazon-ebs.win2022,artifact,0,id,us-east-1:ami-0123\n',
      '1736153193,,ui,error,Build errored\n',
      '1736153193,amazon-ebs.win2022,error,Script failed\n',
      '1736153193,,error-count,1\n',
      '1,,ui,say,a short timestamp\n',
      '2025/01/06 08:04:01 packer-builder-amazon-ebs plugin: artifact,0,id\n',
      '1736153193,,ui,\n',
      '\n',
    ];
    for (const stop of stops) {
      const head = `${say}${message}${say}`;
      expect(skip(`${head}${stop}${say}`)).toBe(Buffer.byteLength(head));
    }
  });

  it('returns the end when every line was skipped', () => {
    const log = `${say}${message}${say.replace('\n', '\r\n')}`;
    expect(skip(log)).toBe(Buffer.byteLength(log));
    expect(skip('')).toBe(0);
  });

  it('stops at a line that is not finished before the end', () => {
    expect(skip(`${say}${message}`, say.length + 20)).toBe(say.length);
    expect(skip(`${say}${message.slice(0, -1)}`)).toBe(say.length);
  });

  it('does not skip an error whose data holds `,,ui,` where a 10-digit timestamp would end', () => {
    // Short timestamp and target: the type is `error`, found at byte 3, not `ui`.
    expect(skip('1,,error,x,,ui,say\n')).toBe(0);
    expect(skip('1234,56789,,ui,say\n')).toBe(0);
  });
});

/** Lines built to sit near the boundary of what is skipped: ui lines, their near misses, and noise. */
const lineArbitrary = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('1736153193', '1', '173615319', '17361531930', '173615319a', '17361,5319'),
      fc.constantFrom('', 'b', 'amazon-ebs.x'),
      fc.constantFrom('ui', 'uI', 'artifact', 'error', 'u'),
      fc.constantFrom('say', 'message', 'error', 'e', '', '\r', ',', 'x'),
      fc.string({ unit: fc.constantFrom('a', ',', ' ', '\r', 'é', 'e', 'u', 'i', '1'), maxLength: 12 }),
    )
    .map(([ts, target, type, kind, text]) => `${ts},${target},${type},${kind}${text}`),
  fc.string({
    unit: fc.constantFrom('1', '0', ',', 'u', 'i', 'e', 'r', 'o', '\r', 'a', 'é', '😀'),
    maxLength: 24,
  }),
);
const logArbitrary = fc.array(lineArbitrary, { maxLength: 12 }).map((lines) => Buffer.from(lines.join('\n')));

describe('skipUiLines', () => {
  it('gives the same answers in WebAssembly and JavaScript, wherever the data lies and ends', () => {
    fc.assert(
      fc.property(
        logArbitrary,
        fc.nat({ max: 40 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(10, 0, 44),
        (log, offset, a, b, after) => {
          const start = Math.min(a, b) % (log.length + 1);
          const end = start + ((Math.max(a, b) - Math.min(a, b)) % (log.length - start + 1));
          log.copy(wasm.memory, offset);
          wasm.memory.fill(after, offset + log.length, offset + log.length + 64);
          const js = skipUiLines(Buffer.concat([log, Buffer.alloc(64, after)]), start, end);
          expect(wasm.skip(offset + start, offset + end) - offset).toBe(js);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('only skips lines that the result does not depend on', () => {
    fc.assert(
      fc.property(logArbitrary, (log) => {
        const stop = skipUiLines(log, 0, log.length);
        for (const line of log.subarray(0, stop).toString('utf8').split('\n').slice(0, -1)) {
          const parsed = parseMachineReadableLine(line);
          const collector = new PackerResultCollector();
          if (parsed) collector.add(parsed);
          expect(collector.result(), line).toEqual({ builds: [], errors: [] });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
