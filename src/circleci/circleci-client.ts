/**
 * The calls Hephestus makes to CircleCI's API v2: trigger a pipeline in another project (the classic form and
 * the GitHub-App `pipeline/run` form), continue a setup pipeline with generated configuration, read a pipeline.
 *
 * Plain `fetch`: CircleCI publishes no API client for Node, and four endpoints do not justify a generated one.
 * Retries are bounded: HTTP 429 waits for `Retry-After` (up to a cap), 502/503/504 and dropped connections back
 * off exponentially. A 500 is retried for reads only: a POST that failed that way may have started a pipeline.
 */

import { readEndpoints, readSecrets } from '../config/secrets.js';
import {
  describeServiceEndpoint,
  ExternalServiceError,
  type HephestusError,
  httpTimeoutFromEnv,
  InputError,
  networkFailure,
} from '../errors.js';
import { Redactor } from '../log/redact.js';
import { checkPipelineParameters } from './pipeline-parameters.js';
import {
  ErrorBodySchema,
  MessageSchema,
  type Pipeline,
  type PipelineCreation,
  PipelineCreationSchema,
  type PipelineParameterValue,
  PipelineSchema,
} from './schema.js';

export interface CircleCIClientOptions {
  token: string;
  /** Where the token came from (`CIRCLE_TOKEN`), named in errors instead of the token. */
  tokenSource?: string;
  /** `https://circleci.com` unless CIRCLECI_HOST says otherwise. */
  host?: string;
  /** Per request. Default 20 s, or HEPHESTUS_HTTP_TIMEOUT_SECONDS. */
  timeoutMs?: number;
  /** How failures name the endpoint (`https://circleci.com (set by CIRCLECI_HOST)`); the host by default. */
  endpoint?: string;
  /** Retries after 429, 502-504 and connection errors. Default 3. */
  retries?: number;
  /** First backoff without `Retry-After`, doubling each time. Default 1 s. */
  backoffMs?: number;
  /** A `Retry-After` longer than this fails at once. Default 60 s. */
  maxRetryAfterSeconds?: number;
  redactor?: Redactor;
  sleep?: (ms: number) => Promise<void>;
}

export type Parameters = Record<string, PipelineParameterValue>;

export interface TriggerPipelineInput {
  /** `gh/owner/name` (or `github/...`, `bb/...`, `circleci/<org-id>/<project-id>`). */
  projectSlug: string;
  branch?: string;
  tag?: string;
  parameters?: Parameters;
}

export interface RunPipelineInput {
  projectSlug: string;
  /** The pipeline definition's id (a UUID), from the project's settings. */
  definitionId: string;
  /** Where the configuration comes from. */
  configBranch?: string;
  /** What `checkout` checks out; the config branch by default. */
  checkoutBranch?: string;
  parameters?: Parameters;
}

export interface ContinuePipelineInput {
  /** `CIRCLE_CONTINUATION_KEY` of the setup job. */
  continuationKey: string;
  /** The generated configuration, YAML. */
  configuration: string;
  parameters?: Parameters;
}

/** Worst case against a black hole: four attempts of 20 s and 7 s of backoff, well inside two minutes. */
const DEFAULTS = { timeoutMs: 20_000, retries: 3, backoffMs: 1000, maxRetryAfterSeconds: 60 };
const SERVICE = 'CircleCI';

export class CircleCIClient {
  private readonly host: string;
  private readonly redactor: Redactor;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly settings: Required<
    Pick<CircleCIClientOptions, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxRetryAfterSeconds'>
  >;

  constructor(private readonly options: CircleCIClientOptions) {
    this.host = (options.host ?? 'https://circleci.com').replace(/\/+$/, '');
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(options.token);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.settings = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      retries: options.retries ?? DEFAULTS.retries,
      backoffMs: options.backoffMs ?? DEFAULTS.backoffMs,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? DEFAULTS.maxRetryAfterSeconds,
    };
  }

  /** A client from CIRCLE_TOKEN (or CCI_PASSWORD) and CIRCLECI_HOST; InputError when no token is set. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    options: Omit<CircleCIClientOptions, 'token' | 'tokenSource' | 'host'> = {},
  ): CircleCIClient {
    const secret = readSecrets(env).circleci;
    if (!secret)
      throw new InputError('no CircleCI token: set CIRCLE_TOKEN (or CCI_PASSWORD)', {
        setting: 'CIRCLE_TOKEN',
      });
    const host = readEndpoints(env).circleciHost;
    return new CircleCIClient({
      timeoutMs: httpTimeoutFromEnv(env),
      ...definedOnly(options),
      token: secret.token,
      tokenSource: secret.source,
      host,
      endpoint: describeServiceEndpoint(host, 'CIRCLECI_HOST', env),
    });
  }

  /** Triggers a pipeline in a project (`POST /api/v2/project/{slug}/pipeline`). */
  async triggerPipeline(input: TriggerPipelineInput): Promise<PipelineCreation> {
    const parameters = input.parameters ?? {};
    checkPipelineParameters(parameters);
    if (input.branch !== undefined && input.tag !== undefined) {
      throw new InputError('give a branch or a tag to trigger, not both', { setting: 'tag' });
    }
    const body = {
      ...(input.branch !== undefined ? { branch: input.branch } : {}),
      ...(input.tag !== undefined ? { tag: input.tag } : {}),
      parameters,
    };
    const answer = await this.request('POST', `project/${slugPath(input.projectSlug)}/pipeline`, body, {
      what: `trigger a pipeline in ${input.projectSlug}`,
    });
    return this.parse(PipelineCreationSchema, answer, 'trigger pipeline');
  }

  /** Triggers a pipeline of a GitHub-App project by definition (`POST /api/v2/project/{slug}/pipeline/run`). */
  async runPipeline(input: RunPipelineInput): Promise<PipelineCreation> {
    const parameters = input.parameters ?? {};
    checkPipelineParameters(parameters);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.definitionId)) {
      throw new InputError(`pipeline definition id ${JSON.stringify(input.definitionId)} is not a UUID`, {
        setting: 'definition_id',
      });
    }
    const checkoutBranch = input.checkoutBranch ?? input.configBranch;
    const body = {
      definition_id: input.definitionId,
      ...(input.configBranch !== undefined ? { config: { branch: input.configBranch } } : {}),
      ...(checkoutBranch !== undefined ? { checkout: { branch: checkoutBranch } } : {}),
      parameters,
    };
    const answer = await this.request('POST', `project/${slugPath(input.projectSlug)}/pipeline/run`, body, {
      what: `run pipeline definition ${input.definitionId} in ${input.projectSlug}`,
    });
    return this.parse(PipelineCreationSchema, answer, 'run pipeline');
  }

  /** Continues a setup pipeline with generated configuration (`POST /api/v2/pipeline/continue`). */
  async continuePipeline(input: ContinuePipelineInput): Promise<void> {
    const parameters = input.parameters ?? {};
    checkPipelineParameters(parameters);
    if (input.continuationKey === '') {
      throw new InputError(
        'no continuation key: this is not a setup workflow (CIRCLE_CONTINUATION_KEY is empty)',
        {
          setting: 'CIRCLE_CONTINUATION_KEY',
        },
      );
    }
    // The continuation key is a credential for this one pipeline: it joins the secrets never printed.
    this.redactor.add(input.continuationKey);
    const body = {
      'continuation-key': input.continuationKey,
      configuration: input.configuration,
      parameters,
    };
    const answer = await this.request('POST', 'pipeline/continue', body, {
      what: 'continue the setup pipeline',
    });
    this.parse(MessageSchema, answer, 'continue pipeline');
  }

  /** Reads a pipeline (`GET /api/v2/pipeline/{id}`). */
  async getPipeline(id: string): Promise<Pipeline> {
    const answer = await this.request('GET', `pipeline/${encodeURIComponent(id)}`, undefined, {
      what: `read pipeline ${id}`,
    });
    return this.parse(PipelineSchema, answer, 'get pipeline');
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    context: { what: string },
  ): Promise<unknown> {
    const url = `${this.host}/api/v2/${path}`;
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.settings.retries;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            'Circle-Token': this.options.token,
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
      } catch (error) {
        if (retriesLeft) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new ExternalServiceError(
          SERVICE,
          `could not ${context.what}: ${this.networkReason(error)}, ${attempt + 1} attempts; endpoint ${this.options.endpoint ?? this.host}`,
        );
      }
      const text = await response.text();
      if (response.ok) return text === '' ? {} : parseJson(text);

      const status = response.status;
      const retryable =
        status === 429 ||
        status === 502 ||
        status === 503 ||
        status === 504 ||
        (status === 500 && method === 'GET');
      if (retryable && retriesLeft) {
        const delay = this.retryDelay(response, attempt);
        if (delay !== undefined) {
          await this.sleep(delay);
          continue;
        }
      }
      throw this.failure(status, text, response, context.what);
    }
  }

  /** Milliseconds to wait before retrying; undefined when `Retry-After` asks for longer than the cap. */
  private retryDelay(response: Response, attempt: number): number | undefined {
    const seconds = retryAfterSeconds(response.headers.get('retry-after'));
    if (seconds === undefined) return this.backoff(attempt);
    return seconds <= this.settings.maxRetryAfterSeconds ? seconds * 1000 : undefined;
  }

  private backoff(attempt: number): number {
    return this.settings.backoffMs * 2 ** attempt;
  }

  private failure(status: number, text: string, response: Response, what: string): HephestusError {
    const said = this.redactor.redact(serviceMessage(text));
    const source = this.options.tokenSource ?? 'the CircleCI token';
    if (status === 401) {
      return new InputError(
        `CircleCI refused the token from ${source} (HTTP 401: ${said}); check that it is a valid personal API token`,
        { setting: this.options.tokenSource ?? 'CIRCLE_TOKEN' },
      );
    }
    if (status === 403) {
      return new InputError(`could not ${what}: the token from ${source} has no access (HTTP 403: ${said})`, {
        setting: this.options.tokenSource ?? 'CIRCLE_TOKEN',
      });
    }
    if (status === 404) return new InputError(`could not ${what}: ${said} (HTTP 404)`);
    if (status === 400 || status === 409 || status === 422)
      return new InputError(`could not ${what}: ${said} (HTTP ${status})`);
    if (status === 429) {
      const after = retryAfterSeconds(response.headers.get('retry-after'));
      const hint = after !== undefined ? `; CircleCI asks to retry after ${after} s` : '';
      return new ExternalServiceError(SERVICE, `could not ${what}: rate limited (HTTP 429)${hint}`, {
        status,
      });
    }
    return new ExternalServiceError(SERVICE, `could not ${what}: HTTP ${status}: ${said}`, { status });
  }

  private networkReason(error: unknown): string {
    const failure = networkFailure(error);
    if (failure === 'timeout') return `no answer within ${this.settings.timeoutMs / 1000} s`;
    if (failure === 'ECONNREFUSED') return 'connection refused';
    if (failure) return `the connection failed (${failure})`;
    const e = error as { message?: string; cause?: { message?: string } };
    return this.redactor.redact(e?.cause?.message ?? e?.message ?? String(error));
  }

  private parse<T>(
    schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
    value: unknown,
    call: string,
  ): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ExternalServiceError(SERVICE, `unexpected answer to ${call}`);
    return parsed.data;
  }
}

/** A project slug as a path: each part encoded, the slashes between them kept (CircleCI routes on them). */
function slugPath(slug: string): string {
  const parts = slug.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 3 || parts.some((p) => p === '')) {
    throw new InputError(`project slug ${JSON.stringify(slug)} is not vcs/org/repo (e.g. gh/acme/images)`, {
      setting: 'project_slug',
    });
  }
  return parts.map(encodeURIComponent).join('/');
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function serviceMessage(text: string): string {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.message;
  } catch {
    // Not JSON (a proxy's HTML page): its first line says enough.
  }
  return text.split('\n')[0]?.slice(0, 200) || 'no message';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
