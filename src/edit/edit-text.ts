/**
 * The in-memory half of an edit, synchronous: every format's updater at hand (`updaters.ts`), the edit itself done
 * by {@link applyEdit}. No I/O: bump-consumer's API path feeds it text read through GitHub's contents API.
 */
import { applyEdit, checkEditOptions, type TextEdit, type TextEditResult } from './apply-edit.js';
import { updaterFor, updaterForFormat } from './updaters.js';

export { checkEditOptions, type TextEdit, type TextEditResult } from './apply-edit.js';

/** Applies one edit to `original` (a file's text). Throws {@link InputError} (exit 2) for bad input. */
export function editText(edit: TextEdit, original: string): TextEditResult {
  checkEditOptions(edit);
  const outer = updaterFor(edit.file, edit.format);
  const inner = edit.embedded !== undefined ? updaterForFormat(edit.embedded, '--embedded') : undefined;
  return applyEdit(edit, original, { outer, ...(inner !== undefined ? { inner } : {}) });
}
