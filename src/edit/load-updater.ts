/**
 * Loads one format's updater on demand. A command-line edit touches one format (two for an embedded document),
 * and parsing the others' code (the yaml library alone is over 100 KB) would be most of its start-up time.
 */
import type { FormatName, FormatUpdater } from './format.js';

/** The updater for `format`, its module imported on first use. */
export async function loadUpdater(format: FormatName): Promise<FormatUpdater> {
  switch (format) {
    case 'edn':
      return (await import('./formats/edn.js')).ednUpdater;
    case 'yaml':
      return (await import('./formats/yaml.js')).yamlUpdater;
    case 'json':
      return (await import('./formats/json.js')).jsonUpdater;
    case 'hcl':
      return (await import('./formats/hcl.js')).hclUpdater;
  }
}
