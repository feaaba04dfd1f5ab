/** `hephestus edit`: the CLI face of {@link editFile}. */
import { editFile } from '../edit/edit-file.js';
import type { CommandContext } from './run-command.js';

export interface EditOptions {
  path: string;
  value: string;
  format?: string;
  embedded?: string;
  innerPath?: string;
  create?: boolean;
  dryRun?: boolean;
  root?: string;
}

/** Runs one edit and reports it as text or JSON. */
export async function editCommand(
  file: string,
  options: EditOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const result = await editFile({ file, ...options });
  if (json) {
    logger.result({ ok: true, dryRun: options.dryRun === true, ...result });
    return;
  }
  const where = result.innerPath ? `${result.path} ${result.innerPath}` : result.path;
  if (!result.changed) {
    logger.result(`${file}: ${where} is already ${JSON.stringify(result.after)}; nothing to change`);
    return;
  }
  const from = result.before !== undefined ? `${JSON.stringify(result.before)} -> ` : '';
  logger.result(
    `${file}: ${where} ${from}${JSON.stringify(result.after)}${options.dryRun ? ' (dry run, not written)' : ''}`,
  );
  if (options.dryRun) logger.result(result.diff.trimEnd());
}
