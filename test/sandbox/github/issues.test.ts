/**
 * The sandbox's issues API through Octokit, every exchange checked against GitHub's OpenAPI description:
 * create, read, edit, list (pull requests included, marked by `pull_request`), and comments on issues.
 */
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubHarness, NAME, OWNER, pushBranch, startGitHub } from './setup.js';

let h: GitHubHarness;
let pullNumber: number;
const repo = { owner: OWNER, repo: NAME };

beforeAll(async () => {
  h = await startGitHub();
  await pushBranch(h, 'windows-update/win2022', { 'README.md': 'changed\n' });
  const { data } = await h.octokit.rest.pulls.create({
    ...repo,
    head: 'windows-update/win2022',
    base: 'main',
    title: 'Windows image update',
  });
  pullNumber = data.number;
});
afterAll(() => h.close());
afterEach(() => {
  expect(h.problems.splice(0)).toEqual([]);
});

describe('issues', () => {
  it('creates an issue numbered after the pull requests, and reads it back', async () => {
    const { data: created, status } = await h.octokit.rest.issues.create({
      ...repo,
      title: 'Image dashboard',
      body: 'first text',
      labels: ['dashboard'],
    });
    expect(status).toBe(201);
    expect(created).toMatchObject({
      number: pullNumber + 1,
      state: 'open',
      title: 'Image dashboard',
      body: 'first text',
      user: { login: 'hephestus-bot' },
      labels: [{ name: 'dashboard' }],
    });
    expect(created).not.toHaveProperty('pull_request');
    const { data: read } = await h.octokit.rest.issues.get({ ...repo, issue_number: created.number });
    expect(read.html_url).toBe(`${h.server.url}/${OWNER}/${NAME}/issues/${created.number}`);
  });

  it('refuses an issue without a title (422)', async () => {
    const error = await h.octokit.rest.issues.create({ ...repo, title: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).status).toBe(422);
  });

  it('edits title, body and state in place', async () => {
    const { data: issue } = await h.octokit.rest.issues.create({ ...repo, title: 'to edit' });
    const { data: edited } = await h.octokit.rest.issues.update({
      ...repo,
      issue_number: issue.number,
      title: 'edited',
      body: 'new text',
      state: 'closed',
      state_reason: 'not_planned',
    });
    expect(edited).toMatchObject({
      title: 'edited',
      body: 'new text',
      state: 'closed',
      state_reason: 'not_planned',
    });
    expect(edited.closed_at).not.toBeNull();
    const { data: reopened } = await h.octokit.rest.issues.update({
      ...repo,
      issue_number: issue.number,
      state: 'open',
    });
    expect(reopened).toMatchObject({ state: 'open', state_reason: 'reopened', closed_at: null });
    expect(h.service.issues(`${OWNER}/${NAME}`).find((i) => i.number === issue.number)?.body).toBe(
      'new text',
    );
  });

  it('lists issues and pull requests together, filtered by state, creator and labels', async () => {
    const list = (params: Record<string, string>) =>
      h.octokit.paginate(h.octokit.rest.issues.listForRepo, { ...repo, per_page: 2, ...params });
    const open = await list({ state: 'open' });
    const pull = open.find((i) => i.number === pullNumber);
    expect(pull?.pull_request?.url).toBe(`${h.server.url}/repos/${OWNER}/${NAME}/pulls/${pullNumber}`);
    expect(open.filter((i) => !i.pull_request).map((i) => i.title)).toContain('Image dashboard');
    expect((await list({ labels: 'dashboard' })).map((i) => i.title)).toEqual(['Image dashboard']);
    expect(await list({ creator: 'somebody-else' })).toEqual([]);
    expect((await list({ state: 'all' })).length).toBe(open.length);
  });

  it('keeps comments on an issue, written by whoever posts them', async () => {
    const { data: issue } = await h.octokit.rest.issues.create({ ...repo, title: 'with comments' });
    const other = new Octokit({ auth: h.service.addUser('mallory'), baseUrl: h.server.url });
    await h.octokit.rest.issues.createComment({ ...repo, issue_number: issue.number, body: 'from the bot' });
    await other.rest.issues.createComment({ ...repo, issue_number: issue.number, body: 'from mallory' });
    const { data: comments } = await h.octokit.rest.issues.listComments({
      ...repo,
      issue_number: issue.number,
    });
    expect(comments.map((c) => [c.user?.login, c.body])).toEqual([
      ['hephestus-bot', 'from the bot'],
      ['mallory', 'from mallory'],
    ]);
    expect(comments[0]?.html_url).toContain(`/issues/${issue.number}#issuecomment-`);
    const { data: read } = await h.octokit.rest.issues.get({ ...repo, issue_number: issue.number });
    expect(read.comments).toBe(2);
  });

  it('answers 404 for an issue that does not exist', async () => {
    const error = await h.octokit.rest.issues.get({ ...repo, issue_number: 999 }).catch((e: unknown) => e);
    expect((error as RequestError).status).toBe(404);
  });
});
