/** `hephestus config check`: validates hephestus.yml and prints the result with defaults filled in. */
import { loadConfig } from '../config/load-config.js';
import type { CommandContext } from './run-command.js';

/** Validates the configuration file; exit 2 with file, line and setting when it is wrong. */
export async function configCheckCommand(file: string, { logger, json }: CommandContext): Promise<void> {
  const config = await loadConfig(file);
  if (json) logger.result({ ok: true, file, config });
  else logger.result(`${file}: valid (${config.images.length} images, ${config.consumers.length} consumers)`);
}
