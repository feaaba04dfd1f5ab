/**
 * GitHub against recorded reality (issue 15): `@octokit/fixtures` holds answers recorded from the real GitHub
 * API. Every schema Hephestus parses GitHub's answers with must read the recorded answer of the same endpoint,
 * and the sandbox must answer the same endpoints alike: status codes, the fields the recording has (with
 * their JSON types), `link` pagination and the rate-limit headers. A difference is a bug on one side.
 *
 * Endpoints the recordings do not cover (pull requests, issue comments, check runs, reviews, compare, a file's
 * JSON content: the recording asked for the raw media type) are
 * checked against GitHub's OpenAPI description instead (test/github/github-sandbox.ts); docs/sandbox.md says so.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefSchema } from '../../src/github/git-data.js';
import { CombinedStatusSchema } from '../../src/github/pull-request-status-schema.js';
import { ErrorBodySchema, GitRefSchema, LabelListSchema } from '../../src/github/schema.js';
import { type Harness, type SandboxRepo, startHarness, TOKEN } from './github-sandbox.js';

interface Recorded {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}

// Deep imports of the recordings only: the package's entry point pulls in nock, which patches http.
const require = createRequire(import.meta.url);
function scenario(name: string): Recorded[] {
  return require(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`) as Recorded[];
}
function recorded(name: string, method: string, path: RegExp, index = 0): Recorded {
  const found = scenario(name).filter((r) => r.method === method && path.test(r.path))[index];
  if (!found) throw new Error(`no recording of ${method} ${path} in ${name}`);
  return found;
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

type Shape = string | { [key: string]: Shape } | Shape[];

/** The JSON types of a value, recursively (arrays by their first item). */
function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

/**
 * Where `actual` differs from the recording: a field the recording has that is missing, or of another JSON
 * type. `null` matches any type (GitHub answers null for unset fields); fields the recording lacks are fine.
 */
function differences(recordedValue: unknown, actual: unknown, path = '$'): string[] {
  const want = shapeOf(recordedValue);
  const got = shapeOf(actual);
  if (want === 'null' || got === 'null') return [];
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return [`${path}: array recorded, ${JSON.stringify(got).slice(0, 40)} answered`];
    const [first] = recordedValue as unknown[];
    const [answered] = actual as unknown[];
    return first === undefined || answered === undefined ? [] : differences(first, answered, `${path}[0]`);
  }
  if (typeof want === 'object') {
    if (typeof got !== 'object' || Array.isArray(got))
      return [`${path}: object recorded, ${typeof got} answered`];
    return Object.keys(want).flatMap((key) =>
      key in got
        ? differences(
            (recordedValue as Record<string, unknown>)[key],
            (actual as Record<string, unknown>)[key],
            `${path}.${key}`,
          )
        : [`${path}.${key}: missing`],
    );
  }
  return want === got ? [] : [`${path}: ${want} recorded, ${got} answered`];
}

const RATE_LIMIT_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-used',
  'x-ratelimit-resource',
  'x-github-request-id',
] as const;

/** The header names and value formats GitHub sends on every API answer. */
function headerFormats(headers: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(
    RATE_LIMIT_HEADERS.map((name) => {
      const value = headers[name];
      if (value === undefined || value === null) return [name, 'missing'];
      if (name === 'x-ratelimit-resource') return [name, value];
      if (name === 'x-github-request-id') return [name, value === '' ? 'empty' : 'present'];
      return [name, /^\d+$/.test(value) ? 'integer' : `not an integer: ${value}`];
    }),
  );
}

/** `<url>; rel="next", <url>; rel="last"`, with the URLs reduced to their page numbers. */
function linkFormat(link: string | null | undefined): string {
  return (link ?? '(none)')
    .split(', ')
    .map((part) => part.replace(/^<[^>]*[?&]page=(\d+)[^>]*>; rel="(\w+)"$/, 'page $1 $2'))
    .join(', ');
}

describe('the comparison itself', () => {
  it('finds a missing field and a field of another type, and lets null and extra fields pass', () => {
    const recordedValue = {
      ref: 'refs/heads/x',
      object: { sha: 'a', type: 'commit' },
      node_id: 'N',
      url: null,
    };
    expect(differences(recordedValue, { ref: 'r', object: { sha: 1 }, url: 'u', extra: true })).toEqual([
      '$.object.sha: string recorded, number answered',
      '$.object.type: missing',
      '$.node_id: missing',
    ]);
    expect(
      linkFormat('<https://h/r?per_page=3&page=2>; rel="next", <https://h/r?per_page=3&page=5>; rel="last"'),
    ).toBe('page 2 next, page 5 last');
  });
});

describe('our schemas read the answers recorded from GitHub', () => {
  it('labels added to an issue (POST /issues/{n}/labels)', () => {
    const answer = recorded('add-labels-to-issue', 'post', /\/issues\/1\/labels$/);
    expect(answer.status).toBe(200);
    expect(LabelListSchema.parse(answer.response)).toEqual(['Foo', 'bAr', 'baZ']);
  });

  it('a ref created and updated (POST, PATCH /git/refs)', () => {
    const created = recorded('git-refs', 'post', /\/git\/refs$/);
    expect(created.status).toBe(201);
    expect(GitRefSchema.parse(created.response)).toEqual({
      ref: 'refs/heads/test',
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    const updated = recorded('git-refs', 'patch', /\/git\/refs\/heads\/test$/);
    expect(RefSchema.parse(updated.response)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('the combined status of a commit (GET /commits/{ref}/status)', () => {
    const answer = recorded('create-status', 'get', /\/commits\/[0-9a-f]+\/status$/);
    expect(CombinedStatusSchema.parse(answer.response)).toMatchSnapshot();
  });

  it('a validation failure (422) and its errors', () => {
    const answer = recorded('errors', 'post', /\/labels$/);
    expect(answer.status).toBe(422);
    expect(ErrorBodySchema.parse(answer.response)).toEqual({
      message: 'Validation Failed',
      details: ['color invalid'],
    });
  });
});

describe('the sandbox answers as GitHub did', () => {
  let harness: Harness;
  let repo: SandboxRepo;
  beforeAll(async () => {
    harness = await startHarness();
    repo = await harness.newRepo();
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${harness.server.url}/repos/${repo.fullName}${path}`, {
      method,
      headers: {
        authorization: `token ${TOKEN}`,
        accept: 'application/vnd.github+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
      headers: headersOf(response),
    };
  }

  async function mainSha(): Promise<string> {
    const ref = await call('GET', '/git/ref/heads/main');
    return RefSchema.parse(ref.body);
  }

  it('refs: create 201, update 200, delete 204, with the recorded fields', async () => {
    const sha = await mainSha();
    const created = await call('POST', '/git/refs', { ref: 'refs/heads/recorded', sha });
    const recordedCreate = recorded('git-refs', 'post', /\/git\/refs$/);
    expect(created.status).toBe(recordedCreate.status);
    expect(differences(recordedCreate.response, created.body)).toEqual([]);
    const updated = await call('PATCH', '/git/refs/heads/recorded', { sha, force: true });
    const recordedUpdate = recorded('git-refs', 'patch', /\/git\/refs\/heads\/test$/);
    expect(updated.status).toBe(recordedUpdate.status);
    expect(differences(recordedUpdate.response, updated.body)).toEqual([]);
    const deleted = await call('DELETE', '/git/refs/heads/recorded');
    expect(deleted.status).toBe(recorded('git-refs', 'delete', /\/git\/refs\/heads\/test$/).status);
  });

  it('labels added to an issue: 200 and the recorded label fields', async () => {
    const created = await repo.prs.create({
      head: await branchWithCommit(),
      base: 'main',
      title: 't',
      body: '',
    });
    if (created.status !== 'created') throw new Error('the pull request was not created');
    const answer = await call('POST', `/issues/${created.pullRequest.number}/labels`, { labels: ['images'] });
    const recordedAnswer = recorded('add-labels-to-issue', 'post', /\/issues\/1\/labels$/);
    expect(answer.status).toBe(recordedAnswer.status);
    expect(differences(recordedAnswer.response, answer.body)).toEqual([]);
  });

  it('statuses: create 201 and the combined status with the recorded fields', async () => {
    const sha = await mainSha();
    const created = await call('POST', `/statuses/${sha}`, {
      state: 'failure',
      target_url: 'https://example.com',
      description: 'recorded',
      context: 'example/1',
    });
    const recordedCreate = recorded('create-status', 'post', /\/statuses\//);
    expect(created.status).toBe(recordedCreate.status);
    expect(differences(recordedCreate.response, created.body)).toEqual([]);
    const combined = await call('GET', `/commits/${sha}/status`);
    const recordedCombined = recorded('create-status', 'get', /\/commits\/[0-9a-f]+\/status$/);
    expect(combined.status).toBe(recordedCombined.status);
    expect(differences(recordedCombined.response, combined.body)).toEqual([]);
  });

  it('a directory through the contents API: the recorded fields of each entry', async () => {
    const answer = await call('GET', '/contents/');
    const recordedAnswer = recorded('get-content', 'get', /\/contents\/$/);
    expect(answer.status).toBe(recordedAnswer.status);
    expect(differences(recordedAnswer.response, answer.body)).toEqual([]);
  });

  it('a validation failure: 422 with message, errors and documentation_url', async () => {
    const answer = await call('POST', '/git/refs', { ref: 'refs/heads/main', sha: await mainSha() });
    const recordedAnswer = recorded('errors', 'post', /\/labels$/);
    expect(answer.status).toBe(recordedAnswer.status);
    expect(Object.keys(answer.body as object).sort()).toEqual(
      expect.arrayContaining(['documentation_url', 'message']),
    );
    expect(shapeOf((answer.body as { message: unknown }).message)).toBe('string');
  });

  it('rate-limit headers and the request id, in the recorded formats', async () => {
    const answer = await call('GET', '/contents/');
    const recordedAnswer = recorded('get-content', 'get', /\/contents\/$/);
    expect(headerFormats(answer.headers)).toEqual(headerFormats(recordedAnswer.headers));
  });

  it('link pagination: next and last on the first page, prev and first after, as recorded', async () => {
    for (let i = 0; i < 7; i++)
      await repo.prs.create({ head: await branchWithCommit(), base: 'main', title: `t${i}`, body: '' });
    const pages = scenario('paginate-issues').filter((r) => r.method === 'get');
    const first = await call('GET', '/pulls?state=all&per_page=3');
    expect(linkFormat(first.headers.link)).toBe(
      linkFormat(pages[0]?.headers.link).replace('page 5 last', 'page 3 last'),
    );
    const second = await call('GET', '/pulls?state=all&per_page=3&page=2');
    expect(linkFormat(second.headers.link)).toBe(
      linkFormat(pages[1]?.headers.link).replace('page 5 last', 'page 3 last'),
    );
  });

  let branches = 0;
  async function branchWithCommit(): Promise<string> {
    const branch = `recorded-${++branches}`;
    await repo.commit(branch, { [`f${branches}.txt`]: 'x\n' });
    return branch;
  }
});
