import { EditError } from '../format.js';

/**
 * Splits an RFC 6901 JSON Pointer into its unescaped reference tokens; `''` is the whole document.
 * Hand-written because the rule is three lines and the npm packages for it also bring resolvers we do not use.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new EditError('invalid-path', `JSON Pointer "${pointer}" must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw new EditError(
          'invalid-path',
          `JSON Pointer "${pointer}" has a "~" not followed by 0 or 1 (write "~0" for "~", "~1" for "/")`,
        );
      }
      // Order matters (RFC 6901 section 4): "~01" is "~1", not "/".
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/** Writes reference tokens back as a JSON Pointer, escaping `~` and `/`. */
export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The array index a token names (RFC 6901: `0` or digits without a leading zero), or undefined. */
export function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}
