import { InputError, type Location } from '../errors.js';

/** The formats `hephestus edit` understands. */
export type FormatName = 'edn' | 'yaml' | 'json' | 'hcl';

export interface UpdateOptions {
  /** Add the key when it is missing and its parent map exists. */
  create?: boolean;
}

/**
 * One updater per format, shaped as release-please's updaters: pure functions of text, no I/O.
 * Paths are written in the format's own terms (EDN vector, JSON Pointer, HCL dotted address).
 */
export interface FormatUpdater {
  readonly format: FormatName;
  /**
   * Returns `text` with only the bytes of the value at `path` replaced by `value`, written as a string
   * literal in the format's syntax. Throws {@link EditError} for syntax errors, a missing key (unless
   * `create`), or a path that goes through something that is not a map or list.
   */
  updateContent(text: string, path: string, value: string, options?: UpdateOptions): string;
  /** The string at `path`, for editing a document embedded in a string value. Throws {@link EditError}. */
  readString(text: string, path: string): string;
  /**
   * Re-parses both texts and throws {@link EditError} unless `after` means exactly `before`
   * with the value at `path` set to `value` (and nothing else changed).
   */
  verifyEdit(before: string, after: string, path: string, value: string): void;
}

export type EditErrorKind =
  | 'syntax'
  | 'path-not-found'
  | 'not-a-container'
  | 'not-a-string'
  | 'invalid-path'
  | 'verification';

/** Bad input to an edit. The updaters fill `line`/`column` (1-based) for syntax errors; the caller adds the file. */
export class EditError extends InputError {
  constructor(
    readonly kind: EditErrorKind,
    message: string,
    location: Location = {},
  ) {
    super(message, location);
  }

  /** The same error, placed in a file. */
  inFile(file: string): EditError {
    const located = new EditError(this.kind, this.message, { ...this.location, file });
    located.stack = this.stack;
    return located;
  }
}
