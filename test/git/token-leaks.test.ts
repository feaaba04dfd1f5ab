import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError } from '../../src/errors.js';
import { GitRepository, trackingRef } from '../../src/git/git-repository.js';
import { Redactor } from '../../src/log/redact.js';
import { gitRoutes } from '../../src/sandbox/github/git-http.js';
import { BASE, BOT, type GitSandbox, REPO, startGitSandbox, TOKEN } from './git-sandbox.js';

let sandbox: GitSandbox;
beforeAll(async () => {
  sandbox = await startGitSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

/**
 * simple-git logs every command's arguments and environment (the credential header among them) through
 * `debug`; turned on here, with a namespace of the test's own, to prove its lines are dropped while others print.
 */
const debug = createRequire(import.meta.url)('debug') as {
  (namespace: string): (message: string) => void;
  enable(namespaces: string): void;
  disable(): string;
};
const probe = debug('hephestus-test');

/** Runs `action` (expected to fail) with stdout, stderr and simple-git's debug log captured; returns the error and the output. */
async function failureOf(action: () => Promise<unknown>): Promise<{ error: unknown; output: string }> {
  const chunks: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  debug.enable('simple-git,simple-git:*,hephestus-test');
  try {
    probe('debug log on');
    await action();
    return { error: undefined, output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    debug.disable();
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

/** Every way an error gets printed or serialised. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [
    e.message,
    String(e),
    e.stack ?? '',
    inspect(e, { depth: 20, showHidden: true }),
    JSON.stringify(e),
  ];
}

/** Asserts the failure is our redacted error and that `canary` shows up in none of its renderings nor in the output. */
function expectNoLeak(failure: { error: unknown; output: string }, canary: string): ExternalServiceError {
  const { error, output } = failure;
  expect(error).toBeInstanceOf(ExternalServiceError);
  const e = error as ExternalServiceError;
  expect(e).not.toHaveProperty('task');
  expect(e.cause).toBeUndefined();
  const redactor = new Redactor([canary]);
  for (const text of renderings(e)) expect(redactor.leaks(text), text).toBe(false);
  // The debug log was on (the probe printed), and simple-git's lines, which hold git's environment, were dropped.
  expect(output).toContain('hephestus-test debug log on');
  expect(output).not.toContain('simple-git');
  expect(redactor.leaks(output)).toBe(false);
  return e;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('the token never leaves the git module', () => {
  it('a clone with a wrong token fails with 401 and shows the token nowhere', async () => {
    const wrong = `ghs_wrongCanary${'c0ffee'.repeat(4)}`;
    const failure = await failureOf(() => sandbox.clone({ token: wrong }));
    const error = expectNoLeak(failure, wrong);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(
      /^git: clone of http:\/\/127\.0\.0\.1:\d+\/acme\/vm-manager\.git \(main\) failed: /,
    );
  });

  it('a clone from a closed port fails as a remote failure and shows the token nowhere', async () => {
    const port = await closedPort();
    const failure = await failureOf(() =>
      GitRepository.clone({
        url: `http://127.0.0.1:${port}/${REPO}.git`,
        token: TOKEN,
        dir: join(sandbox.tmp, 'unreachable'),
        branch: BASE,
        author: BOT,
      }),
    );
    expect(expectNoLeak(failure, TOKEN).message).toMatch(
      /Failed to connect|Could not connect|Connection refused/i,
    );
  });

  it('a clone of a missing repository fails with 404 and shows the token nowhere', async () => {
    const failure = await failureOf(() => sandbox.clone({ url: `${sandbox.server.url}/acme/missing.git` }));
    expect(expectNoLeak(failure, TOKEN).status).toBe(404);
  });

  it('a clone whose connection drops on every attempt fails and shows the token nowhere', async () => {
    // The clone is tried three times; each attempt's first request drops.
    sandbox.service.faults.gitUnreachable(3);
    const failure = await failureOf(() => sandbox.clone());
    expectNoLeak(failure, TOKEN);
  });

  it('a clone whose connection drops once is tried again and succeeds', async () => {
    sandbox.service.faults.gitUnreachable(1);
    const repo = await sandbox.clone();
    expect(await repo.revParse('HEAD')).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a failing push shows the token nowhere', async () => {
    const repo = await sandbox.clone();
    const branch = 'windows-update/leak-check';
    await repo.resetBranch(branch, trackingRef(BASE));
    await repo.commitAll('empty');
    sandbox.service.router.inject({
      route: gitRoutes.receivePack,
      times: 1,
      respond: {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: `internal error near ${TOKEN}\n`,
      },
    });
    const failure = await failureOf(() => repo.push(branch, undefined));
    expect(expectNoLeak(failure, TOKEN).message).toMatch(/^git: push to windows-update\/leak-check failed: /);
  });

  it('a clone that succeeds prints nothing with the token in the debug log either', async () => {
    const failure = await failureOf(() => sandbox.clone());
    expect(failure.error).toBeUndefined();
    expect(failure.output).toContain('hephestus-test debug log on');
    expect(failure.output).not.toContain('simple-git');
    expect(new Redactor([TOKEN]).leaks(failure.output)).toBe(false);
  });
});
