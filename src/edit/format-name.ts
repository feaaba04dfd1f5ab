/**
 * Which format a file is in, from `--format` or its extension. Kept apart from the updaters themselves so an edit
 * can name its format, and refuse an unknown one, before any format's parser is loaded.
 */
import { InputError } from '../errors.js';
import type { FormatName } from './format.js';

/** The formats `hephestus edit` understands. */
export const FORMAT_NAMES: readonly FormatName[] = ['edn', 'yaml', 'json', 'hcl'];

const EXTENSIONS: Array<[suffix: string, format: FormatName]> = [
  ['.edn', 'edn'],
  ['.yml', 'yaml'],
  ['.yaml', 'yaml'],
  ['.json', 'json'],
  ['.hcl', 'hcl'],
];

/** The format named by `format`, else by the file's extension (`.pkr.hcl` and `.pkrvars.hcl` end in `.hcl`). */
export function formatOf(file: string, format?: string): FormatName {
  if (format !== undefined) return checkFormatName(format, '--format');
  const lower = file.toLowerCase();
  const match = EXTENSIONS.find(([suffix]) => lower.endsWith(suffix));
  if (!match) {
    throw new InputError(
      `cannot tell the format from the file name; pass --format (${FORMAT_NAMES.join(', ')})`,
      {
        file,
        setting: '--format',
      },
    );
  }
  return match[1];
}

/** `format` as a {@link FormatName}; throws {@link InputError} naming `setting` for an unknown one. */
export function checkFormatName(format: string, setting: string): FormatName {
  if (!(FORMAT_NAMES as readonly string[]).includes(format)) {
    throw new InputError(`unknown format "${format}" (one of ${FORMAT_NAMES.join(', ')})`, { setting });
  }
  return format as FormatName;
}
