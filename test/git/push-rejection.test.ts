import { describe, expect, it } from 'vitest';
import { pushRejection } from '../../src/git/push-rejection.js';

/** Output of real `git push --porcelain` runs against `git http-backend` (git 2.39), stderr then stdout. */
const outputs = {
  staleLease: [
    "error: failed to push some refs to 'http://127.0.0.1:39651/acme/svc.git'",
    'To http://127.0.0.1:39651/acme/svc.git',
    '!\tHEAD:refs/heads/upd\t[rejected] (stale info)',
    'Done',
  ],
  nonFastForward: [
    "error: failed to push some refs to 'http://127.0.0.1:39651/acme/svc.git'",
    'hint: Updates were rejected because a pushed branch tip is behind its remote',
    'To http://127.0.0.1:39651/acme/svc.git',
    '!\tHEAD:refs/heads/upd\t[rejected] (non-fast-forward)',
    'Done',
  ],
  fetchFirst: [
    'To https://github.com/acme/svc.git',
    '!\tHEAD:refs/heads/upd\t[rejected] (fetch first)',
    'Done',
  ],
  lockRace: [
    'To https://github.com/acme/svc.git',
    "!\tHEAD:refs/heads/upd\t[remote rejected] (cannot lock ref 'refs/heads/upd': is at 1b2c but expected 3d4e)",
    'Done',
  ],
  hookDeclined: [
    'remote: protected branch        ',
    "error: failed to push some refs to 'http://127.0.0.1:39651/acme/svc.git'",
    'To http://127.0.0.1:39651/acme/svc.git',
    '!\tHEAD:refs/heads/upd\t[remote rejected] (pre-receive hook declined)',
    'Done',
  ],
  unreachable: [
    "fatal: unable to access 'http://127.0.0.1:1/acme/svc.git/': Failed to connect to 127.0.0.1 port 1",
  ],
  serverError: [
    'error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500',
    'fatal: the remote end hung up unexpectedly',
  ],
} as const;

describe('pushRejection', () => {
  it.each([
    ['staleLease', 'moved'],
    ['nonFastForward', 'moved'],
    ['fetchFirst', 'moved'],
    ['lockRace', 'moved'],
    ['hookDeclined', 'refused'],
    ['unreachable', undefined],
    ['serverError', undefined],
  ] as const)('classifies %s as %s', (name, expected) => {
    expect(pushRejection(outputs[name].join('\n'))).toBe(expected);
  });

  it('reads the output after it was joined into one line of an error message', () => {
    expect(pushRejection(outputs.staleLease.join(' | '))).toBe('moved');
    expect(pushRejection(outputs.hookDeclined.join(' | '))).toBe('refused');
  });
});
