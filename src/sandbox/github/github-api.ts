/**
 * The REST layer every GitHub route module registers on: token authentication, JSON bodies, GitHub's error
 * bodies and rate-limit headers, pagination, and the exchange log the OpenAPI fidelity tests read.
 */
import type { Router, SandboxRequest, SandboxResponse } from '../http.js';
import type { UrlBase } from './github-json.js';

export const DOCS = 'https://docs.github.com/rest';
export const RATE_LIMIT = 5000;
const MAX_PAGE = 100;

/** An answer other than 2xx, thrown from deep inside a handler. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

export const notFound = () =>
  new ApiError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
export const validationFailed = (errors: Record<string, unknown>[], message = 'Validation Failed') =>
  new ApiError(422, { message, errors, documentation_url: `${DOCS}/pulls/pulls`, status: '422' });
/** GitHub's 422 for a ref or sha that names no commit. */
export const noCommit = (ref: string | undefined) =>
  new ApiError(422, { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: '422' });

export interface Context {
  req: SandboxRequest;
  base: UrlBase;
  input: Record<string, unknown>;
  /** The login of the user the request's token belongs to. */
  login: string;
}

export type ApiHandler = (ctx: Context) => Promise<SandboxResponse> | SandboxResponse;

/** Registers one REST route; what every route module's `register` receives. */
export type ApiRoutes = (method: string, pattern: string, handler: ApiHandler) => void;

export interface GitHubExchange {
  method: string;
  path: string;
  status: number;
  requestBody: unknown;
  responseBody: unknown;
}

export interface ApiRoutesOptions {
  /** Token -> login of everyone the sandbox knows. */
  users: ReadonlyMap<string, string>;
  /** Overrides the URL objects point at; by default taken from each request's Host header. */
  baseUrl?: string;
  observe?: (exchange: GitHubExchange) => void;
}

/** The requests counted against the primary rate limit, and when the window resets. */
export interface RateWindow {
  used: number;
  reset: number;
}

export function newRateWindow(): RateWindow {
  return { used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
}

export function rateHeaders(rate: RateWindow, remaining = RATE_LIMIT - rate.used): Record<string, string> {
  return {
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-ratelimit-reset': String(rate.reset),
    'x-ratelimit-used': String(rate.used),
    'x-ratelimit-resource': 'core',
  };
}

/** The `api(method, pattern, handler)` function: wraps each handler in GitHub's auth, errors and headers. */
export function createApiRoutes(router: Router, rate: RateWindow, options: ApiRoutesOptions): ApiRoutes {
  return (method, pattern, handler) => {
    router.on(method, pattern, async (req) => {
      rate.used += 1;
      const input = parseJson(req.body);
      const response = await answer(req, input, handler, options);
      options.observe?.({
        method,
        path: req.url.pathname,
        status: response.status,
        requestBody: input,
        responseBody: response.body,
      });
      return {
        ...response,
        headers: {
          ...rateHeaders(rate),
          'x-github-request-id': requestId(),
          'x-github-api-version-selected': '2022-11-28',
          'x-github-media-type': 'github.v3',
          ...response.headers,
        },
      };
    });
  };
}

async function answer(
  req: SandboxRequest,
  input: unknown,
  handler: ApiHandler,
  options: ApiRoutesOptions,
): Promise<SandboxResponse> {
  const caller = options.users.get(bearerToken(req.headers.authorization) ?? '');
  if (caller === undefined) {
    return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
  }
  const host = options.baseUrl ?? `http://${req.headers.host ?? '127.0.0.1'}`;
  try {
    return await handler({
      req,
      base: { api: host, web: host },
      input: isObject(input) ? input : { _: input },
      login: caller,
    });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.status, body: error.body };
  }
}

function bearerToken(header: string | undefined): string | undefined {
  return /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '')?.[1];
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Now, to the second, as GitHub writes times. */
export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let requests = 0;
export function requestId(): string {
  requests += 1;
  return `C0DE:5A4D:${requests.toString(16).toUpperCase()}:SANDBOX`;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** One page of `items` with GitHub's RFC 5988 `link` header (`per_page` default 30, at most 100). */
export function paginate<T>(
  req: SandboxRequest,
  base: UrlBase,
  items: T[],
  render: (item: T) => unknown,
): SandboxResponse {
  const perPage = Math.min(MAX_PAGE, Math.max(1, Number(req.url.searchParams.get('per_page')) || 30));
  const page = Math.max(1, Number(req.url.searchParams.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const url = new URL(req.url.pathname + req.url.search, base.api);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return {
    status: 200,
    headers: links.length > 0 ? { link: links.join(', ') } : {},
    body: items.slice((page - 1) * perPage, page * perPage).map(render),
  };
}
