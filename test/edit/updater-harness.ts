/** What every updater test does: run an edit with the updater's own verification, and catch the EditError it throws. */
import { EditError, type FormatUpdater } from '../../src/edit/format.js';

/** An edit as `hephestus edit` does it: update, then the updater's own verification. */
export function editWith(updater: FormatUpdater) {
  return (text: string, path: string, value: string, create = false): string => {
    const after = updater.updateContent(text, path, value, { create });
    updater.verifyEdit(text, after, path, value);
    return after;
  };
}

/** The EditError `action` throws; fails the test when it throws something else or nothing. */
export function editError(action: () => unknown): EditError {
  try {
    action();
  } catch (error) {
    if (error instanceof EditError) return error;
    throw error;
  }
  throw new Error('expected an EditError, but nothing was thrown');
}
