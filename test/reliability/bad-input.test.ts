/**
 * Bad input (issue 7): every hostile input of the table, through the built bundle as a user runs it. A refused
 * input exits 2, names the file (line, column, setting where the case knows them) and leaves the directory
 * exactly as it was; an accepted one edits correctly. Every output is also checked for the canary.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editFile } from '../../src/edit/edit-file.js';
import { HephestusError } from '../../src/errors.js';
import { runCli } from '../cli/run-cli.js';
import { CANARY_ENV, checkCanary } from './canary.js';
import { type FileSpec, HOSTILE_INPUTS, type HostileCase, type Refusal } from './hostile-inputs.js';

const scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-hostile-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

let caseNumber = 0;

/** Lays the case's files out in a fresh directory. */
async function layOut(files: Record<string, FileSpec>): Promise<string> {
  const dir = path.join(scratch, String(++caseNumber));
  await mkdir(dir);
  for (const [name, spec] of Object.entries(files)) {
    const target = path.join(dir, name);
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof spec === 'object' && 'link' in spec) await symlink(spec.link, target);
    else if (typeof spec === 'object' && 'dir' in spec) await mkdir(target);
    else await writeFile(target, spec);
  }
  return dir;
}

/** Every entry under `dir` (links not followed) with its kind, size, mtime and content hash. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    const stat = await lstat(file);
    const kind = stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : 'file';
    const hash =
      kind === 'file'
        ? createHash('sha256')
            .update(await readFile(file))
            .digest('hex')
        : '';
    state[entry] = `${kind} ${stat.size} ${stat.mtimeMs} ${hash}`;
  }
  return state;
}

interface Outcome {
  exitCode: number;
  /** The message as the user reads it (stderr of the CLI, `describe()` of the error). */
  message: string;
  location?: { file?: string; line?: number; column?: number; setting?: string };
  captured: string[];
}

async function execute(testCase: HostileCase, dir: string): Promise<Outcome> {
  if ('cli' in testCase.run) {
    const run = runCli([...testCase.run.cli, '--json'], { cwd: dir, env: CANARY_ENV });
    const json = run.stdout.trim() ? (JSON.parse(run.stdout) as { error?: Outcome['location'] }) : {};
    return {
      exitCode: run.status ?? -1,
      message: run.stderr,
      location: json.error,
      captured: [run.stdout, run.stderr],
    };
  }
  try {
    await editFile(testCase.run.editFile(dir));
    return { exitCode: 0, message: '', captured: [] };
  } catch (error) {
    if (!(error instanceof HephestusError)) throw error;
    return {
      exitCode: error.exitCode,
      message: error.describe(),
      location: error.location,
      captured: [error.describe()],
    };
  }
}

function expectRefusal(outcome: Outcome, expected: Refusal): void {
  expect(outcome.message).toMatch(expected.message);
  expect(outcome.exitCode).toBe(2);
  const location = outcome.location ?? {};
  if (expected.file === null) {
    expect(location.file).toBeUndefined();
  } else {
    const file = expected.file as string;
    expect(location.file?.endsWith(file), `names ${file}: ${outcome.message}`).toBe(true);
    expect(outcome.message).toContain(file);
  }
  if (expected.line === true) expect(location.line).toBeGreaterThan(0);
  else if (expected.line !== undefined) expect(location.line).toBe(expected.line);
  if (expected.column !== undefined) expect(location.column).toBe(expected.column);
  if (expected.setting !== undefined) expect(location.setting).toBe(expected.setting);
  if (expected.line !== undefined || expected.setting !== undefined) {
    // The human message carries what the JSON carries: `file:line:column: setting: message`.
    const where = [
      expected.file ?? '',
      location.line !== undefined ? `:${location.line}` : '',
      location.column !== undefined ? `:${location.column}` : '',
    ].join('');
    expect(outcome.message).toContain(where);
    if (expected.setting !== undefined) expect(outcome.message).toContain(expected.setting);
  }
}

describe('hostile inputs', () => {
  it('has at least 50 cases, each with its own name', () => {
    const names = HOSTILE_INPUTS.map((testCase) => testCase.name);
    expect(names.length).toBeGreaterThanOrEqual(50);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const testCase of HOSTILE_INPUTS) {
    it(testCase.name, async ({ task }) => {
      task.meta.figure = 'hostile';
      const dir = await layOut(testCase.files);
      const before = await snapshot(dir);

      const outcome = await execute(testCase, dir);
      expect(checkCanary(task, ...outcome.captured), 'canary in the output').toBe(0);

      if (testCase.expect.kind === 'refused') {
        expectRefusal(outcome, testCase.expect);
        // Nothing written: same entries (so no temporary file left), same bytes, same mtimes.
        expect(await snapshot(dir)).toEqual(before);
      } else {
        expect(outcome.message).not.toMatch(/error:/);
        expect(outcome.exitCode).toBe(0);
        const bytes = await readFile(path.join(dir, testCase.expect.file));
        expect(bytes.equals(Buffer.from(testCase.expect.bytes))).toBe(true);
        const after = await snapshot(dir);
        expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
        for (const [name, spec] of Object.entries(testCase.files)) {
          if (typeof spec === 'object' && 'link' in spec) expect(after[name]).toMatch(/^link /);
        }
      }
    });
  }
});
