/**
 * Writes the project's `.circleci/config.yml` from scripts/lib/project-config.ts (built with the CircleCI
 * config SDK). Run it after changing that module; test/circleci-config fails while the checked-in file is stale.
 *
 * Usage: tsx scripts/generate-circleci-config.ts [--out .circleci/config.yml]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { projectConfig } from './lib/project-config.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { out: { type: 'string', default: join(repo, '.circleci', 'config.yml') } },
});

const { text } = projectConfig();
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, text);
process.stderr.write(`wrote ${relative(process.cwd(), values.out) || values.out}\n`);
