import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CircleCIService,
  createCircleCIService,
  parameterLimits,
} from '../../../src/sandbox/circleci/circleci-service.js';
import { listen, type RunningServer } from '../../../src/sandbox/http.js';

const token = 'circle-sandbox-token';
const project = 'gh/acme/windows-images';
const triggerRoute = 'POST /api/v2/project/:slug*/pipeline';

let circleci: CircleCIService;
let server: RunningServer;

/** Calls the API as the trigger code will: Node's fetch, JSON, `Circle-Token`. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'Circle-Token': token },
) {
  const response = await fetch(`${server.url}/api/v2/${path}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

const trigger = (body: unknown, slug = project) => call('POST', `project/${slug}/pipeline`, body);

beforeAll(async () => {
  circleci = createCircleCIService({ token, projects: [project, 'gh/acme/service'] });
  server = await listen(circleci.router.listener);
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  circleci.router.clearFaults();
});

describe('authentication', () => {
  it('answers 401 "You must log in first." without a token or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [{}, { 'Circle-Token': 'wrong' }];
    for (const headers of attempts) {
      const answer = await call('POST', `project/${project}/pipeline`, { branch: 'main' }, headers);
      expect(answer).toMatchObject({ status: 401, json: { message: 'You must log in first.' } });
    }
    expect(circleci.state.triggers).toHaveLength(0);
  });

  it('accepts the token as the basic-auth user name, as `curl -u TOKEN:` sends it', async () => {
    const basic = `Basic ${Buffer.from(`${token}:`).toString('base64')}`;
    const answer = await call(
      'POST',
      `project/${project}/pipeline`,
      { branch: 'main' },
      { authorization: basic },
    );
    expect(answer.status).toBe(201);
  });
});

describe('POST /project/{slug}/pipeline', () => {
  it('creates a pipeline, answers 201 with id, state, number and created_at, and records the call', async () => {
    const parameters = { 'image-set': 'windows-2022', validate: true, retries: 3 };
    const answer = await trigger({ branch: 'windows-update/windows-2022', parameters }, 'gh/acme/service');

    expect(answer.status).toBe(201);
    expect(Object.keys(answer.json).sort()).toEqual(['created_at', 'id', 'number', 'state']);
    expect(answer.json).toMatchObject({ state: 'created', number: 1 });
    expect(answer.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(answer.json.created_at as string).toISOString()).toBe(answer.json.created_at);
    expect(circleci.state.triggers.at(-1)).toEqual({
      endpoint: 'pipeline',
      project_slug: 'gh/acme/service',
      branch: 'windows-update/windows-2022',
      parameters,
      pipeline_id: answer.json.id,
      at: answer.json.created_at,
    });
  });

  it('numbers pipelines per project and reads the slug in any of its forms', async () => {
    const first = await trigger({ tag: 'v1.0.0' }, 'github/acme/service');
    const second = await trigger({}, encodeURIComponent('gh/acme/service'));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((second.json.number as number) - (first.json.number as number)).toBe(1);
    expect(circleci.pipelines('github/acme/service').at(-2)).toMatchObject({
      tag: 'v1.0.0',
      project_slug: 'gh/acme/service',
    });
  });

  it('answers 404 "Project not found" for an unknown project', async () => {
    const answer = await trigger({ branch: 'main' }, 'gh/acme/nope');
    expect(answer).toMatchObject({ status: 404, json: { message: 'Project not found' } });
  });

  it('answers 400 for branch and tag together, and for a body that is not JSON', async () => {
    expect((await trigger({ branch: 'main', tag: 'v1' })).status).toBe(400);
    const raw = await fetch(`${server.url}/api/v2/project/${project}/pipeline`, {
      method: 'POST',
      headers: { 'Circle-Token': token, 'content-type': 'application/json' },
      body: '{branch:',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toHaveProperty('message');
  });
});

describe('pipeline parameter limits', () => {
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, 'v']));

  it('takes 100 parameters and refuses 101', async () => {
    expect((await trigger({ parameters: many(100) })).status).toBe(201);
    const over = await trigger({ parameters: many(101) });
    expect(over.status).toBe(400);
    expect(over.json.message).toMatch(/101 given, at most 100/);
  });

  it('takes a 128-character key and refuses 129', async () => {
    expect((await trigger({ parameters: { ['k'.repeat(128)]: 'v' } })).status).toBe(201);
    const over = await trigger({ parameters: { ['k'.repeat(129)]: 'v' } });
    expect(over.status).toBe(400);
    expect(over.json.message).toMatch(/129 characters long, at most 128/);
  });

  it('takes a 512-character value and refuses 513', async () => {
    expect((await trigger({ parameters: { ami: 'a'.repeat(512) } })).status).toBe(201);
    const over = await trigger({ parameters: { ami: 'a'.repeat(513) } });
    expect(over).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/'ami' value is 513 characters/) },
    });
  });

  it('refuses parameter values that are objects or arrays', async () => {
    expect((await trigger({ parameters: { nested: { a: 1 } } })).status).toBe(400);
    expect((await trigger({ parameters: ['a'] })).status).toBe(400);
  });

  it('accepts any parameters within all three limits and refuses them one step beyond any', async () => {
    const { entries, keyLength, valueLength } = parameterLimits;
    // Sizes at and next to each bound are drawn often: that is where off-by-one errors live.
    const key = fc
      .oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(keyLength - 1, keyLength))
      .chain((n) => fc.string({ minLength: n, maxLength: n }));
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ minLength: valueLength - 1, maxLength: valueLength }),
      fc.boolean(),
      fc.integer(),
    );
    const size = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(entries - 1), fc.constant(entries));
    const within = size.chain((n) => fc.dictionary(key, value, { minKeys: n, maxKeys: n }));
    const violation = fc.constantFrom('none', 'entries', 'key', 'value');

    await fc.assert(
      fc.asyncProperty(within, violation, async (valid, broken) => {
        const parameters: Record<string, unknown> = { ...valid };
        const first = Object.keys(parameters)[0];
        if (broken === 'entries') {
          for (let i = 0; Object.keys(parameters).length <= entries; i++) parameters[`extra-${i}`] = i;
        } else if (broken === 'key') {
          if (first !== undefined) delete parameters[first];
          parameters['k'.repeat(keyLength + 1)] = 'v';
        } else if (broken === 'value') {
          parameters[first ?? 'v'] = 'v'.repeat(valueLength + 1);
        }
        const before = circleci.state.triggers.length;
        const answer = await trigger({ branch: 'main', parameters });
        expect(answer.status).toBe(broken === 'none' ? 201 : 400);
        expect(circleci.state.triggers.length - before).toBe(broken === 'none' ? 1 : 0);
        if (broken === 'none') expect(circleci.state.triggers.at(-1)?.parameters).toEqual(parameters);
      }),
      // Shrinking 100-entry dictionaries over HTTP outlasts the test timeout; the first counterexample names its violation.
      { numRuns: 60, endOnFailure: true },
    );
  });
});

describe('POST /project/{slug}/pipeline/run (GitHub App)', () => {
  const definitionId = '6b9e0e1f-8a3c-4d5e-9f00-112233445566';

  it('creates a pipeline from a definition id, config and checkout branches, and parameters', async () => {
    const body = {
      definition_id: definitionId,
      config: { branch: 'main' },
      checkout: { branch: 'windows-update/windows-2022' },
      parameters: { 'image-set': 'windows-2022' },
    };
    const answer = await call('POST', `project/${project}/pipeline/run`, body);
    expect(answer).toMatchObject({ status: 201, json: { state: 'created' } });
    expect(circleci.state.triggers.at(-1)).toMatchObject({
      endpoint: 'pipeline-run',
      project_slug: project,
      ...body,
    });
    expect(circleci.state.pipelines.at(-1)).toMatchObject({
      id: answer.json.id,
      branch: 'windows-update/windows-2022',
    });
  });

  it('answers 400 without a definition id and for branch and tag together', async () => {
    expect(
      (await call('POST', `project/${project}/pipeline/run`, { config: { branch: 'main' } })).status,
    ).toBe(400);
    const both = { definition_id: definitionId, checkout: { branch: 'main', tag: 'v1' } };
    expect((await call('POST', `project/${project}/pipeline/run`, both)).status).toBe(400);
  });

  it('checks the same parameter limits', async () => {
    const body = {
      definition_id: definitionId,
      config: { branch: 'main' },
      parameters: { x: 'v'.repeat(513) },
    };
    expect((await call('POST', `project/${project}/pipeline/run`, body)).status).toBe(400);
  });
});

describe('POST /pipeline/continue', () => {
  const configuration = 'version: 2.1\nworkflows:\n  build:\n    jobs: [build]\n';

  it('continues a setup pipeline once, and answers 409 the second time', async () => {
    const { pipeline, continuationKey } = circleci.createSetupPipeline(project, { branch: 'main' });
    expect(pipeline.state).toBe('setup');
    const body = {
      'continuation-key': continuationKey,
      configuration,
      parameters: { 'image-set': 'windows-2022' },
    };

    const first = await call('POST', 'pipeline/continue', body);
    expect(first.status).toBe(200);
    expect(circleci.state.continuations.at(-1)).toMatchObject({
      continuation_key: continuationKey,
      pipeline_id: pipeline.id,
      configuration,
      parameters: { 'image-set': 'windows-2022' },
    });
    expect((await call('GET', `pipeline/${pipeline.id}`)).json.state).toBe('created');

    const again = await call('POST', 'pipeline/continue', body);
    expect(again).toMatchObject({ status: 409, json: { message: 'Pipeline is not in setup state' } });
  });

  it('refuses a key it never issued, a missing configuration, and configuration that is not YAML', async () => {
    const { continuationKey } = circleci.createSetupPipeline(project);
    expect(
      (await call('POST', 'pipeline/continue', { 'continuation-key': 'made-up', configuration })).status,
    ).toBe(400);
    expect((await call('POST', 'pipeline/continue', { 'continuation-key': continuationKey })).status).toBe(
      400,
    );
    const notYaml = { 'continuation-key': continuationKey, configuration: 'version: [2.1' };
    expect((await call('POST', 'pipeline/continue', notYaml)).status).toBe(400);
    expect(circleci.state.pipelines.find((p) => p.continuation_key === continuationKey)?.state).toBe('setup');
  });

  it('refuses parameters that conflict with those the pipeline was triggered with', async () => {
    const { continuationKey } = circleci.createSetupPipeline(project, { parameters: { mode: 'scheduled' } });
    const conflict = { 'continuation-key': continuationKey, configuration, parameters: { mode: 'manual' } };
    expect(await call('POST', 'pipeline/continue', conflict)).toMatchObject({
      status: 400,
      json: { message: 'Conflicting pipeline parameters.' },
    });
    const same = { ...conflict, parameters: { mode: 'scheduled', extra: 1 } };
    expect((await call('POST', 'pipeline/continue', same)).status).toBe(200);
  });

  it('checks the parameter limits on continuation too', async () => {
    const { continuationKey } = circleci.createSetupPipeline(project);
    const parameters = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, i]));
    expect(
      (
        await call('POST', 'pipeline/continue', {
          'continuation-key': continuationKey,
          configuration,
          parameters,
        })
      ).status,
    ).toBe(400);
  });
});

describe('reading pipelines', () => {
  it('gets a pipeline by id, with its project, parameters and branch', async () => {
    const created = await trigger({ branch: 'feature/x', parameters: { a: '1' } });
    const answer = await call('GET', `pipeline/${created.json.id}`);
    expect(answer).toMatchObject({
      status: 200,
      json: {
        id: created.json.id,
        number: created.json.number,
        project_slug: project,
        state: 'created',
        trigger_parameters: { a: '1' },
        vcs: { branch: 'feature/x', target_repository_url: 'https://github.com/acme/windows-images' },
      },
    });
    expect((await call('GET', 'pipeline/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('lists a project pipelines newest first, 20 a page, filtered by branch', async () => {
    const slug = 'gh/acme/paged';
    circleci.addProject(slug);
    for (let i = 0; i < 23; i++) await trigger({ branch: i % 2 === 0 ? 'main' : 'dev' }, slug);

    const first = await call('GET', `project/${slug}/pipeline`);
    const items = first.json.items as { number: number }[];
    expect(items.map((p) => p.number)).toEqual(Array.from({ length: 20 }, (_, i) => 23 - i));
    const second = await call('GET', `project/${slug}/pipeline?page-token=${first.json.next_page_token}`);
    expect((second.json.items as { number: number }[]).map((p) => p.number)).toEqual([3, 2, 1]);
    expect(second.json.next_page_token).toBeNull();

    const main = await call('GET', `project/${slug}/pipeline?branch=main`);
    expect((main.json.items as { vcs: { branch: string } }[]).every((p) => p.vcs.branch === 'main')).toBe(
      true,
    );
    expect(main.json.items).toHaveLength(12);
  });
});

describe('faults', () => {
  it('serves a scripted 429 with Retry-After, then the real answer', async () => {
    circleci.rateLimit(triggerRoute, 1, 3);
    const limited = await trigger({ branch: 'main' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await trigger({ branch: 'main' })).status).toBe(201);
  });

  it('serves scripted 401 and 5xx answers for the given number of calls', async () => {
    circleci.router.inject({
      route: triggerRoute,
      times: 1,
      respond: { status: 401, body: { message: 'You must log in first.' } },
    });
    circleci.router.inject({ route: triggerRoute, times: 2, respond: { status: 502, body: 'Bad Gateway' } });
    const before = circleci.state.triggers.length;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${server.url}/api/v2/project/${project}/pipeline`, {
        method: 'POST',
        headers: { 'Circle-Token': token, 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([401, 502, 502, 201]);
    expect(circleci.state.triggers.length - before).toBe(1);
  });
});
