/**
 * Picks the updater for a file: by `--format`, else by its extension. Every format is loaded here, for callers
 * that edit synchronously; `hephestus edit` loads only the one it needs through `load-updater.ts`.
 */
import type { FormatName, FormatUpdater } from './format.js';
import { checkFormatName, formatOf } from './format-name.js';
import { ednUpdater } from './formats/edn.js';
import { hclUpdater } from './formats/hcl.js';
import { jsonUpdater } from './formats/json.js';
import { yamlUpdater } from './formats/yaml.js';

export { FORMAT_NAMES } from './format-name.js';

const UPDATERS: Record<FormatName, FormatUpdater> = {
  edn: ednUpdater,
  yaml: yamlUpdater,
  json: jsonUpdater,
  hcl: hclUpdater,
};

/** The updater for `format`, or for the file's extension (`.pkr.hcl` and `.pkrvars.hcl` end in `.hcl`). */
export function updaterFor(file: string, format?: string): FormatUpdater {
  return UPDATERS[formatOf(file, format)];
}

/** The updater for an embedded document's format. */
export function updaterForFormat(format: string, setting: string): FormatUpdater {
  return UPDATERS[checkFormatName(format, setting)];
}
