/**
 * The sandbox's CircleCI API v2: trigger a pipeline (classic and GitHub-App forms), continue a setup
 * pipeline, and read pipelines back, with the `Circle-Token` auth, the `{"message": ...}` error bodies
 * and the pipeline-parameter limits of circleci.com. Every call that starts or continues a pipeline is recorded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseDocument } from 'yaml';
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';

export type PipelineState = 'created' | 'errored' | 'setup-pending' | 'setup' | 'pending';

export interface CircleCIPipeline {
  id: string;
  /** Per project, from 1. */
  number: number;
  project_slug: string;
  state: PipelineState;
  created_at: string;
  updated_at: string;
  branch?: string;
  tag?: string;
  parameters: Record<string, PipelineParameterValue>;
  /** For setup pipelines: the key the setup job gets as `CIRCLE_CONTINUATION_KEY`. */
  continuation_key?: string;
}

export type PipelineParameterValue = string | number | boolean;

export interface CircleCITrigger {
  /** `pipeline` is `POST /project/{slug}/pipeline`, `pipeline-run` the GitHub-App `.../pipeline/run`. */
  endpoint: 'pipeline' | 'pipeline-run';
  project_slug: string;
  branch?: string;
  tag?: string;
  definition_id?: string;
  config?: { branch?: string; tag?: string };
  checkout?: { branch?: string; tag?: string };
  parameters: Record<string, PipelineParameterValue>;
  pipeline_id: string;
  at: string;
}

export interface CircleCIContinuation {
  continuation_key: string;
  pipeline_id: string;
  configuration: string;
  parameters: Record<string, PipelineParameterValue>;
  at: string;
}

export interface CircleCIState {
  /** Known project slugs (`gh/org/repo`); triggers for others get 404 `Project not found`. */
  projects: string[];
  pipelines: CircleCIPipeline[];
  triggers: CircleCITrigger[];
  continuations: CircleCIContinuation[];
}

export interface CircleCIServiceOptions {
  token: string;
  /** Project slugs that exist; more can be added with `addProject`. */
  projects?: string[];
}

/** Pipeline-parameter limits from the API v2 reference ("100 max entries, 128 maximum key length, 512 maximum value length"). */
export const parameterLimits = { entries: 100, keyLength: 128, valueLength: 512 } as const;

/** CircleCI's page size for pipeline lists. */
const pageSize = 20;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Creates the CircleCI API v2 service; `router` serves it under `/api/v2/`, `state` records pipelines and calls. */
export function createCircleCIService(options: CircleCIServiceOptions) {
  const state: CircleCIState = { projects: [], pipelines: [], triggers: [], continuations: [] };
  const router = new Router('circleci');

  const addProject = (slug: string): string => {
    const normal = normalizeSlug(slug);
    if (!state.projects.includes(normal)) state.projects.push(normal);
    return normal;
  };
  for (const slug of options.projects ?? []) addProject(slug);

  const projectFor = (slug: string): string => {
    const normal = normalizeSlug(slug);
    if (!state.projects.includes(normal)) throw new ApiError(404, 'Project not found');
    return normal;
  };

  const createPipeline = (
    slug: string,
    fields: { branch?: string; tag?: string; parameters?: Record<string, PipelineParameterValue> },
    pipelineState: PipelineState,
  ): CircleCIPipeline => {
    const now = new Date().toISOString();
    const pipeline: CircleCIPipeline = {
      id: randomUUID(),
      number: state.pipelines.filter((p) => p.project_slug === slug).length + 1,
      project_slug: slug,
      state: pipelineState,
      created_at: now,
      updated_at: now,
      ...(fields.branch !== undefined ? { branch: fields.branch } : {}),
      ...(fields.tag !== undefined ? { tag: fields.tag } : {}),
      parameters: fields.parameters ?? {},
    };
    state.pipelines.push(pipeline);
    return pipeline;
  };

  const answering = (handler: (req: SandboxRequest) => SandboxResponse) => (req: SandboxRequest) => {
    try {
      return handler(req);
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: { message: error.message } };
      throw error;
    }
  };
  const authorized = (handler: (req: SandboxRequest) => SandboxResponse) => (req: SandboxRequest) => {
    if (tokenOf(req) !== options.token) return { status: 401, body: { message: 'You must log in first.' } };
    return answering(handler)(req);
  };

  router.on(
    'POST',
    '/api/v2/project/:slug*/pipeline/run',
    authorized((req) => {
      const slug = projectFor(req.params.slug ?? '');
      const body = jsonBody(req);
      const definitionId = body.definition_id;
      if (typeof definitionId !== 'string' || !isUuid(definitionId)) {
        throw new ApiError(400, 'definition_id is required and must be a UUID.');
      }
      const config = refObject(body.config, 'config');
      const checkout = refObject(body.checkout, 'checkout');
      const parameters = checkParameters(body.parameters);
      const ref = checkout ?? config ?? {};
      const pipeline = createPipeline(slug, { ...ref, parameters }, 'created');
      state.triggers.push({
        endpoint: 'pipeline-run',
        project_slug: slug,
        definition_id: definitionId,
        ...(config ? { config } : {}),
        ...(checkout ? { checkout } : {}),
        parameters,
        pipeline_id: pipeline.id,
        at: pipeline.created_at,
      });
      return { status: 201, body: creation(pipeline) };
    }),
  );

  router.on(
    'POST',
    '/api/v2/project/:slug*/pipeline',
    authorized((req) => {
      const slug = projectFor(req.params.slug ?? '');
      const body = jsonBody(req);
      const ref = branchOrTag(body);
      const parameters = checkParameters(body.parameters);
      const pipeline = createPipeline(slug, { ...ref, parameters }, 'created');
      state.triggers.push({
        endpoint: 'pipeline',
        project_slug: slug,
        ...ref,
        parameters,
        pipeline_id: pipeline.id,
        at: pipeline.created_at,
      });
      return { status: 201, body: creation(pipeline) };
    }),
  );

  router.on(
    'GET',
    '/api/v2/project/:slug*/pipeline',
    authorized((req) => {
      const slug = projectFor(req.params.slug ?? '');
      const branch = req.url.searchParams.get('branch');
      const all = state.pipelines
        .filter((p) => p.project_slug === slug && (branch === null || p.branch === branch))
        .reverse();
      const start = decodePageToken(req.url.searchParams.get('page-token'));
      const items = all.slice(start, start + pageSize).map(pipelineJson);
      const next = start + pageSize < all.length ? encodePageToken(start + pageSize) : null;
      return { status: 200, body: { items, next_page_token: next } };
    }),
  );

  router.on(
    'POST',
    '/api/v2/pipeline/continue',
    // The continuation key is the credential (only the setup job has it); the circleci/continuation orb sends no
    // token, so none is required here either.
    answering((req) => {
      const body = jsonBody(req);
      const key = body['continuation-key'];
      if (typeof key !== 'string' || key === '') throw new ApiError(400, 'continuation-key is required.');
      const configuration = body.configuration;
      if (typeof configuration !== 'string' || configuration.trim() === '') {
        throw new ApiError(400, 'configuration is required.');
      }
      const pipeline = state.pipelines.find((p) => p.continuation_key === key);
      if (!pipeline) throw new ApiError(400, 'Invalid continuation key.');
      if (pipeline.state !== 'setup') throw new ApiError(409, 'Pipeline is not in setup state');
      // The real service compiles the configuration; the sandbox only checks it is a YAML mapping.
      const doc = parseDocument(configuration);
      if (doc.errors.length > 0 || typeof doc.toJS() !== 'object' || doc.toJS() === null) {
        throw new ApiError(400, 'Config is not valid YAML.');
      }
      const parameters = checkParameters(body.parameters);
      for (const [name, value] of Object.entries(parameters)) {
        if (Object.hasOwn(pipeline.parameters, name) && pipeline.parameters[name] !== value) {
          throw new ApiError(400, 'Conflicting pipeline parameters.');
        }
      }
      pipeline.state = 'created';
      pipeline.updated_at = new Date().toISOString();
      state.continuations.push({
        continuation_key: key,
        pipeline_id: pipeline.id,
        configuration,
        parameters,
        at: pipeline.updated_at,
      });
      return { status: 200, body: { message: 'success' } };
    }),
  );

  router.on(
    'GET',
    '/api/v2/pipeline/:id',
    authorized((req) => {
      const pipeline = state.pipelines.find((p) => p.id === req.params.id);
      if (!pipeline) throw new ApiError(404, 'Pipeline not found');
      return { status: 200, body: pipelineJson(pipeline) };
    }),
  );

  return {
    router,
    state,
    /** Makes a project slug known (`gh/org/repo`; `github/` and `bitbucket/` are normalised). */
    addProject,
    /**
     * Starts a setup pipeline as a push would, waiting for `POST /pipeline/continue`;
     * returns it and the continuation key its setup job would see.
     */
    createSetupPipeline(
      slug: string,
      fields: { branch?: string; tag?: string; parameters?: Record<string, PipelineParameterValue> } = {},
    ): { pipeline: CircleCIPipeline; continuationKey: string } {
      const pipeline = createPipeline(addProject(slug), fields, 'setup');
      pipeline.continuation_key = randomBytes(32).toString('base64url');
      return { pipeline, continuationKey: pipeline.continuation_key };
    },
    /** Pipelines of one project, oldest first. */
    pipelines(slug: string): CircleCIPipeline[] {
      const normal = normalizeSlug(slug);
      return state.pipelines.filter((p) => p.project_slug === normal);
    },
    /** Scripts `times` answers of HTTP 429 with `Retry-After` for one route (`POST /api/v2/project/:slug*\/pipeline` ...). */
    rateLimit(route: string, times = 1, retryAfterSeconds = 1): void {
      router.inject({
        route,
        times,
        respond: {
          status: 429,
          headers: { 'retry-after': retryAfterSeconds },
          body: { message: 'Rate limit exceeded' },
        },
      });
    },
  };
}

export type CircleCIService = ReturnType<typeof createCircleCIService>;

/** Checks pipeline parameters against CircleCI's limits; returns them, or throws a 400. */
function checkParameters(value: unknown): Record<string, PipelineParameterValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ApiError(400, 'parameters must be an object.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > parameterLimits.entries) {
    throw new ApiError(
      400,
      `Too many pipeline parameters: ${entries.length} given, at most ${parameterLimits.entries} allowed.`,
    );
  }
  const checked: [string, PipelineParameterValue][] = [];
  for (const [key, raw] of entries) {
    if (key.length > parameterLimits.keyLength) {
      throw new ApiError(
        400,
        `Pipeline parameter key '${key.slice(0, 20)}...' is ${key.length} characters long, at most ${parameterLimits.keyLength} allowed.`,
      );
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new ApiError(400, `Pipeline parameter '${key}' must be a string, number or boolean.`);
    }
    if (String(raw).length > parameterLimits.valueLength) {
      throw new ApiError(
        400,
        `Pipeline parameter '${key}' value is ${String(raw).length} characters long, at most ${parameterLimits.valueLength} allowed.`,
      );
    }
    checked.push([key, raw]);
  }
  // fromEntries defines own properties, so a parameter named `__proto__` stays a parameter.
  return Object.fromEntries(checked);
}

/** `github/o/r` and `gh/o/r` name the same project (likewise `bitbucket`/`bb`); the sandbox stores the short form. */
export function normalizeSlug(slug: string): string {
  return slug
    .replace(/^\/+|\/+$/g, '')
    .replace(/^github\//, 'gh/')
    .replace(/^bitbucket\//, 'bb/');
}

/** The token from `Circle-Token`, or from HTTP basic auth with the token as user name (`curl -u TOKEN:`). */
function tokenOf(req: SandboxRequest): string | undefined {
  const header = req.headers['circle-token'];
  if (typeof header === 'string' && header !== '') return header;
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) return Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function jsonBody(req: SandboxRequest): Record<string, unknown> {
  const text = req.body.toString('utf8');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'Request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'Request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function branchOrTag(body: Record<string, unknown>, field = ''): { branch?: string; tag?: string } {
  const { branch, tag } = body;
  if (branch !== undefined && typeof branch !== 'string')
    throw new ApiError(400, `${field}branch must be a string.`);
  if (tag !== undefined && typeof tag !== 'string') throw new ApiError(400, `${field}tag must be a string.`);
  if (branch !== undefined && tag !== undefined) {
    throw new ApiError(400, `${field}branch and ${field}tag are mutually exclusive.`);
  }
  return { ...(branch !== undefined ? { branch } : {}), ...(tag !== undefined ? { tag } : {}) };
}

function refObject(value: unknown, name: string): { branch?: string; tag?: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, `${name} must be an object.`);
  }
  return branchOrTag(value as Record<string, unknown>, `${name}.`);
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function creation(pipeline: CircleCIPipeline) {
  return { id: pipeline.id, state: pipeline.state, number: pipeline.number, created_at: pipeline.created_at };
}

function pipelineJson(pipeline: CircleCIPipeline) {
  const [provider, org, repo] = pipeline.project_slug.split('/');
  const host = provider === 'bb' ? 'bitbucket.org' : 'github.com';
  return {
    id: pipeline.id,
    errors: [],
    project_slug: pipeline.project_slug,
    updated_at: pipeline.updated_at,
    number: pipeline.number,
    trigger_parameters: pipeline.parameters,
    state: pipeline.state,
    created_at: pipeline.created_at,
    trigger: {
      type: 'api',
      received_at: pipeline.created_at,
      actor: { login: 'hephestus', avatar_url: null },
    },
    vcs: {
      provider_name: provider === 'bb' ? 'Bitbucket' : 'GitHub',
      target_repository_url: `https://${host}/${org}/${repo}`,
      origin_repository_url: `https://${host}/${org}/${repo}`,
      ...(pipeline.branch !== undefined ? { branch: pipeline.branch } : {}),
      ...(pipeline.tag !== undefined ? { tag: pipeline.tag } : {}),
    },
  };
}

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string | null): number {
  if (token === null || token === '') return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw new ApiError(400, 'Invalid page-token.');
  return Number(match[1]);
}
