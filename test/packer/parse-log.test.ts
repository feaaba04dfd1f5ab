import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackerArtifact, PackerResult } from '../../src/packer/artifacts.js';
import { escapeField } from '../../src/packer/machine-readable.js';
import { PackerLogScanner, parsePackerLog, parsePackerLogFile } from '../../src/packer/parse-log.js';

const fixture = (name: string) => new URL(`../fixtures/packer/${name}`, import.meta.url).pathname;

function parseText(text: string | Buffer, chunkSizes: number[] = []): PackerResult {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const scanner = new PackerLogScanner();
  let at = 0;
  for (const size of chunkSizes) {
    scanner.write(bytes.subarray(at, at + size));
    at += size;
  }
  scanner.write(bytes.subarray(at));
  return scanner.end();
}

describe('parsePackerLogFile on recorded logs', () => {
  it.each([
    'amazon-ebs-multi-region.log',
    'interleaved-json-template.log',
    'amazon-ebs-truncated.log',
    'cancelled-by-sigterm.log',
    'invalid-template.log',
  ])('%s', async (name) => {
    const result = await parsePackerLogFile(fixture(name));
    await expect(`${JSON.stringify(result, null, 2)}\n`).toMatchFileSnapshot(`__snapshots__/${name}.json`);
  });

  it('finds the multi-region AMIs that grep | cut gets wrong', async () => {
    const result = await parsePackerLogFile(fixture('amazon-ebs-multi-region.log'));
    expect(result.builds.map((build) => build.name)).toEqual(['amazon-ebs.win2019', 'amazon-ebs.win2022']);
    expect(result.builds[1]?.artifacts).toEqual([
      {
        builderId: 'mitchellh.amazonebs',
        id: 'us-east-1:ami-0c1d2e3f4a5b6c7d8,us-west-2:ami-0d2e3f4a5b6c7d8e9,eu-west-1:ami-0e3f4a5b6c7d8e9f0',
        images: [
          { region: 'us-east-1', ami: 'ami-0c1d2e3f4a5b6c7d8' },
          { region: 'us-west-2', ami: 'ami-0d2e3f4a5b6c7d8e9' },
          { region: 'eu-west-1', ami: 'ami-0e3f4a5b6c7d8e9f0' },
        ],
      },
    ]);
    expect(result.errors).toEqual([
      {
        build: 'amazon-ebs.win2019',
        message: 'Script exited with non-zero exit status: 1.Allowed exit codes are: [0]',
      },
    ]);
  });

  it('parses a CRLF log as its LF original', async () => {
    const lf = await parsePackerLogFile(fixture('amazon-ebs-multi-region.log'));
    expect(await parsePackerLogFile(fixture('amazon-ebs-multi-region.crlf.log'))).toEqual(lf);
  });

  it('keeps what came before a cut line and reports the cut for the build it belonged to', async () => {
    const result = await parsePackerLogFile(fixture('amazon-ebs-truncated.log'));
    const win2022 = result.builds.find((build) => build.name === 'amazon-ebs.win2022');
    // The half-written id line would have given a one-region AMI: it must not be taken.
    expect(win2022?.artifacts).toEqual([]);
    expect(result.errors.map((error) => error.build)).toEqual(['amazon-ebs.win2019', 'amazon-ebs.win2022']);
    expect(result.errors[1]?.message).toMatch(/^the log ends in the middle of a line/);
  });

  it('reports a cancelled run as a run-wide error', async () => {
    const result = await parsePackerLogFile(fixture('cancelled-by-sigterm.log'));
    expect(result).toEqual({
      builds: [],
      errors: [{ build: '', message: 'Cancelling build after receiving terminated' }],
    });
  });
});

describe('PackerLogScanner', () => {
  const text = readFileSync(fixture('interleaved-json-template.log'), 'utf8');

  it('gives the same result however the stream is cut into chunks', () => {
    const whole = parseText(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 40 }), (sizes) => {
        expect(parseText(text, sizes)).toEqual(whole);
      }),
    );
  });

  it('reads standard input as a Readable', async () => {
    expect(await parsePackerLog(Readable.from([Buffer.from(text)]))).toEqual(parseText(text));
  });

  it('reads UTF-8 with a byte order mark and UTF-16LE as Windows PowerShell writes it', () => {
    const whole = parseText(text);
    expect(parseText(`\uFEFF${text}`)).toEqual(whole);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(text.replaceAll('\n', '\r\n'), 'utf16le'),
    ]);
    expect(parseText(utf16, [3, 100, 1, 7])).toEqual(whole);
  });

  it('skips a huge plugin line without holding it, and still reads the lines after it', () => {
    const huge = `2025/01/06 08:04:01 plugin: ${'x'.repeat(3 << 20)}`;
    const log = `${huge}\n1,b,artifact,0,builder-id,packer.file\n1,b,artifact,0,id,File\n1,b,artifact,0,end\n`;
    expect(parseText(log, [1000, 2 << 20])).toEqual({
      builds: [{ name: 'b', artifacts: [{ builderId: 'packer.file', id: 'File' }] }],
      errors: [],
    });
  });

  it('reports a log that ends in a very long cut line', () => {
    const result = parseText(
      `1,b,artifact,0,builder-id,x\n1,b,artifact,0,id,y\n1,,ui,say,${'y'.repeat(2 << 20)}`,
      [1 << 20],
    );
    expect(result.errors).toEqual([
      { build: '', message: expect.stringMatching(/ignored a very long line$/) },
    ]);
    expect(result.builds).toEqual([{ name: 'b', artifacts: [{ builderId: 'x', id: 'y' }] }]);
  });
});

describe('random builds serialised in a random interleaving', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}\.[a-z0-9]{1,6}$/);
  const region = fc.constantFrom('us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1');
  const ami = fc.stringMatching(/^[0-9a-f]{8,17}$/).map((hex) => `ami-${hex}`);
  const amiId = fc.uniqueArray(fc.tuple(region, ami), { minLength: 1, maxLength: 4, selector: ([r]) => r });
  // Free text with the characters Packer escapes; no backslash, which Packer leaves ambiguous.
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '\n', '\r', ':', 'é', '%', '!', '(') });
  const artifact = fc.oneof(
    amiId.map((pairs) => ({
      builderId: 'mitchellh.amazonebs',
      id: pairs.map(([r, a]) => `${r}:${a}`).join(','),
      files: [] as string[],
    })),
    fc.record({
      builderId: fc.constantFrom('packer.docker', 'packer.post-processor.checksum'),
      id: text,
      files: fc.array(text, { maxLength: 3 }),
    }),
  );
  const build = fc.record({
    name,
    artifacts: fc.array(artifact, { maxLength: 3 }),
    error: fc.option(text.filter((t) => t.trim() === t && t !== '')),
  });
  const builds = fc.uniqueArray(build, { minLength: 1, maxLength: 5, selector: (b) => b.name });

  it('parses back to the same builds, artifacts and errors', () => {
    fc.assert(
      fc.property(builds, fc.infiniteStream(fc.nat()), fc.boolean(), (input, choices, crlf) => {
        // Each build's artifact lines stay in order, as Packer prints them; builds interleave at random.
        const queues = input.map((b) => {
          const lines: string[] = [];
          lines.push(
            `1736153193,,ui,message,${escapeField(`    ${b.name}: artifact,0,id,us-east-1:ami-0123`)}`,
          );
          if (b.error !== null) lines.push(`1736153193,${b.name},error,${escapeField(b.error)}`);
          b.artifacts.forEach((a, i) => {
            lines.push(`1736153193,${b.name},artifact,${i},builder-id,${escapeField(a.builderId)}`);
            lines.push(`1736153193,${b.name},artifact,${i},id,${escapeField(a.id)}`);
            lines.push(`1736153193,${b.name},artifact,${i},string,${escapeField(`made ${a.id}\n`)}`);
            lines.push(`1736153193,${b.name},artifact,${i},files-count,${a.files.length}`);
            for (const [j, f] of a.files.entries()) {
              lines.push(`1736153193,${b.name},artifact,${i},file,${j},${escapeField(f)}`);
            }
            lines.push(`1736153193,${b.name},artifact,${i},end`);
          });
          return lines;
        });
        const log: string[] = ['2025/01/06 08:04:01 plugin: artifact,0,id,us-east-1:ami-0bad'];
        const choice = choices[Symbol.iterator]();
        for (
          let open = queues.filter((q) => q.length > 0);
          open.length > 0;
          open = queues.filter((q) => q.length > 0)
        ) {
          const queue = open[(choice.next().value as number) % open.length] as string[];
          log.push(queue.shift() as string);
        }
        const result = parseText(`${log.join(crlf ? '\r\n' : '\n')}\n`);

        const expected = new Map<string, { artifacts: Set<string>; error: string | null }>();
        for (const b of input) {
          if (b.artifacts.length === 0 && b.error === null) continue;
          const keys = new Set(b.artifacts.map((a) => JSON.stringify([a.builderId, a.id, a.files])));
          expected.set(b.name, { artifacts: keys, error: b.error });
        }
        expect(result.builds.map((b) => b.name)).toEqual([...expected.keys()].sort());
        for (const b of result.builds) {
          const keys = b.artifacts.map((a: PackerArtifact) =>
            JSON.stringify([a.builderId, a.id, a.files ?? []]),
          );
          expect(new Set(keys)).toEqual(expected.get(b.name)?.artifacts);
          expect(keys.length).toBe(new Set(keys).size);
          for (const a of b.artifacts) {
            if (a.builderId === 'mitchellh.amazonebs')
              expect(a.images?.map((i) => `${i.region}:${i.ami}`).join(',')).toBe(a.id);
          }
        }
        expect(result.errors).toEqual(
          input
            .filter((b) => b.error !== null)
            .map((b) => ({ build: b.name, message: b.error }))
            .sort((x, y) => (x.build < y.build ? -1 : 1)),
        );
      }),
      { numRuns: 200 },
    );
  });
});
