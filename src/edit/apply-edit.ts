/**
 * The in-memory half of an edit, given its updaters: one value in one document's text changed by the format's
 * pure updater (twice for a document embedded in a string), verified by re-parsing. No I/O, and no format's
 * code imported here, so `hephestus edit` can load only the formats an edit names.
 */
import { InputError } from '../errors.js';
import { EditError, type FormatName, type FormatUpdater } from './format.js';
import { maskTemplateActions, unmaskEdit } from './formats/go-template.js';

export interface TextEdit {
  /** The file's name: it picks the format unless `format` is given, and locates errors. */
  file: string;
  path: string;
  value: string;
  format?: string;
  embedded?: string;
  innerPath?: string;
  create?: boolean;
}

export interface TextEditResult {
  format: FormatName;
  /** The old string value, when the old value was a string. */
  before?: string;
  /** The new text (a leading byte-order mark kept). */
  text: string;
  changed: boolean;
}

/** The updaters of one edit: the file's, and the embedded document's when there is one. */
export interface EditUpdaters {
  outer: FormatUpdater;
  inner?: FormatUpdater;
}

const BOM = '\uFEFF';

/** Checks an edit's options before any text is read: `embedded` and `innerPath` come together. */
export function checkEditOptions(edit: Pick<TextEdit, 'embedded' | 'innerPath'>): void {
  if (edit.embedded !== undefined && edit.innerPath === undefined) {
    throw new InputError('--embedded needs --inner-path (the path inside the embedded document)', {
      setting: '--inner-path',
    });
  }
  if (edit.innerPath !== undefined && edit.embedded === undefined) {
    throw new InputError('--inner-path needs --embedded (the format of the embedded document)', {
      setting: '--embedded',
    });
  }
}

/**
 * Applies one edit to `original` (a file's text) with the given updaters; `inner` must be the embedded format's
 * when the edit has one. Throws {@link InputError} (exit 2) for bad input.
 */
export function applyEdit(edit: TextEdit, original: string, updaters: EditUpdaters): TextEditResult {
  checkEditOptions(edit);
  const hasBom = original.startsWith(BOM);
  const text = hasBom ? original.slice(BOM.length) : original;
  const template = updaters.outer.format === 'yaml' ? maskTemplateActions(text) : undefined;
  if (!template) return applyPlainEdit(edit, original, updaters);
  // A templated YAML file (a Helm chart): edited with its template code set aside, see go-template.ts.
  let result: TextEditResult;
  try {
    result = applyPlainEdit(edit, template.masked, updaters);
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    throw new EditError(
      error.kind,
      `${error.message} (the file is a template: its {{ ... }} code was set aside to read it; Hephestus edits ` +
        'a templated file only where the value sits in plain YAML or embedded text)',
      error.location,
    );
  }
  try {
    const after = unmaskEdit(text, template, result.text, edit.path);
    if (result.before !== undefined && !text.includes(result.before)) {
      throw new EditError(
        'verification',
        `the value at ${edit.path} is written by template code; Hephestus edits a templated file only where the ` +
          'value sits in plain text',
      );
    }
    return { ...result, text: hasBom ? BOM + after : after, changed: after !== text };
  } catch (error) {
    if (error instanceof EditError) throw error.inFile(edit.file);
    throw error;
  }
}

/** {@link applyEdit} on a text without template code. */
function applyPlainEdit(edit: TextEdit, original: string, { outer, inner }: EditUpdaters): TextEditResult {
  const hasBom = original.startsWith(BOM);
  const before = hasBom ? original.slice(BOM.length) : original;
  let after: string;
  let oldValue: string | undefined;
  try {
    if (edit.embedded !== undefined && edit.innerPath !== undefined) {
      if (inner === undefined) throw new Error(`no updater given for the embedded ${edit.embedded} document`);
      const innerPath = edit.innerPath;
      const innerBefore = outer.readString(before, edit.path);
      const innerAfter = inEmbedded(edit.embedded, edit.path, () => {
        const edited = inner.updateContent(innerBefore, innerPath, edit.value, { create: edit.create });
        inner.verifyEdit(innerBefore, edited, innerPath, edit.value);
        return edited;
      });
      after = outer.updateContent(before, edit.path, innerAfter);
      outer.verifyEdit(before, after, edit.path, innerAfter);
      oldValue = tryRead(inner, innerBefore, innerPath);
    } else {
      after = outer.updateContent(before, edit.path, edit.value, { create: edit.create });
      outer.verifyEdit(before, after, edit.path, edit.value);
      oldValue = tryRead(outer, before, edit.path);
    }
  } catch (error) {
    if (error instanceof EditError) throw error.inFile(edit.file);
    throw error;
  }
  return {
    format: outer.format,
    ...(oldValue !== undefined ? { before: oldValue } : {}),
    text: hasBom ? BOM + after : after,
    changed: after !== before,
  };
}

/**
 * Runs an edit inside an embedded document. Its errors' lines and columns count within the embedded text, not
 * the file, so they are moved into the message and the location names the outer path instead.
 */
function inEmbedded<T>(format: string, outerPath: string, edit: () => T): T {
  try {
    return edit();
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    const { line, column } = error.location;
    const where =
      line !== undefined ? ` line ${line}${column !== undefined ? `, column ${column}` : ''}` : '';
    throw new EditError(error.kind, `in the embedded ${format} document${where}: ${error.message}`, {
      setting: `--path ${outerPath}`,
    });
  }
}

function tryRead(updater: FormatUpdater, text: string, at: string): string | undefined {
  try {
    return updater.readString(text, at);
  } catch {
    return undefined;
  }
}
