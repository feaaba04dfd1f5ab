/**
 * The one translation of AWS SDK failures (EC2, SSM, and STS behind the credential chain) into an error an
 * operator can act on: service, operation, HTTP status, AWS error code, request id, the endpoint and the
 * variable that chose it, and a hint. It runs as middleware on each client, so every call site gets it.
 *
 * The SDK's own errors say `Unknown`, `socket hang up` or `Unexpected token '<'` and hide the answer in
 * `{error}.$response`; the middleware keeps the first bytes of every answer so a page that is not the
 * service's (a proxy's login page, a wrong port) can be shown, redacted.
 */
import type { Pluggable } from '@smithy/types';
import { ExternalServiceError, NETWORK_CODES } from '../errors.js';
import { Redactor } from '../log/redact.js';

/** Where a client sends its calls, and why there. */
export interface AwsEndpoint {
  /** `EC2`, `SSM`. */
  service: string;
  /** The URL, or undefined for AWS's own regional endpoint. */
  url?: string;
  /** The variable that set `url` (`AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`), or undefined. */
  variable?: string;
  region: string;
  /** What the service answers in: `xml` (EC2's query protocol) or `json` (SSM). */
  protocol: 'xml' | 'json';
  /**
   * Where credentials come from when they are not static keys (`AWS_ROLE_ARN` with a web identity token, a
   * profile), and the STS endpoint; named when getting them fails.
   */
  credentials?: { source: string; sts: string };
}

/** The deadlines a client was built with, named in timeout messages. */
export interface AwsDeadlines {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

/**
 * Error codes after which asking again cannot help: a wait that meets one ends at once. The SDK's waiters
 * retry on any error, so a typo in an AMI id would otherwise cost the whole deadline.
 */
export const TERMINAL_AWS_CODES = new Set([
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Malformed',
  'InvalidAMIID.Unavailable',
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'AccessDeniedException',
  'AccessDenied',
  'OptInRequired',
]);

const CREDENTIAL_CODES = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidIdentityToken',
  'CredentialsProviderError',
]);
const PERMISSION_CODES = new Set(['UnauthorizedOperation', 'AccessDeniedException', 'AccessDenied']);

/** How many bytes of an unreadable answer are shown. */
const BODY_PREVIEW_BYTES = 160;

/** A failed AWS call, translated. `name` stays the AWS error code, so SDK waiters and callers can match on it. */
export class AwsCallError extends ExternalServiceError {
  constructor(
    readonly awsService: string,
    readonly operation: string,
    /** The AWS error code (`InvalidAMIID.NotFound`), or the SDK's name for what went wrong (`TimeoutError`). */
    readonly code: string,
    message: string,
    readonly details: { status?: number; requestId?: string; endpoint: AwsEndpoint },
    options: { cause?: unknown } = {},
  ) {
    super(awsService, message, { cause: options.cause, status: details.status });
    this.name = code;
  }

  /** Asking again cannot help (see {@link TERMINAL_AWS_CODES}). */
  get terminal(): boolean {
    return TERMINAL_AWS_CODES.has(this.code);
  }
}

/** The code of an AWS failure, translated or not: the SDK puts it in `name`. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof AwsCallError) return error.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** `http://127.0.0.1:4566 (AWS_ENDPOINT_URL_EC2)`, or the regional AWS endpoint. */
export function describeEndpoint(endpoint: AwsEndpoint): string {
  if (endpoint.url === undefined) {
    return `AWS's ${endpoint.service} endpoint for ${endpoint.region} (no AWS_ENDPOINT_URL_${endpoint.service.toUpperCase()} or AWS_ENDPOINT_URL set)`;
  }
  return `${endpoint.url} (set by ${endpoint.variable ?? 'the configuration'})`;
}

interface SdkFailure {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $response?: { statusCode?: number; headers?: Record<string, string> };
  cause?: unknown;
}

/** Translates whatever one call threw; `body` is the start of the last answer, when there was one. */
export function translateAwsError(
  error: unknown,
  call: { operation: string; endpoint: AwsEndpoint; deadlines: AwsDeadlines; body?: string },
  redactor: Redactor = new Redactor(),
): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const failure = (error ?? {}) as SdkFailure;
  const { endpoint } = call;
  const status = failure.$metadata?.httpStatusCode ?? failure.$response?.statusCode;
  // EC2 puts its request id in the error document, where the SDK does not look.
  const requestId =
    failure.$metadata?.requestId ??
    /<Request(?:ID|Id)>([\w-]{1,100})<\/Request(?:ID|Id)>/.exec(call.body ?? '')?.[1];
  const network = networkCode(failure);
  const code = network ?? awsCode(failure, status);
  const where = describeEndpoint(endpoint);
  const said = redactor.redact(firstLine(failure.message ?? String(error)));
  const parts: string[] = [];
  if (network) {
    parts.push(networkCause(network, call.deadlines, failure.$metadata?.attempts));
  } else if (isUnreadable(failure, code, call.body)) {
    parts.push(
      `the answer was not ${endpoint.service}'s (HTTP ${status ?? '?'}${contentType(failure)}), it began: ${preview(call.body, redactor)}`,
    );
  } else {
    parts.push(`${code}: ${said}`);
  }
  const unreadable = parts[0]?.startsWith('the answer was not') ?? false;
  const facts = [
    status !== undefined && !network && !unreadable ? `HTTP ${status}` : undefined,
    requestId ? `request id ${requestId}` : undefined,
    !network && failure.$metadata?.attempts && failure.$metadata.attempts > 1
      ? `${failure.$metadata.attempts} attempts`
      : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const hint = hintFor(code, network, endpoint, call.body);
  const message = `${call.operation} failed: ${parts.join('')}${facts.length ? ` (${facts.join(', ')})` : ''}; endpoint ${where}${hint ? `. ${hint}` : ''}`;
  return new AwsCallError(
    endpoint.service,
    call.operation,
    code,
    redactor.redact(message),
    { status, requestId, endpoint },
    { cause: error },
  );
}

/** `TimeoutError`, `ECONNREFUSED`, ...: the call got no answer at all. */
function networkCode(failure: SdkFailure): string | undefined {
  if (failure.$metadata?.httpStatusCode !== undefined) return undefined;
  if (failure.name === 'TimeoutError') return 'TimeoutError';
  const code = failure.code ?? (failure.cause as SdkFailure | undefined)?.code;
  if (code && NETWORK_CODES.has(code)) return code;
  if (/socket hang up/i.test(failure.message ?? '')) return 'ECONNRESET';
  return undefined;
}

function networkCause(code: string, deadlines: AwsDeadlines, made: number | undefined): string {
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const count = made ?? deadlines.maxAttempts;
  const attempts = `${count} attempt${count === 1 ? '' : 's'}`;
  switch (code) {
    case 'TimeoutError':
    case 'ETIMEDOUT':
      return `no answer within ${seconds(deadlines.requestTimeoutMs)} (connect ${seconds(deadlines.connectTimeoutMs)}), ${attempts}`;
    case 'ECONNREFUSED':
      return `connection refused, ${attempts}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${code})`;
    default:
      return `the connection failed (${code}), ${attempts}`;
  }
}

function awsCode(failure: SdkFailure, status: number | undefined): string {
  const name = failure.Code ?? failure.name;
  if (name && name !== 'Error' && name !== 'Unknown' && name !== 'SyntaxError') return name;
  if (name === 'SyntaxError' || failure.message?.includes('Deserialization error')) return 'UnreadableAnswer';
  return status !== undefined ? `HTTP${status}` : 'Unknown';
}

function isUnreadable(failure: SdkFailure, code: string, body: string | undefined): boolean {
  if (code === 'UnreadableAnswer') return true;
  if (body === undefined) return false;
  // EC2's errors are XML and SSM's JSON; an HTML page or an empty answer to an error is someone else's.
  return (
    (failure.name === 'Unknown' || code.startsWith('HTTP')) && !/^\s*[<{]\??(xml|Response|")/i.test(body)
  );
}

function contentType(failure: SdkFailure): string {
  const headers = failure.$response?.headers ?? {};
  const type = Object.entries(headers).find(([key]) => key.toLowerCase() === 'content-type')?.[1];
  return type ? `, ${type}` : '';
}

/** The first bytes of an answer on one line, secrets and long tokens hidden. */
export function preview(body: string | undefined, redactor: Redactor = new Redactor()): string {
  if (body === undefined || body === '') return '(an empty body)';
  const flat = body.slice(0, BODY_PREVIEW_BYTES).replace(/\s+/g, ' ').trim();
  // Whatever the page carries that looks like a credential (a session id, a signed URL) stays out of the log.
  const masked = redactor.redact(flat).replace(/[A-Za-z0-9+/_-]{32,}={0,2}/g, '[redacted]');
  return JSON.stringify(body.length > BODY_PREVIEW_BYTES ? `${masked}…` : masked);
}

function hintFor(
  code: string,
  network: string | undefined,
  endpoint: AwsEndpoint,
  body: string | undefined,
): string | undefined {
  const variable = endpoint.variable ?? `AWS_ENDPOINT_URL_${endpoint.service.toUpperCase()}`;
  if (network === 'TimeoutError' || network === 'ETIMEDOUT')
    return `Hint: the endpoint accepts connections but does not answer; check ${variable}, a proxy or firewall in between, and HEPHESTUS_AWS_TIMEOUT_SECONDS`;
  if (network)
    return `Hint: nothing serves ${endpoint.service} there; check ${variable} and the network (proxy variables HTTPS_PROXY/NO_PROXY)`;
  if (code === 'UnreadableAnswer' || (body !== undefined && /^\s*<(!doctype|html)/i.test(body)))
    return `Hint: a web page answered instead of ${endpoint.service}, often a proxy or a wrong endpoint; check ${variable}`;
  if (CREDENTIAL_CODES.has(code))
    return 'Hint: the credentials were refused; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE, and that they belong to this endpoint';
  if (PERMISSION_CODES.has(code))
    return `Hint: the credentials lack permission for this ${endpoint.service} action; see the IAM policy in docs/setup.md`;
  if (code === 'UnknownOperationException' || code === 'InvalidAction')
    return `Hint: the endpoint does not speak ${endpoint.service}; check ${variable}`;
  if (code.startsWith('InvalidAMIID')) return 'Hint: check the AMI id and the region it lives in';
  if (code.startsWith('InvalidInstanceID'))
    return 'Hint: the instance is gone (terminated, or never launched in this region)';
  return undefined;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/** The part of an SDK command's name that AWS's API reference uses: `DescribeImagesCommand` → `DescribeImages`. */
function operationName(commandName: string | undefined): string {
  return (commandName ?? 'a call').replace(/Command$/, '');
}

/**
 * Middleware for one client: keeps the start of each raw answer (deserialize step, inside the SDK's
 * deserializer) and translates the final error of each call (initialize step, outside the retries).
 */
export function awsErrorTranslation<Input extends object, Output extends object>(
  endpoint: AwsEndpoint,
  deadlines: AwsDeadlines,
  redactor?: Redactor,
): Pluggable<Input, Output> {
  return {
    applyToStack(stack) {
      const bodies = new WeakMap<object, string>();
      // Calls that got as far as being sent: a failure before that was in getting credentials (STS).
      const sent = new WeakSet<object>();
      stack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            if (!sent.has(context) && endpoint.credentials && !(error instanceof AwsCallError)) {
              throw credentialsError(error, operationName(context.commandName), endpoint, redactor);
            }
            throw translateAwsError(
              error,
              {
                operation: operationName(context.commandName),
                endpoint,
                deadlines,
                body: bodies.get(context),
              },
              redactor,
            );
          }
        },
        { step: 'initialize', priority: 'high', name: 'hephestusErrorTranslation' },
      );
      stack.add(
        (next, context) => async (args) => {
          sent.add(context);
          const result = await next(args);
          const response = result.response as { statusCode?: number; body?: unknown };
          const buffered = await bufferBody(response.body);
          if (buffered) {
            response.body = buffered;
            const start = buffered.subarray(0, BODY_PREVIEW_BYTES * 2).toString('utf8');
            bodies.set(context, start);
            // A proxy's page with status 200 parses as an empty XML answer: EC2 would seem to have no images.
            if (isOk(response.statusCode) && !speaks(endpoint.protocol, start)) {
              throw unreadableAnswer(response);
            }
          }
          return result;
        },
        { step: 'deserialize', priority: 'low', name: 'hephestusKeepAnswerStart' },
      );
    },
  };
}

function isOk(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/** Whether the start of an answer is in the service's protocol: EC2 answers XML, SSM and STS's JSON variant JSON. */
function speaks(protocol: AwsEndpoint['protocol'], start: string): boolean {
  const text = start.trimStart();
  if (text === '') return true;
  if (/^<(!doctype|html|head|body)\b/i.test(text)) return false;
  return protocol === 'xml' ? text.startsWith('<') : text.startsWith('{');
}

function unreadableAnswer(response: { statusCode?: number; headers?: unknown }): Error {
  return Object.assign(new Error('the answer is not in the service protocol'), {
    name: 'UnreadableAnswer',
    $metadata: { httpStatusCode: response.statusCode },
    $response: response,
  });
}

/** Getting credentials failed before `operation` could be sent: name STS and the settings that chose it. */
function credentialsError(
  error: unknown,
  operation: string,
  endpoint: AwsEndpoint,
  redactor: Redactor = new Redactor(),
): AwsCallError {
  const failure = (error ?? {}) as SdkFailure;
  const network = networkCode(failure);
  const code = network ?? failure.name ?? 'CredentialsProviderError';
  const cause = network
    ? network === 'TimeoutError'
      ? 'no answer from STS in time'
      : `STS could not be reached (${network})`
    : `${code}: ${firstLine(failure.message ?? String(error))}`;
  const source = endpoint.credentials?.source ?? 'the default credential chain';
  const message = `${operation} could not start: getting credentials from ${source} failed: ${cause}; STS endpoint ${endpoint.credentials?.sts}. Hint: check AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE (or the profile) and AWS_ENDPOINT_URL_STS`;
  return new AwsCallError(
    'STS',
    operation,
    code,
    redactor.redact(message),
    { status: failure.$metadata?.httpStatusCode, endpoint },
    { cause: error },
  );
}

/** Reads a Node stream answer into a Buffer, which the SDK's deserializers accept as a body too. */
async function bufferBody(body: unknown): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
