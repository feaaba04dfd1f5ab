import { inspect } from 'node:util';
import fc from 'fast-check';
import { GitError } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { ExternalServiceError, FailureError } from '../../src/errors.js';
import { basicAuthorization } from '../../src/git/git-credentials.js';
import { gitOutput, httpStatus, redactGitError } from '../../src/git/redact-git-error.js';
import { Redactor } from '../../src/log/redact.js';

/** A simple-git error as it arrives: the output as message, the command line in `task.commands`. */
function simpleGitError(message: string, commands: string[]): GitError {
  return new GitError({ commands, format: 'utf-8', parser: (text: string) => text }, message);
}

describe('redactGitError', () => {
  const token = 'ghs_redactCanary0123456789';
  const redactor = new Redactor([token]);

  it('keeps git’s reason and drops the task, the command line and the cause', () => {
    const original = simpleGitError(`fatal: repository 'https://github.com/acme/gone.git/' not found\n`, [
      '-c',
      `http.extraHeader=Authorization: ${basicAuthorization(token)}`,
      'clone',
    ]);
    const error = redactGitError(original, redactor, 'clone of acme/gone', 'remote');
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toBe(
      "git: clone of acme/gone failed: fatal: repository 'https://github.com/acme/gone.git/' not found (no such repository, or the token cannot see it)",
    );
    expect((error as ExternalServiceError).status).toBe(404);
    expect(error).not.toHaveProperty('task');
    expect(error.cause).toBeUndefined();
    expect(inspect(error, { showHidden: true, depth: 20 })).not.toContain('extraHeader');
  });

  it('makes local failures FailureErrors', () => {
    const error = redactGitError(
      new Error('fatal: invalid reference: nope\n'),
      redactor,
      'checkout',
      'local',
    );
    expect(error).toBeInstanceOf(FailureError);
    expect(error.message).toBe('git: checkout failed: fatal: invalid reference: nope');
  });

  it('never lets the token through, in any form, wherever git echoes it (property)', () => {
    const forms = fc.constantFrom(
      token,
      encodeURIComponent(token),
      Buffer.from(token).toString('base64'),
      basicAuthorization(token),
      `https://x-access-token:${token}@github.com/`,
    );
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }),
        forms,
        fc.nat(5),
        (lines, form, at) => {
          const text = [...lines.slice(0, at), `fatal: ${form}`, ...lines.slice(at)].join('\n');
          const error = redactGitError(simpleGitError(text, ['push']), redactor, 'push', 'remote');
          for (const rendered of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
            expect(redactor.leaks(rendered)).toBe(false);
          }
        },
      ),
    );
  });
});

describe('gitOutput', () => {
  it('drops progress, hints and blank lines and keeps the tail on one line', () => {
    const text = [
      "Cloning into '/tmp/x'...",
      'remote: Counting objects: 100% (3/3), done.',
      'hint: Updates were rejected because the tip of your current branch is behind',
      '',
      "fatal: unable to access 'https://github.com/acme/x.git/': Could not resolve host: github.com",
    ].join('\n');
    expect(gitOutput(new Error(text))).toBe(
      "fatal: unable to access 'https://github.com/acme/x.git/': Could not resolve host: github.com",
    );
  });
});

describe('httpStatus', () => {
  it.each([
    ['error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500', 500],
    ["fatal: unable to access 'https://github.com/a/b.git/': The requested URL returned error: 403", 403],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 401],
    ["fatal: Authentication failed for 'https://github.com/a/b.git/'", 401],
    ["fatal: repository 'https://github.com/a/b.git/' not found", 404],
    [
      "fatal: unable to access 'https://github.com/a/b.git/': Failed to connect to github.com port 443",
      undefined,
    ],
  ])('%s -> %s', (line, status) => {
    expect(httpStatus(line)).toBe(status);
  });
});
