/** `hephestus edit`: the CLI face of {@link editFile}. */
import { type EditRequest, editFile } from '../../edit/edit-file.js';
import type { CommandContext } from '../run-command.js';

/** The edit `hephestus edit <file>` asks for: everything but the file, which is its argument. */
export type EditOptions = Omit<EditRequest, 'file'>;

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
