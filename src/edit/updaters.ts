/** Picks the updater for a file: by `--format`, else by its extension. */
import { InputError } from '../errors.js';
import type { FormatName, FormatUpdater } from './format.js';
import { ednUpdater } from './formats/edn.js';
import { hclUpdater } from './formats/hcl.js';
import { jsonUpdater } from './formats/json.js';
import { yamlUpdater } from './formats/yaml.js';

const UPDATERS: Record<FormatName, FormatUpdater> = {
  edn: ednUpdater,
  yaml: yamlUpdater,
  json: jsonUpdater,
  hcl: hclUpdater,
};

export const FORMAT_NAMES = Object.keys(UPDATERS) as FormatName[];

const EXTENSIONS: Array<[suffix: string, format: FormatName]> = [
  ['.edn', 'edn'],
  ['.yml', 'yaml'],
  ['.yaml', 'yaml'],
  ['.json', 'json'],
  ['.hcl', 'hcl'],
];

/** The updater for `format`, or for the file's extension (`.pkr.hcl` and `.pkrvars.hcl` end in `.hcl`). */
export function updaterFor(file: string, format?: string): FormatUpdater {
  if (format !== undefined) {
    if (!(format in UPDATERS)) {
      throw new InputError(`unknown format "${format}" (one of ${FORMAT_NAMES.join(', ')})`, {
        setting: '--format',
      });
    }
    return UPDATERS[format as FormatName];
  }
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
  return UPDATERS[match[1]];
}

/** The updater for an embedded document's format. */
export function updaterForFormat(format: string, setting: string): FormatUpdater {
  if (!(format in UPDATERS)) {
    throw new InputError(`unknown format "${format}" (one of ${FORMAT_NAMES.join(', ')})`, { setting });
  }
  return UPDATERS[format as FormatName];
}
