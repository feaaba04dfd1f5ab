/**
 * Packs orb/src into dist/orb.yml as `circleci orb pack` does, then checks it: the packed orb and every example's
 * usage against CircleCI's config schema, and the orb-tools review rules. Exits 2 on a problem, naming it.
 *
 * Usage: tsx scripts/pack-orb.ts [--out dist/orb.yml] [--schema path] [--tag v1.2.3]
 *          [--cli-version 1.2.3 --cli-integrity sha512-...]
 *
 * A release packs with --cli-version and --cli-integrity (read back from the registry after `npm publish`), so the
 * published orb installs exactly that tarball by default.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { HephestusError, InputError } from '../src/errors.js';
import { packOrb, readOrbSource } from './lib/orb/pack-orb.js';
import { pinCli } from './lib/orb/pin-cli.js';
import { reviewOrb } from './lib/orb/review-rules.js';
import { createConfigValidator } from './lib/orb/validate-circleci-config.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(repo, 'dist', 'orb.yml') },
    // A vendored, unedited copy of ../shared/schemas (a CircleCI checkout has no ../shared); a test keeps them equal.
    schema: { type: 'string', default: join(repo, 'vendor', 'circleci-config.schema.json') },
    tag: { type: 'string', default: process.env.CIRCLE_TAG },
    'cli-version': { type: 'string' },
    'cli-integrity': { type: 'string' },
  },
});

/** Every file under `dir` by `/`-separated path relative to it. */
async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split(sep).join('/'), await readFile(path, 'utf8'));
  }
  return files;
}

/** The packed form of an orb value, as packOrb writes it. */
function pinned(orb: Record<string, unknown>): { orb: Record<string, unknown>; text: string } {
  return { orb, text: stringify(orb, { lineWidth: 0 }) };
}

try {
  const source = readOrbSource(await readTree(join(repo, 'orb', 'src')));
  const unpinned = packOrb(source);
  const cliVersion = values['cli-version'];
  const cliIntegrity = values['cli-integrity'];
  if ((cliVersion === undefined) !== (cliIntegrity === undefined)) {
    throw new InputError('--cli-version and --cli-integrity go together', { setting: 'cli-integrity' });
  }
  const packed =
    cliVersion !== undefined && cliIntegrity !== undefined
      ? pinned(pinCli(unpinned.orb, { version: cliVersion, integrity: cliIntegrity }))
      : unpinned;
  const problems: string[] = [];

  const validate = createConfigValidator(JSON.parse(await readFile(values.schema, 'utf8')) as object);
  for (const problem of validate(packed.orb))
    problems.push(`orb.yml: ${problem.pointer}: ${problem.message}`);
  for (const example of source.components.filter((c) => c.folder === 'examples')) {
    for (const problem of validate(example.value.usage)) {
      problems.push(`${example.file}: usage${problem.pointer}: ${problem.message}`);
    }
  }
  for (const finding of reviewOrb(source, { orbName: 'hephestus', tag: values.tag })) {
    problems.push(`${finding.file}: ${finding.rule}: ${finding.message}`);
  }

  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`${problem}\n`);
    process.exitCode = 2;
  } else {
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, packed.text);
    process.stderr.write(`packed ${relative(process.cwd(), values.out)}: valid, review clean\n`);
  }
} catch (error) {
  if (!(error instanceof HephestusError)) throw error;
  process.stderr.write(`${error.describe()}\n`);
  process.exitCode = error.exitCode;
}
