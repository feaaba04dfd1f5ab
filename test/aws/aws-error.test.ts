/**
 * The AWS error translation against what endpoints really do when they are wrong: one that accepts
 * connections and never answers, one that answers a web page (with 200 and with 502), one that refuses
 * connections, and the sandbox's EC2 answering a real AWS error. Short deadlines, production defaults checked.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallError, preview, translateAwsError } from '../../src/aws/aws-error.js';
import { AWS_DEFAULT_DEADLINES, createAwsClients, endpointOf } from '../../src/aws/ec2-client.js';
import { ExitCode, InputError } from '../../src/errors.js';
import { Redactor } from '../../src/log/redact.js';
import { type Sandbox, startSandbox } from './aws-sandbox.js';

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let aws: Sandbox;
let blackHole: string;
let proxyPage: string;
let badGateway: string;
beforeAll(async () => {
  aws = await startSandbox();
  // Accepts the connection, reads the request, never answers.
  blackHole = await serve(() => undefined);
  proxyPage = await serve((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(
      '<!doctype html><html><body>Sign in to the proxy. session=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5</body></html>',
    );
  });
  badGateway = await serve((_request, response) => {
    response.writeHead(502, { 'content-type': 'text/html' });
    response.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
  });
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await aws.close();
});

const shortDeadlines = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  HEPHESTUS_AWS_TIMEOUT_SECONDS: '0.3',
  HEPHESTUS_AWS_MAX_ATTEMPTS: '2',
};

async function failure(send: () => Promise<unknown>): Promise<AwsCallError> {
  const error = await send().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AwsCallError);
  return error as AwsCallError;
}

describe('AWS clients: deadlines', () => {
  it('defaults are production-sized and settable from the environment', async () => {
    expect(AWS_DEFAULT_DEADLINES).toEqual({
      connectTimeoutMs: 5_000,
      requestTimeoutMs: 20_000,
      maxAttempts: 3,
    });
    const { ec2 } = createAwsClients({ region: 'us-east-1', env: {} });
    expect(await ec2.config.maxAttempts()).toBe(3);
    expect(() =>
      createAwsClients({ region: 'us-east-1', env: { HEPHESTUS_AWS_TIMEOUT_SECONDS: 'soon' } }),
    ).toThrow(InputError);
    expect(() =>
      createAwsClients({ region: 'us-east-1', env: { HEPHESTUS_AWS_CONNECT_TIMEOUT_SECONDS: '0' } }),
    ).toThrow(/HEPHESTUS_AWS_CONNECT_TIMEOUT_SECONDS|above 0/);
  });

  it('a black-hole EC2 endpoint: the call ends, naming service, operation, endpoint, its variable and the deadline', async () => {
    const { ec2 } = createAwsClients({
      region: 'us-east-1',
      env: { ...shortDeadlines, AWS_ENDPOINT_URL_EC2: blackHole },
    });
    const error = await failure(() => ec2.send(new DescribeImagesCommand({ Owners: ['self'] })));
    expect(error.exitCode).toBe(ExitCode.failure);
    expect(error.code).toBe('TimeoutError');
    expect(error.message).toContain('EC2: DescribeImages failed: no answer within 0.3 s');
    expect(error.message).toContain('2 attempts');
    expect(error.message).toContain(`endpoint ${blackHole} (set by AWS_ENDPOINT_URL_EC2)`);
    expect(error.message).toContain('HEPHESTUS_AWS_TIMEOUT_SECONDS');
  });

  it('a refused connection names the shared endpoint variable when no service-specific one is set', async () => {
    const { ssm } = createAwsClients({
      region: 'us-east-1',
      env: { ...shortDeadlines, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    const error = await failure(() => ssm.send(new DescribeInstanceInformationCommand({})));
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toMatch(
      /^SSM: DescribeInstanceInformation failed: connection refused, 2 attempts; endpoint http:\/\/127\.0\.0\.1:9 \(set by AWS_ENDPOINT_URL\)\. Hint: nothing serves SSM there/,
    );
  });
});

describe('AWS clients: credentials from STS', () => {
  it('a black-hole STS behind AWS_ROLE_ARN: the call ends naming STS, the role variables and the STS endpoint', async () => {
    const tokenFile = path.join(await mkdtemp(path.join(tmpdir(), 'hephestus-sts-')), 'token');
    await writeFile(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl');
    const env = {
      AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_STS: blackHole,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/hephestus',
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      HEPHESTUS_AWS_TIMEOUT_SECONDS: '0.3',
      HEPHESTUS_AWS_MAX_ATTEMPTS: '1',
    };
    // The SDK's web-identity provider reads these from the process environment.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const { ec2 } = createAwsClients({ region: 'us-east-1', env });
      const error = await failure(() => ec2.send(new DescribeImagesCommand({ Owners: ['self'] })));
      expect(error.awsService).toBe('STS');
      expect(error.message).toContain(
        'STS: DescribeImages could not start: getting credentials from AWS_ROLE_ARN arn:aws:iam::123456789012:role/hephestus with AWS_WEB_IDENTITY_TOKEN_FILE failed: no answer from STS in time',
      );
      expect(error.message).toContain(`STS endpoint ${blackHole} (set by AWS_ENDPOINT_URL_STS)`);
    } finally {
      for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
    }
  });
});

describe('AWS clients: answers that are not AWS', () => {
  it('a proxy page with HTTP 200 is refused, not read as an empty list of images; its start is shown, redacted', async () => {
    const { ec2 } = createAwsClients({
      region: 'us-east-1',
      env: { ...shortDeadlines, AWS_ENDPOINT_URL_EC2: proxyPage },
    });
    const error = await failure(() => ec2.send(new DescribeImagesCommand({ Owners: ['self'] })));
    expect(error.code).toBe('UnreadableAnswer');
    expect(error.message).toContain(
      "EC2: DescribeImages failed: the answer was not EC2's (HTTP 200, text/html)",
    );
    expect(error.message).toContain(
      'it began: "<!doctype html><html><body>Sign in to the proxy. session=[redacted]',
    );
    expect(error.message).not.toContain('Zm9vYmFy');
    expect(error.message).toContain('Hint: a web page answered instead of EC2');
  });

  it('the same page to SSM (JSON) names SSM and its operation', async () => {
    const { ssm } = createAwsClients({
      region: 'us-east-1',
      env: { ...shortDeadlines, AWS_ENDPOINT_URL_SSM: proxyPage },
    });
    const error = await failure(() => ssm.send(new DescribeInstanceInformationCommand({})));
    expect(error.message).toContain(
      "SSM: DescribeInstanceInformation failed: the answer was not SSM's (HTTP 200",
    );
    expect(error.message).toContain(`(set by AWS_ENDPOINT_URL_SSM)`);
  });

  it('a 502 page from a gateway is retried, then shown with its status', async () => {
    const { ec2 } = createAwsClients({
      region: 'us-east-1',
      env: { ...shortDeadlines, AWS_ENDPOINT_URL_EC2: badGateway },
    });
    const error = await failure(() => ec2.send(new DescribeImagesCommand({ Owners: ['self'] })));
    expect(error.status).toBe(502);
    expect(error.message).toContain(
      'the answer was not EC2\'s (HTTP 502, text/html), it began: "<html><head><title>502 Bad Gateway',
    );
    expect(error.message).toContain('(2 attempts)');
  });
});

describe('AWS clients: errors AWS answers', () => {
  it('keeps the AWS code as the name (waiters and callers match on it) and shows status and request id', async () => {
    const ec2 = aws.ec2For('us-east-1');
    const error = await failure(() =>
      ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0000000000000dead'] })),
    );
    expect(error.name).toBe('InvalidAMIID.NotFound');
    expect(error.terminal).toBe(true);
    expect(error.message).toMatch(
      /^EC2: DescribeImages failed: InvalidAMIID\.NotFound: The image id '\[ami-0000000000000dead\]' does not exist \(HTTP 400, request id [\w-]+\); endpoint http:\/\/127\.0\.0\.1:\d+ \(set by AWS_ENDPOINT_URL_EC2\)\. Hint: check the AMI id/,
    );
  });

  it('without an endpoint variable names the regional AWS endpoint and how to override it', () => {
    const error = translateAwsError(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
        $metadata: { httpStatusCode: 403, requestId: 'req-1' },
      }),
      {
        operation: 'RunInstances',
        endpoint: endpointOf('EC2', 'eu-west-1', {}),
        deadlines: AWS_DEFAULT_DEADLINES,
      },
    );
    expect(error.message).toBe(
      "EC2: RunInstances failed: UnauthorizedOperation: You are not authorized to perform this operation. (HTTP 403, request id req-1); endpoint AWS's EC2 endpoint for eu-west-1 (no AWS_ENDPOINT_URL_EC2 or AWS_ENDPOINT_URL set). Hint: the credentials lack permission for this EC2 action; see the IAM policy in docs/setup.md",
    );
    expect(error.terminal).toBe(true);
  });

  it('redacts secrets from what the service said', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const error = translateAwsError(
      Object.assign(new Error(`The request signature we calculated does not match ${secret}`), {
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403 },
      }),
      {
        operation: 'DescribeImages',
        endpoint: endpointOf('EC2', 'us-east-1', {}),
        deadlines: AWS_DEFAULT_DEADLINES,
      },
      new Redactor([secret]),
    );
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('Hint: the credentials were refused');
  });

  it('previews at most a line of an answer', () => {
    expect(preview(undefined)).toBe('(an empty body)');
    expect(preview(`<html>\n${'x'.repeat(500)}`)).toBe('"<html> [redacted]…"');
    expect(preview(`<html>\n${'x '.repeat(500)}`).length).toBeLessThan(200);
  });
});
