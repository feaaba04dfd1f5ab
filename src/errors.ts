/**
 * Who is at fault decides the exit code: bad input or configuration exits 2,
 * a real failure found by the job (a build error, a validation failure, a service that kept failing) exits 1.
 */

export const ExitCode = { ok: 0, failure: 1, badInput: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in a file or configuration a problem is. Every field is optional; the message uses what is known. */
export interface Location {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** A setting name, a path inside a document, or a command-line option. */
  setting?: string;
}

export abstract class HephestusError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly location: Location;

  constructor(message: string, location: Location = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.location = location;
  }

  /** The message prefixed with `file:line:column` and the setting, as compilers print it. */
  describe(): string {
    return `${formatLocation(this.location)}${this.message}`;
  }
}

/** Bad input or configuration: the user must change something. Exit 2. */
export class InputError extends HephestusError {
  readonly exitCode = ExitCode.badInput;
}

/** The job found a real failure (a build failed, an image did not validate). Exit 1. */
export class FailureError extends HephestusError {
  readonly exitCode = ExitCode.failure;
}

/** An outside service kept failing after retries (5xx, 429, timeouts). Exit 1. */
export class ExternalServiceError extends HephestusError {
  readonly exitCode = ExitCode.failure;
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`${service}: ${message}`, {}, options);
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

export function formatLocation(location: Location): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    let where = location.file;
    if (location.line !== undefined) {
      where += `:${location.line}`;
      if (location.column !== undefined) where += `:${location.column}`;
    }
    parts.push(where);
  }
  if (location.setting !== undefined) parts.push(location.setting);
  return parts.length > 0 ? `${parts.join(': ')}: ` : '';
}

/** 1-based line and column of a character offset, counting `\n` as the line break (so CRLF counts once). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Network failures that mean no answer came at all: worth naming, never worth showing as a stack. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * Why a call got no answer, from anywhere in its `cause` chain (fetch nests the socket's error two deep):
 * `timeout` for a deadline that fired, else the system's code (`ECONNREFUSED`, `ENOTFOUND`), else undefined.
 */
export function networkFailure(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let current = error; current && typeof current === 'object' && !seen.has(current); ) {
    seen.add(current);
    const { name, code, cause } = current as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
      return 'timeout';
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = cause;
  }
  return undefined;
}

/** `https://api.github.com (GITHUB_API_URL)`: the endpoint of a service and the variable that chose it. */
export function describeServiceEndpoint(
  url: string,
  variable: string,
  env: Record<string, string | undefined>,
): string {
  return env[variable] ? `${url} (set by ${variable})` : `${url} (the default; ${variable} overrides it)`;
}

/**
 * A per-request deadline from `HEPHESTUS_HTTP_TIMEOUT_SECONDS` (GitHub, Slack and CircleCI), in milliseconds;
 * undefined when unset, so each client keeps its own default.
 */
export function httpTimeoutFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env.HEPHESTUS_HTTP_TIMEOUT_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new InputError(`must be a number of seconds above 0 and at most 600, not ${JSON.stringify(raw)}`, {
      setting: 'HEPHESTUS_HTTP_TIMEOUT_SECONDS',
    });
  }
  return Math.round(seconds * 1000);
}
