import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CircleCIClient,
  type CircleCIClientOptions,
  retryAfterSeconds,
} from '../../src/circleci/circleci-client.js';
import { checkPipelineParameters, PARAMETER_LIMITS } from '../../src/circleci/pipeline-parameters.js';
import { ExternalServiceError, InputError } from '../../src/errors.js';
import { Redactor } from '../../src/log/redact.js';
import { type CircleCIService, createCircleCIService } from '../../src/sandbox/circleci/circleci-service.js';
import { listen, type RunningServer } from '../../src/sandbox/http.js';

const TOKEN = 'CCIPAT_CANARY_b7e1f0a9c2d34e5f';
const PROJECT = 'gh/acme/fleet';
const DEFINITION = '6cb29b00-8e02-4357-8bc0-313983bf1f46';
const TRIGGER_ROUTE = 'POST /api/v2/project/:slug*/pipeline';

let circleci: CircleCIService;
let server: RunningServer;
let slept: number[] = [];
/** Every error the client threw in a test, to look for the token in. */
const thrown: unknown[] = [];

function client(options: Partial<CircleCIClientOptions> = {}): CircleCIClient {
  return new CircleCIClient({
    token: TOKEN,
    tokenSource: 'CIRCLE_TOKEN',
    host: server.url,
    timeoutMs: 2000,
    backoffMs: 5,
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...options,
  });
}

/** The error a call rejects with, kept for the token check. */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    thrown.push(error);
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  circleci = createCircleCIService({ token: TOKEN, projects: [PROJECT] });
  server = await listen(circleci.router.listener);
});
afterAll(async () => {
  await server.close();
  const printed = thrown
    .map((e) => `${inspect(e, { depth: 8 })}\n${(e as InputError).describe?.()}`)
    .join('\n');
  expect(thrown.length).toBeGreaterThan(5);
  expect(new Redactor([TOKEN]).leaks(printed)).toBe(false);
});
afterEach(() => {
  circleci.router.clearFaults();
  circleci.router.calls.length = 0;
  slept = [];
});

describe('CircleCIClient against the sandbox', () => {
  it('triggers a pipeline with parameters in another project', async () => {
    const created = await client().triggerPipeline({
      projectSlug: PROJECT,
      branch: 'main',
      parameters: { image: 'win2022', ami: 'ami-0a1b2c3d4e5f60718', rebuild: true, attempt: 2 },
    });
    expect(created).toMatchObject({ number: 1, state: 'created' });
    const trigger = circleci.state.triggers.at(-1);
    expect(trigger).toMatchObject({
      endpoint: 'pipeline',
      project_slug: PROJECT,
      branch: 'main',
      parameters: { image: 'win2022', ami: 'ami-0a1b2c3d4e5f60718', rebuild: true, attempt: 2 },
      pipeline_id: created.id,
    });
    const read = await client().getPipeline(created.id);
    expect(read).toMatchObject({
      id: created.id,
      projectSlug: PROJECT,
      branch: 'main',
      parameters: { image: 'win2022' },
    });
  });

  it('runs a pipeline definition of a GitHub-App project', async () => {
    await client().runPipeline({
      projectSlug: PROJECT,
      definitionId: DEFINITION,
      configBranch: 'main',
      parameters: { image: 'win2019' },
    });
    expect(circleci.state.triggers.at(-1)).toMatchObject({
      endpoint: 'pipeline-run',
      definition_id: DEFINITION,
      config: { branch: 'main' },
      checkout: { branch: 'main' },
      parameters: { image: 'win2019' },
    });
    const error = await failure(client().runPipeline({ projectSlug: PROJECT, definitionId: 'nightly' }));
    expect(error).toBeInstanceOf(InputError);
    expect(circleci.router.count()).toBe(1);
  });

  it('continues a setup pipeline with generated configuration, never printing the continuation key', async () => {
    const { pipeline, continuationKey } = circleci.createSetupPipeline('gh/acme/windows-images', {
      branch: 'main',
    });
    const configuration = 'version: 2.1\nworkflows:\n  build:\n    jobs: [packer]\n';
    await client().continuePipeline({ continuationKey, configuration, parameters: { image: 'win2022' } });
    expect(circleci.state.continuations.at(-1)).toMatchObject({
      pipeline_id: pipeline.id,
      configuration,
      parameters: { image: 'win2022' },
    });

    const again = await failure(client().continuePipeline({ continuationKey, configuration }));
    expect(again).toBeInstanceOf(InputError);
    expect(again.message).toBe(
      'could not continue the setup pipeline: Pipeline is not in setup state (HTTP 409)',
    );
    expect(inspect(again)).not.toContain(continuationKey);
  });

  it('refuses parameters beyond CircleCI limits before sending anything, naming the parameter', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'x']));
    const longKey = { ['k'.repeat(129)]: 'x' };
    const longValue = { image: 'win2022', user_data: 'x'.repeat(513) };
    const errors = [
      await failure(client().triggerPipeline({ projectSlug: PROJECT, branch: 'main', parameters: tooMany })),
      await failure(client().triggerPipeline({ projectSlug: PROJECT, branch: 'main', parameters: longKey })),
      await failure(
        client().runPipeline({ projectSlug: PROJECT, definitionId: DEFINITION, parameters: longValue }),
      ),
    ];
    expect(errors.map((e) => (e as InputError).describe())).toEqual([
      'parameters: 101 pipeline parameters given; CircleCI accepts at most 100',
      `parameters.${'k'.repeat(40)}…: pipeline parameter name "${'k'.repeat(40)}…" is 129 characters long; CircleCI accepts at most 128`,
      'parameters.user_data: pipeline parameter "user_data" has a value of 513 characters; CircleCI accepts at most 512',
    ]);
    expect(errors.every((e) => e instanceof InputError)).toBe(true);
    expect(circleci.router.count()).toBe(0);
  });

  it('accepts exactly what the limits allow, as the sandbox does', () => {
    const key = fc.string({ minLength: 1, maxLength: 140 });
    const value = fc.oneof(fc.string({ maxLength: 530 }), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 105 }), (parameters) => {
        const entries = Object.entries(parameters);
        const fits =
          entries.length <= PARAMETER_LIMITS.entries &&
          entries.every(
            ([k, v]) =>
              k.length <= PARAMETER_LIMITS.keyLength && String(v).length <= PARAMETER_LIMITS.valueLength,
          );
        if (fits) expect(() => checkPipelineParameters(parameters)).not.toThrow();
        else expect(() => checkPipelineParameters(parameters)).toThrow(InputError);
      }),
    );
  });

  it('says the token was refused (401) and where it came from, without the token', async () => {
    const error = await failure(
      client({ token: 'CCIPAT_WRONG_CANARY_0f9e8d7c', tokenSource: 'CCI_PASSWORD' }).triggerPipeline({
        projectSlug: PROJECT,
        branch: 'main',
      }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).describe()).toBe(
      'CCI_PASSWORD: CircleCI refused the token from CCI_PASSWORD (HTTP 401: You must log in first.); check that it is a valid personal API token',
    );
    expect(inspect(error)).not.toContain('CCIPAT_WRONG_CANARY');
    expect(circleci.router.count()).toBe(1);
  });

  it('names an unknown project (404) as bad input', async () => {
    const error = await failure(client().triggerPipeline({ projectSlug: 'gh/acme/nope', branch: 'main' }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('could not trigger a pipeline in gh/acme/nope: Project not found (HTTP 404)');
  });

  it('waits out a 429 for its Retry-After, then triggers once', async () => {
    circleci.rateLimit(TRIGGER_ROUTE, 2, 3);
    await client().triggerPipeline({
      projectSlug: PROJECT,
      branch: 'main',
      parameters: { image: 'win2022' },
    });
    expect(slept).toEqual([3000, 3000]);
    expect(circleci.router.count(TRIGGER_ROUTE)).toBe(3);
  });

  it('stops after the bounded retries, or at once when Retry-After is longer than the cap', async () => {
    circleci.rateLimit(TRIGGER_ROUTE, 10, 1);
    const exhausted = await failure(
      client({ retries: 2 }).triggerPipeline({ projectSlug: PROJECT, branch: 'main' }),
    );
    expect(exhausted).toBeInstanceOf(ExternalServiceError);
    expect(exhausted.message).toBe(
      `CircleCI: could not trigger a pipeline in ${PROJECT}: rate limited (HTTP 429); CircleCI asks to retry after 1 s`,
    );
    expect(circleci.router.count(TRIGGER_ROUTE)).toBe(3);

    circleci.router.clearFaults();
    circleci.router.calls.length = 0;
    circleci.rateLimit(TRIGGER_ROUTE, 1, 3600);
    const tooLong = await failure(client().triggerPipeline({ projectSlug: PROJECT, branch: 'main' }));
    expect((tooLong as ExternalServiceError).status).toBe(429);
    expect(circleci.router.count(TRIGGER_ROUTE)).toBe(1);
  });

  it('retries 503 with backoff, but not a 500 on a POST that may have started a pipeline', async () => {
    circleci.router.inject({
      route: TRIGGER_ROUTE,
      times: 2,
      respond: { status: 503, body: { message: 'Service Unavailable' } },
    });
    await client().triggerPipeline({ projectSlug: PROJECT, branch: 'main' });
    expect(slept).toEqual([5, 10]);

    circleci.router.calls.length = 0;
    circleci.router.inject({
      route: TRIGGER_ROUTE,
      times: 1,
      respond: { status: 500, body: { message: 'Internal Server Error' } },
    });
    const error = await failure(client().triggerPipeline({ projectSlug: PROJECT, branch: 'main' }));
    expect(error.message).toBe(
      `CircleCI: could not trigger a pipeline in ${PROJECT}: HTTP 500: Internal Server Error`,
    );
    expect(circleci.router.count(TRIGGER_ROUTE)).toBe(1);
  });

  it('times out a request that gets no answer', async () => {
    circleci.router.inject({
      route: 'GET /api/v2/pipeline/:id',
      times: 5,
      delayMs: 500,
      respond: { status: 200, body: {} },
    });
    const error = await failure(
      client({ timeoutMs: 100, retries: 1 }).getPipeline('5034460f-c7c4-4c43-9457-de07e2029e7b'),
    );
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toMatch(
      /^CircleCI: could not read pipeline 5034460f-c7c4-4c43-9457-de07e2029e7b: no answer within 0\.1 s, 2 attempts; endpoint http:\/\/127\.0\.0\.1:\d+$/,
    );
  });

  it('retries a refused connection, then says so', async () => {
    const closed = await listen(circleci.router.listener);
    await closed.close();
    const error = await failure(
      client({ host: closed.url, retries: 2 }).getPipeline('5034460f-c7c4-4c43-9457-de07e2029e7b'),
    );
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toBe(
      `CircleCI: could not read pipeline 5034460f-c7c4-4c43-9457-de07e2029e7b: connection refused, 3 attempts; endpoint ${closed.url}`,
    );
    expect(slept).toEqual([5, 10]);
  });

  it('is built from CIRCLE_TOKEN or CCI_PASSWORD and CIRCLECI_HOST, and refuses to start without a token', async () => {
    const fromCci = CircleCIClient.fromEnv({ CCI_PASSWORD: TOKEN, CIRCLECI_HOST: `${server.url}/` });
    await fromCci.triggerPipeline({ projectSlug: PROJECT, tag: 'v1.2.0' });
    expect(circleci.state.triggers.at(-1)).toMatchObject({ tag: 'v1.2.0' });
    const wrong = await failure(
      CircleCIClient.fromEnv({
        CIRCLE_TOKEN: 'CCIPAT_OTHER_CANARY_1a2b3c',
        CCI_PASSWORD: TOKEN,
        CIRCLECI_HOST: server.url,
      }).triggerPipeline({
        projectSlug: PROJECT,
        branch: 'main',
      }),
    );
    expect(wrong.message).toContain('from CIRCLE_TOKEN');
    expect(() => CircleCIClient.fromEnv({})).toThrow(InputError);
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterSeconds('7', now)).toBe(7);
    expect(retryAfterSeconds('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});
