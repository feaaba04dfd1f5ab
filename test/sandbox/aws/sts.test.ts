/**
 * The sandbox's STS as the Query protocol and the STS API reference define AssumeRoleWithWebIdentity: form
 * parameters in, the 2011-06-15 XML out, `ErrorResponse` documents with Sender errors for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CI_ROLE_ARN, type Sandbox, startSandbox } from '../../../src/sandbox/start-sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: false });
});
afterAll(() => sandbox.stop());

async function call(params: Record<string, string>): Promise<{ status: number; body: string }> {
  const response = await fetch(sandbox.urls.sts, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', ...params }),
  });
  return { status: response.status, body: await response.text() };
}

const valid = () => ({
  RoleArn: SANDBOX_CI_ROLE_ARN,
  RoleSessionName: 'build-42',
  WebIdentityToken: sandbox.oidc.mint(),
});

describe('sandbox STS AssumeRoleWithWebIdentity', () => {
  it('answers with the assumed role, temporary credentials and the token subject, and EC2 takes the key', async () => {
    const { status, body } = await call({ ...valid(), DurationSeconds: '900' });
    expect(status).toBe(200);
    expect(body).toContain(
      '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>',
    );
    expect(body).toContain(
      '<Arn>arn:aws:sts::111122223333:assumed-role/hephestus-ci/build-42</Arn><AssumedRoleId>AROA',
    );
    expect(body).toMatch(
      /<SubjectFromWebIdentityToken>org\/[^<]+\/project\/[^<]+<\/SubjectFromWebIdentityToken>/,
    );
    expect(body).toMatch(/<Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expiration>/);
    expect(body).toMatch(/<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata>/);
    const key = /<AccessKeyId>(ASIA[A-Z0-9]{16})<\/AccessKeyId>/.exec(body)?.[1];
    expect(key).toBeDefined();
    expect(sandbox.sts.sessions.at(-1)).toMatchObject({ accessKeyId: key, durationSeconds: 900 });
  });

  it.each([
    [{ RoleSessionName: 'has space' }, 400, 'ValidationError'],
    [{ DurationSeconds: '899' }, 400, 'ValidationError'],
    [{ DurationSeconds: '43200' }, 400, 'ValidationError'],
    [{ WebIdentityToken: '' }, 400, 'MissingParameter'],
    [{ WebIdentityToken: 'not.a.jwt' }, 400, 'InvalidIdentityToken'],
    [{ RoleArn: 'arn:aws:iam::111122223333:role/someone-else' }, 403, 'AccessDenied'],
    [{ RoleArn: 'arn:aws:iam::999999999999:role/hephestus-ci' }, 403, 'AccessDenied'],
    [{ Version: '2010-01-01' }, 400, 'InvalidAction'],
    [{ Action: 'AssumeRole' }, 400, 'InvalidAction'],
  ])('refuses %j with %i %s as an ErrorResponse', async (change, status, code) => {
    const answer = await call({ ...valid(), ...change });
    expect(answer.status).toBe(status);
    expect(answer.body).toMatch(
      new RegExp(
        `^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>[^<]+</Message></Error><RequestId>`,
      ),
    );
  });
});
