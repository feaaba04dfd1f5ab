/**
 * The one way flows read hephestus.yml: from their clone (see checkout.ts), or, where no clone is made, from a
 * branch through the contents API. Both name the file here and parse it with the same schema.
 */
import type { HephestusConfig } from '../config/config-schema.js';
import { DEFAULT_CONFIG_FILE, parseConfig } from '../config/load-config.js';
import { InputError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { GitData } from '../github/git-data.js';

/** The configuration file, relative to the repository's root: `--config`, else hephestus.yml. */
export function configFileOf(context: Pick<FlowContext, 'options'>): string {
  return context.options.config ?? DEFAULT_CONFIG_FILE;
}

/**
 * The configuration at `ref` read through the contents API, or undefined when the file is not there. `label`
 * names it in parse errors (the file, or the file on a branch).
 */
export async function readConfigAt(
  data: GitData,
  ref: string,
  file: string,
  label: string = file,
): Promise<HephestusConfig | undefined> {
  const text = await data.readFile(file, ref);
  return text === undefined ? undefined : parseConfig(text, label);
}

/** The error of a flow that commits without a configured author. */
export function noAuthorError(context: Pick<FlowContext, 'options'>): InputError {
  return new InputError(
    'no git author: set git.author_name and git.author_email in hephestus.yml (or HEPHESTUS_GIT_AUTHOR_NAME/_EMAIL)',
    { file: configFileOf(context), setting: 'git.author_name' },
  );
}
