import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from '@cdktf/hcl2json';

const run = promisify(execFile);

/** The file as HashiCorp's own parser (hcl2json, compiled to wasm) reads it. */
export async function hclToJson(text: string): Promise<unknown> {
  return parse('edited.hcl', text);
}

/** hcl2json writes string values in HCL's JSON syntax, where a literal `${` or `%{` is escaped. */
export function asHclJsonString(value: string): string {
  return value
    .normalize('NFC')
    .replaceAll('${', () => '$${')
    .replaceAll('%{', () => '%%{');
}

export interface LeafDifference {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Every place where two JSON values differ, down to the first point where their shapes part. */
export function jsonDifferences(before: unknown, after: unknown, path = ''): LeafDifference[] {
  const isContainer = (value: unknown) => typeof value === 'object' && value !== null;
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return Object.is(before, after) ? [] : [{ path, before, after }];
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) => jsonDifferences(a[key], b[key], `${path}/${key}`));
}

export interface PackerResult {
  readonly code: number;
  readonly output: string;
}

/** Runs the real packer binary on a throwaway directory holding `files`. */
export async function packer(args: readonly string[], files: Record<string, string>): Promise<PackerResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hephestus-hcl-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    try {
      const { stdout, stderr } = await run('packer', [...args, '.'], {
        cwd: dir,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1' },
      });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where `before` and `after` differ: the changed span in each, after the common prefix and suffix. */
export function changedSpan(
  before: string,
  after: string,
): { start: number; removed: string; added: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  ) {
    end++;
  }
  return {
    start,
    removed: before.slice(start, before.length - end),
    added: after.slice(start, after.length - end),
  };
}
