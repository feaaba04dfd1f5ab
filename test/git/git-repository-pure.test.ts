import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { gitEnvironment } from '../../src/git/git-environment.js';
import { assertBranchName, type CommitSummary, foreignCommits } from '../../src/git/git-repository.js';

const bot = { name: 'Hephestus Bot', email: 'hephestus-bot@users.noreply.github.com' };
const ci = { name: 'Hephestus CI', email: 'ci@example.com' };

function commit(sha: string, authorEmail: string, committerEmail = authorEmail): CommitSummary {
  return { sha, subject: `commit ${sha}`, authorName: 'x', authorEmail, committerName: 'x', committerEmail };
}

describe('foreignCommits', () => {
  it('keeps the commits a person authored or committed', () => {
    const commits = [
      commit('a1', bot.email, ci.email),
      commit('b2', 'ada@example.com'),
      commit('c3', bot.email, 'noreply@github.com'),
      commit('d4', 'Hephestus-Bot@Users.Noreply.GitHub.com', ci.email),
    ];
    expect(foreignCommits(commits, [bot, ci]).map((c) => c.sha)).toEqual(['b2', 'c3']);
  });

  it('finds none on a branch the bot alone wrote, and none on an empty branch', () => {
    expect(foreignCommits([commit('a1', bot.email)], [bot])).toEqual([]);
    expect(foreignCommits([], [bot])).toEqual([]);
  });
});

describe('gitEnvironment', () => {
  it('keeps only what git needs, no token, no program, no configuration of the machine, no prompts', () => {
    const env = gitEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/ci',
      TMPDIR: '/tmp/job',
      LC_ALL: 'C.UTF-8',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      GITHUB_TOKEN: 'ghs_x',
      CIRCLE_TOKEN: 'ccipat_x',
      SLACK_ACCESS_TOKEN: 'xoxb-x',
      AWS_SECRET_ACCESS_KEY: 'aws-x',
      EDITOR: 'vim',
      PAGER: 'less',
      GIT_DIR: '/elsewhere/.git',
      GIT_ASKPASS: '/bin/echo',
      GIT_CONFIG_COUNT: '1',
      GIT_TRACE_CURL: '1',
      GIT_SSL_CAINFO: '/etc/ssl/ca.pem',
      GIT_TERMINAL_PROMPT: '1',
      UNSET: undefined,
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      TMPDIR: '/tmp/job',
      LC_ALL: 'C.UTF-8',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      GIT_SSL_CAINFO: '/etc/ssl/ca.pem',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    });
  });
});

describe('assertBranchName', () => {
  it('accepts ordinary branch names', () => {
    for (const name of ['main', 'windows-update/images', 'release/2024.01', 'feature/a_b-c']) {
      expect(assertBranchName(name)).toBe(name);
    }
  });

  it('refuses what git refuses, and names a command line would read as options', () => {
    for (const name of [
      '',
      '-f',
      '--force',
      'a..b',
      'a b',
      'a:b',
      'a~1',
      'a^',
      'a?',
      'a*',
      'a[',
      'a\\b',
      'a/',
      '/a',
      'a.',
      '.a',
      'a/.b',
      'a.lock',
      'a@{1}',
      '@',
      'a//b',
    ]) {
      expect(() => assertBranchName(name), name).toThrow(InputError);
    }
  });
});
