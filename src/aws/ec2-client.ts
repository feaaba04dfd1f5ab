/**
 * EC2 and SSM clients built from the environment: the region, an endpoint override (the sandbox, or a
 * VPC endpoint), bounded retries in adaptive mode (it slows down on throttling instead of hammering
 * a rate-limited API), deadlines that abort, and errors that say what failed where (aws-error.ts).
 *
 * Deadlines: the SDK's default is none, and its HTTP handler's `requestTimeout` only logs a warning unless
 * `throwOnRequestTimeout` is set, so a black-hole endpoint hung a run for as long as CircleCI let it. Each
 * attempt now has a connect deadline, a deadline for the answer's headers and one for a silent socket; the
 * SDK retries timeouts, 5xx and throttling (never 4xx), so one call ends after at most
 * `maxAttempts × requestTimeout` plus backoff: about a minute with the defaults. STS calls made by the
 * credential chain (web identity, assumed roles) inherit the same handler.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromTokenFile } from '@aws-sdk/credential-provider-web-identity';
import { readEndpoints } from '../config/secrets.js';
import { InputError } from '../errors.js';
import type { Redactor } from '../log/redact.js';
import { type AwsDeadlines, type AwsEndpoint, awsErrorTranslation } from './aws-error.js';

type Env = Record<string, string | undefined>;

export interface AwsClientOptions {
  region: string;
  env?: Env;
  /** Total attempts per call, the first included (default 3, or HEPHESTUS_AWS_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Per-attempt deadline for an answer, in milliseconds (default 20 s, or HEPHESTUS_AWS_TIMEOUT_SECONDS). */
  requestTimeoutMs?: number;
  /** Per-attempt deadline for the TCP/TLS connection (default 5 s, or HEPHESTUS_AWS_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutMs?: number;
  /** Hides secrets in translated errors (the answer's first bytes may echo them). */
  redactor?: Redactor;
}

/** The EC2, SSM and Inspector clients of one region. */
export interface AwsClients {
  region: string;
  ec2: EC2Client;
  ssm: SSMClient;
  /** Amazon Inspector, read only when `validation.inspector` is enabled. */
  inspector2: Inspector2Client;
}

/** Production-sized: long enough for a slow DescribeImages page, short enough that a dead endpoint ends the run. */
export const AWS_DEFAULT_DEADLINES: AwsDeadlines = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 20_000,
  maxAttempts: 3,
};

/**
 * Builds both clients for `region`; credentials from AWS_ACCESS_KEY_ID/… in `env`, else a web identity role
 * (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as the orb's aws_oidc command sets them), else the SDK's default chain.
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const env = options.env ?? process.env;
  const endpoints = readEndpoints(env);
  const deadlines = deadlinesFrom(options, env);
  const common = {
    region: options.region,
    maxAttempts: deadlines.maxAttempts,
    retryMode: 'adaptive',
    credentials: credentialsFrom(env),
    requestHandler: {
      connectionTimeout: deadlines.connectTimeoutMs,
      requestTimeout: deadlines.requestTimeoutMs,
      // Headers came, then silence: the same deadline for the body.
      socketTimeout: deadlines.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
  const ec2 = new EC2Client({ ...common, endpoint: endpoints.ec2 });
  const ssm = new SSMClient({ ...common, endpoint: endpoints.ssm });
  const inspector2 = new Inspector2Client({ ...common, endpoint: endpoints.inspector2 });
  ec2.middlewareStack.use(
    awsErrorTranslation(endpointOf('EC2', options.region, env), deadlines, options.redactor),
  );
  ssm.middlewareStack.use(
    awsErrorTranslation(endpointOf('SSM', options.region, env), deadlines, options.redactor),
  );
  inspector2.middlewareStack.use(
    awsErrorTranslation(endpointOf('Inspector2', options.region, env), deadlines, options.redactor),
  );
  return { region: options.region, ec2, ssm, inspector2 };
}

/** Clients per region, built once each: flows touch several regions and reuse their connections. */
export function awsClientsPerRegion(
  options: Omit<AwsClientOptions, 'region'>,
): (region: string) => AwsClients {
  const cache = new Map<string, AwsClients>();
  return (region) => {
    let clients = cache.get(region);
    if (!clients) {
      clients = createAwsClients({ ...options, region });
      cache.set(region, clients);
    }
    return clients;
  };
}

/** Which URL a service's calls go to and which variable chose it (the same precedence as readEndpoints). */
export function endpointOf(service: 'EC2' | 'SSM' | 'Inspector2', region: string, env: Env): AwsEndpoint {
  const protocol = service === 'EC2' ? 'xml' : 'json';
  const credentials = credentialsSource(env, region);
  const common = { service, region, protocol, ...(credentials ? { credentials } : {}) } as const;
  for (const variable of [`AWS_ENDPOINT_URL_${service.toUpperCase()}`, 'AWS_ENDPOINT_URL']) {
    const url = env[variable];
    if (url !== undefined && url !== '') return { ...common, url, variable };
  }
  return common;
}

/** Where the SDK's default chain will get credentials, when they are not static keys in `env`. */
function credentialsSource(env: Env, region: string): AwsEndpoint['credentials'] {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return undefined;
  const source = env.AWS_ROLE_ARN
    ? `AWS_ROLE_ARN ${env.AWS_ROLE_ARN} with AWS_WEB_IDENTITY_TOKEN_FILE`
    : env.AWS_PROFILE
      ? `AWS_PROFILE ${env.AWS_PROFILE}`
      : 'the default credential chain';
  const stsVariable = ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL'].find((name) => env[name]);
  const sts = stsVariable
    ? `${env[stsVariable]} (set by ${stsVariable})`
    : `AWS's STS endpoint for ${region}`;
  return { source, sts };
}

function deadlinesFrom(options: AwsClientOptions, env: Env): AwsDeadlines {
  return {
    maxAttempts:
      options.maxAttempts ??
      integerSetting(env, 'HEPHESTUS_AWS_MAX_ATTEMPTS', 1, 20) ??
      AWS_DEFAULT_DEADLINES.maxAttempts,
    requestTimeoutMs:
      options.requestTimeoutMs ??
      secondsSetting(env, 'HEPHESTUS_AWS_TIMEOUT_SECONDS', 600) ??
      AWS_DEFAULT_DEADLINES.requestTimeoutMs,
    connectTimeoutMs:
      options.connectTimeoutMs ??
      secondsSetting(env, 'HEPHESTUS_AWS_CONNECT_TIMEOUT_SECONDS', 120) ??
      AWS_DEFAULT_DEADLINES.connectTimeoutMs,
  };
}

function integerSetting(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`, {
      setting: name,
    });
  }
  return value;
}

/** Seconds, fractions allowed (tests use short deadlines), returned in milliseconds. */
function secondsSetting(env: Env, name: string, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new InputError(
      `must be a number of seconds above 0 and at most ${max}, not ${JSON.stringify(raw)}`,
      {
        setting: name,
      },
    );
  }
  return Math.round(value * 1000);
}

function credentialsFrom(env: Env) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  }
  const roleArn = env.AWS_ROLE_ARN;
  const webIdentityTokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (!roleArn || !webIdentityTokenFile) return undefined;
  // The SDK's default chain reads the same variables, but from process.env only and always for one hour; this
  // honours `env` and the session length the orb was given. The provider re-reads the token file on refresh.
  return fromTokenFile({
    roleArn,
    webIdentityTokenFile,
    roleSessionName: env.AWS_ROLE_SESSION_NAME || undefined,
    durationSeconds: sessionDurationFrom(env),
  });
}

function sessionDurationFrom(env: Env): number | undefined {
  const raw = env.HEPHESTUS_AWS_SESSION_DURATION;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 900 || value > 43_200) {
    throw new InputError(`must be a number of seconds from 900 to 43200, not ${JSON.stringify(raw)}`, {
      setting: 'HEPHESTUS_AWS_SESSION_DURATION',
    });
  }
  return value;
}
