import { describe, expect, it } from 'vitest';
import { ExternalServiceError, FailureError, InputError } from '../../src/errors.js';
import { toGitHubError } from '../../src/github/github-client.js';
import { Redactor } from '../../src/log/redact.js';

const TOKEN = 'ghp_unitCanary0123456789abcdef';
const context = { tokenSource: 'GITHUB_TOKEN', redactor: new Redactor([TOKEN]) };

/** What Octokit's RequestError looks like to the mapping (it reads only status, response.data and headers). */
function requestError(status: number, data: unknown, headers: Record<string, string> = {}) {
  return Object.assign(new Error(typeof data === 'object' ? 'x' : String(data)), {
    name: 'HttpError',
    status,
    request: { headers: { authorization: `token ${TOKEN}` } },
    response: { status, data, headers: { 'x-github-request-id': 'AB12:CD34', ...headers } },
  });
}

describe('toGitHubError', () => {
  it.each([
    [401, { message: 'Bad credentials' }, {}, InputError],
    [403, { message: 'Resource not accessible by integration' }, {}, InputError],
    [404, { message: 'Not Found' }, {}, InputError],
    [
      403,
      { message: 'API rate limit exceeded for user ID 1.' },
      { 'x-ratelimit-remaining': '0' },
      ExternalServiceError,
    ],
    [403, { message: 'You have exceeded a secondary rate limit.' }, {}, ExternalServiceError],
    [429, { message: 'Too many requests' }, {}, ExternalServiceError],
    [500, { message: 'Server Error' }, {}, ExternalServiceError],
    [504, 'upstream timed out', {}, ExternalServiceError],
    [409, { message: 'Git Repository is empty.' }, {}, FailureError],
    [
      422,
      {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and x' }],
      },
      {},
      FailureError,
    ],
  ] as const)('maps %i %j to the right class', (status, data, headers, type) => {
    const error = toGitHubError(requestError(status, data, headers), 'do a thing', context);
    expect(error).toBeInstanceOf(type);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(error.cause).toBeUndefined();
  });

  it('joins GitHub’s error details into the message with the request id', () => {
    const error = toGitHubError(
      requestError(422, {
        message: 'Validation Failed',
        errors: [{ message: 'No commits between main and x' }],
      }),
      'open a pull request',
      context,
    );
    expect(error.message).toBe(
      'GitHub refused to open a pull request: Validation Failed; No commits between main and x (422) (request id AB12:CD34)',
    );
  });

  it('calls a dropped connection the service failing', () => {
    const error = toGitHubError(
      Object.assign(new Error('other side closed'), { status: 500 }),
      'list things',
      context,
    );
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toBe('GitHub: could not list things: other side closed (500), after retries');
  });

  it('redacts the token wherever the answer echoes it', () => {
    const error = toGitHubError(
      requestError(400, { message: `bad header token ${TOKEN}` }),
      'list things',
      context,
    );
    expect(error.message).toBe(
      'GitHub refused to list things: bad header token [REDACTED] (400) (request id AB12:CD34)',
    );
  });
});
