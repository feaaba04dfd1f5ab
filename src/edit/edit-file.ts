/**
 * `hephestus edit`: one value in one file, changed byte-for-byte in place. Reads the file, hands the text to
 * the format's pure updater (twice for a document embedded in a string), re-parses and verifies the result,
 * and writes atomically. Any problem leaves the file as it was.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { InputError, lineColumnAt } from '../errors.js';
import { applyEdit, checkEditOptions, type TextEdit } from './apply-edit.js';
import type { FormatName, FormatUpdater } from './format.js';
import { checkFormatName, formatOf } from './format-name.js';
import { loadUpdater } from './load-updater.js';

/** Files larger than this are refused: no file people edit by hand and bump by tool is this big. */
export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

export interface EditRequest extends TextEdit {
  dryRun?: boolean;
  /** When set, the file (after following links) must lie inside this directory. */
  root?: string;
}

export interface EditResult {
  file: string;
  format: FormatName;
  path: string;
  innerPath?: string;
  /** The old string value, when the old value was a string. */
  before?: string;
  after: string;
  changed: boolean;
  written: boolean;
  /** A unified diff of the change (empty when nothing changed). */
  diff: string;
}

/** Applies one edit to a file. Throws {@link InputError} (exit 2) for bad input; the file is then untouched. */
export async function editFile(request: EditRequest): Promise<EditResult> {
  const { file } = request;
  checkEditOptions(request);
  // The format is known from the name alone: an unknown one is refused before the file is looked at.
  const outerLoading = loadUpdater(formatOf(file, request.format));
  // Its code loads while the file is read; a failure surfaces where it is awaited, not as an unhandled rejection.
  outerLoading.catch(() => undefined);
  const target = await resolveTarget(file, request.root);
  const original = await readText(target, file);
  const edited = applyEdit(request, original, {
    outer: await outerLoading,
    ...(await innerUpdater(request.embedded)),
  });
  const { changed } = edited;
  if (changed && !request.dryRun) {
    // Only a real write needs node:crypto (for the temporary name); a dry run does not pay for loading it.
    const { writeFileAtomic } = await import('./write-file-atomic.js');
    await writeFileAtomic(target, edited.text);
  }
  return {
    file,
    format: edited.format,
    path: request.path,
    ...(request.innerPath !== undefined ? { innerPath: request.innerPath } : {}),
    ...(edited.before !== undefined ? { before: edited.before } : {}),
    after: request.value,
    changed,
    written: changed && !request.dryRun,
    diff: changed ? unifiedDiff(file, original, edited.text) : '',
  };
}

/** The embedded document's updater, if the edit has one; an unknown format is refused only now, as before. */
async function innerUpdater(embedded: string | undefined): Promise<{ inner?: FormatUpdater }> {
  if (embedded === undefined) return {};
  return { inner: await loadUpdater(checkFormatName(embedded, '--embedded')) };
}

/** Follows a symbolic link to the file it names (so the link survives the atomic rename), inside `root` if given. */
async function resolveTarget(file: string, root: string | undefined): Promise<string> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, { file });
  }
  const target = stat.isSymbolicLink() ? await realpath(file) : file;
  if (root !== undefined) {
    const realRoot = await realpath(root);
    const relative = path.relative(realRoot, await realpath(target));
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new InputError(`the file resolves outside the repository (${realRoot})`, { file });
    }
  }
  const targetStat = stat.isSymbolicLink() ? await lstat(target) : stat;
  if (!targetStat.isFile()) throw new InputError('not a regular file', { file });
  if (targetStat.size > MAX_EDIT_BYTES) {
    throw new InputError(
      `file is ${targetStat.size} bytes; hephestus edits files up to ${MAX_EDIT_BYTES} bytes`,
      { file },
    );
  }
  return target;
}

async function readText(target: string, file: string): Promise<string> {
  const bytes = await readFile(target);
  if (bytes.includes(0))
    throw new InputError('file holds binary content (a NUL byte); not a text file', { file });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // The lossy decoding marks the first bad sequence with U+FFFD; its position gives the line and column.
    const lossy = bytes.toString('utf8');
    const { line, column } = lineColumnAt(lossy, lossy.indexOf('\uFFFD'));
    throw new InputError('file is not valid UTF-8', { file, line, column });
  }
}

/**
 * A unified diff of a single-span edit. The updaters change one contiguous span, so the common prefix and suffix
 * lines bound the only hunk; a general diff library would find the same hunk at more cost.
 */
export function unifiedDiff(file: string, before: string, after: string, context = 2): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - context);
  const toA = Math.min(a.length - 1, endA + context);
  const toB = Math.min(b.length - 1, endB + context);
  const lines = [
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${from + 1},${toA - from + 1} +${from + 1},${toB - from + 1} @@`,
  ];
  for (let i = from; i < start; i++) lines.push(` ${a[i]}`);
  for (let i = start; i <= endA; i++) lines.push(`-${a[i]}`);
  for (let i = start; i <= endB; i++) lines.push(`+${b[i]}`);
  for (let i = endA + 1; i <= toA; i++) lines.push(` ${a[i]}`);
  return `${lines.join('\n')}\n`;
}
