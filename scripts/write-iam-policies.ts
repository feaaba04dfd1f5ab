/** Writes docs/iam/*.json and the IAM section of docs/setup.md from src/aws/iam-policies.ts. */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { iamPolicyFiles, replaceSetupIamSection } from '../src/aws/iam-docs.js';

const dir = new URL('../docs/iam/', import.meta.url);
const setup = new URL('../docs/setup.md', import.meta.url);
const files = iamPolicyFiles();
await mkdir(dir, { recursive: true });
// A role that was removed or renamed must not leave its old file behind.
for (const name of await readdir(dir)) if (!(name in files)) await rm(new URL(name, dir));
for (const [name, content] of Object.entries(files)) await writeFile(new URL(name, dir), content);
await writeFile(setup, replaceSetupIamSection(await readFile(setup, 'utf8')));
process.stderr.write(
  `wrote ${Object.keys(files).length} files in ${dir.pathname} and the IAM section of ${setup.pathname}\n`,
);
