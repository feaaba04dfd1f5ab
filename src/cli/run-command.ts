/**
 * The one top-level handler: builds the redacting logger, runs a command, and turns what it throws into an
 * exit code (2 bad input, 1 a real failure) and a message that never carries a secret.
 */

import { ExitCode, HephestusError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface CommonOptions {
  json?: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  logger: Logger;
  json: boolean;
}

/** Runs `body`, sets `process.exitCode` from its result or error. The body returns an exit code or nothing (0). */
export async function runCommand(
  options: CommonOptions,
  body: (context: CommandContext) => Promise<ExitCode | undefined> | ExitCode | undefined,
): Promise<void> {
  // Imported here, not at the top: `hephestus --help` runs no command and so needs neither (nor node:util).
  const [{ Logger }, { redactorFromEnv }] = await Promise.all([
    import('../log/logger.js'),
    import('../config/secrets.js'),
  ]);
  const logger = new Logger({ redactor: redactorFromEnv(), level: options.verbose ? 'debug' : 'info' });
  const json = options.json === true;
  try {
    process.exitCode = (await body({ logger, json })) ?? ExitCode.ok;
  } catch (error) {
    process.exitCode = reportError(error, logger, json);
  }
}

function reportError(error: unknown, logger: Logger, json: boolean): ExitCode {
  if (error instanceof HephestusError) {
    logger.error(error.describe());
    logger.debug('stack', error.stack);
    if (json)
      logger.result({
        ok: false,
        error: { message: error.message, ...error.location, exitCode: error.exitCode },
      });
    return error.exitCode;
  }
  // Anything else is a bug or an unexpected failure of a dependency: say so, with the redacted stack on --verbose.
  const message = error instanceof Error ? error.message : String(error);
  logger.error(`unexpected failure: ${message}`);
  logger.debug('stack', error);
  if (json) logger.result({ ok: false, error: { message, exitCode: ExitCode.failure } });
  return ExitCode.failure;
}
