/** `hephestus config check`: validates hephestus.yml and the repository it names, and prints the result. */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { checkRepository, repositoryError } from '../../config/check-repository.js';
import { loadConfigSource } from '../../config/load-config.js';
import type { CommandContext } from '../run-command.js';

/** Validates the configuration file and its repository; exit 2 naming file, line, setting and a fix. */
export async function configCheckCommand(
  file: string,
  root: string | undefined,
  { logger, json }: CommandContext,
): Promise<void> {
  const { config, text } = await loadConfigSource(file);
  const repository = resolve(root ?? workTreeOf(dirname(resolve(file))));
  const problems = await checkRepository(config, repository);
  if (problems.length > 0) throw repositoryError(problems, file, text);
  const counts = `${config.images.length} images, ${config.consumers.length} consumers`;
  if (json) logger.result({ ok: true, file, root: repository, config });
  else logger.result(`${file}: valid (${counts}; paths checked in ${relative('.', repository) || '.'})`);
}

/** The nearest directory at or above `dir` holding `.git`, else `dir` itself. */
function workTreeOf(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return dir;
  }
}
