/**
 * Turns whatever simple-git throws into one of our errors that is safe to print.
 *
 * simple-git's errors carry the task (`err.task.commands`: the whole command line) and, for some tasks, a parsed
 * response; `console.log(err)` prints all of it. The error built here holds only a redacted message: no task,
 * no response, no `cause` chain leading back to the original.
 */
import { ExternalServiceError, FailureError, type HephestusError } from '../errors.js';
import type { Redactor } from '../log/redact.js';

/** Lines of git's output kept in a message: the reason is at the end; progress lines before it are noise. */
const MAX_OUTPUT_LINES = 12;

/** Where a failing git command talked to: the remote (clone, fetch, push) or only the local clone. */
export type GitCommandKind = 'remote' | 'local';

/**
 * A redacted error for a failed git command: `ExternalServiceError('git', ...)` for remote commands (with the
 * HTTP status when git names one), `FailureError` for local ones.
 */
export function redactGitError(
  error: unknown,
  redactor: Redactor,
  what: string,
  kind: GitCommandKind,
): HephestusError {
  const output = redactor.redact(gitOutput(error));
  const message = output ? `${what} failed: ${output}` : `${what} failed`;
  if (kind === 'local') return new FailureError(`git: ${message}`);
  const status = httpStatus(output);
  return new ExternalServiceError('git', `${message}${hint(status)}${networkHint(output)}`, { status });
}

/** What to check when git got no answer: the server variable and the deadline that ended the wait. */
function networkHint(output: string): string {
  if (/Operation too slow|timed out|block timeout reached/i.test(output))
    return '. Hint: the git server stopped sending; check GITHUB_SERVER_URL and any proxy (HEPHESTUS_GIT_STALL_SECONDS sets how long a stall may last)';
  if (/Failed to connect|Could not resolve host|Connection refused/i.test(output))
    return '. Hint: nothing answers there; check GITHUB_SERVER_URL and the proxy variables';
  return '';
}

const NOISE = /^(hint: |(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating|Cloning into))/;

/** The meaningful tail of git's output inside an error, one line, without progress and blank lines. */
export function gitOutput(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'Done' && !NOISE.test(line));
  return lines.slice(-MAX_OUTPUT_LINES).join(' | ');
}

/**
 * The HTTP status behind git's output. git names it only for some errors ("The requested URL returned error: 403");
 * a 401 shows as a failed prompt for a user name (prompts are off), a 404 as "repository ... not found".
 */
export function httpStatus(output: string): number | undefined {
  const match = /returned error: (\d{3})/.exec(output);
  if (match) return Number(match[1]);
  if (/could not read (Username|Password)|Authentication failed/i.test(output)) return 401;
  if (/repository '[^']*' not found/i.test(output)) return 404;
  return undefined;
}

/** A hint for the statuses whose git wording does not say what to do. */
function hint(status: number | undefined): string {
  if (status === 401) return ' (the token was not accepted)';
  if (status === 404) return ' (no such repository, or the token cannot see it)';
  return '';
}
