/**
 * EC2 and SSM clients built from the environment: the region, an endpoint override (the sandbox, or a
 * VPC endpoint), bounded retries in adaptive mode (it slows down on throttling instead of hammering
 * a rate-limited API), and request timeouts (the SDK's default is none).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromTokenFile } from '@aws-sdk/credential-provider-web-identity';
import { readEndpoints } from '../config/secrets.js';
import { InputError } from '../errors.js';

type Env = Record<string, string | undefined>;

export interface AwsClientOptions {
  region: string;
  env?: Env;
  /** Total attempts per call, the first included (default 5, or HEPHESTUS_AWS_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Per-request timeout in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
}

/** The EC2 and SSM clients of one region. */
export interface AwsClients {
  region: string;
  ec2: EC2Client;
  ssm: SSMClient;
}

/**
 * Builds both clients for `region`; credentials from AWS_ACCESS_KEY_ID/… in `env`, else a web identity role
 * (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as the orb's aws_oidc command sets them), else the SDK's default chain.
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const env = options.env ?? process.env;
  const endpoints = readEndpoints(env);
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? maxAttemptsFrom(env),
    retryMode: 'adaptive',
    credentials: credentialsFrom(env),
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
  };
  return {
    region: options.region,
    ec2: new EC2Client({ ...common, endpoint: endpoints.ec2 }),
    ssm: new SSMClient({ ...common, endpoint: endpoints.ssm }),
  };
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

function maxAttemptsFrom(env: Env): number {
  const raw = env.HEPHESTUS_AWS_MAX_ATTEMPTS;
  if (raw === undefined || raw === '') return 5;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 20) {
    throw new InputError(`must be an integer from 1 to 20, not ${JSON.stringify(raw)}`, {
      setting: 'HEPHESTUS_AWS_MAX_ATTEMPTS',
    });
  }
  return value;
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
