/**
 * The orb's aws_oidc command end to end: the runner gives the job a CircleCI OIDC token minted by the sandbox's
 * issuer, the command's real script writes it and sets the web identity variables, and the real hephestus bundle
 * then calls EC2 with credentials the AWS SDK obtained from the sandbox's STS (AssumeRoleWithWebIdentity), the
 * job's long-lived keys unset.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CI_ROLE_ARN, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { cliBundle, exists, loadOrb, realHephestus, scratchBases } from './orb-fixture.js';
import { expandJob, runSteps } from './orb-runner.js';

const { orb } = await loadOrb();
const { dir: scratch, freshBase } = await scratchBases('orb-aws-oidc-');

let sandbox: Sandbox;
let bin: string;
beforeAll(async () => {
  expect(await exists(cliBundle)).toBe(true);
  sandbox = await startSandbox({ seed: false, ec2: { scale: 0 } });
  bin = await realHephestus(join(scratch, 'bin'));
});
afterAll(() => sandbox.stop());

const LATEST =
  "hephestus ami latest --owners amazon --filter 'name=Windows_Server-2022-English-Full-Base-*' --region us-east-1 --json";

/** The sandbox's environment as a CircleCI project would have it, with the job's OIDC token. */
const jobEnv = (token: string | undefined) => ({
  ...sandbox.env,
  ...(token === undefined ? {} : { CIRCLE_OIDC_TOKEN_V2: token }),
});

describe('aws_oidc', () => {
  it('assumes the role with the job token for hephestus, with the keys of the environment unset', async () => {
    const base = await freshBase();
    const before = sandbox.sts.sessions.length;
    const result = await runSteps(
      orb,
      [
        { aws_oidc: { role_arn: SANDBOX_CI_ROLE_ARN, session_duration: 1800, region: 'us-east-1' } },
        { run: { name: 'latest', command: LATEST } },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, run by the step
        { run: { name: 'keys', command: 'echo "${AWS_ACCESS_KEY_ID:-none} $AWS_ROLE_SESSION_NAME"' } },
      ],
      { base, path: [bin], env: jobEnv(sandbox.oidc.mint()) },
    );
    expect(result.steps.map((step) => [step.name, step.status])).toEqual([
      ['Set up AWS credentials from the CircleCI OIDC token', 'success'],
      ['latest', 'success'],
      ['keys', 'success'],
    ]);
    expect(result.steps[1]?.output).toMatch(/ami-[0-9a-f]{17}/);
    expect(result.steps[2]?.output).toBe('none hephestus-steps-1\n');
    const sessions = sandbox.sts.sessions.slice(before);
    expect(sessions.map((s) => [s.roleArn, s.sessionName, s.durationSeconds])).toEqual([
      [SANDBOX_CI_ROLE_ARN, 'hephestus-steps-1', 1800],
    ]);
    const tokenFile = join(base, 'home', '.aws', 'circleci-oidc-token');
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['an expired token', () => sandbox.oidc.mint({ now: Date.now() - 7_200_000 }), 'ExpiredTokenException'],
    [
      'a token of another organization',
      () => sandbox.oidc.mint({ claims: { aud: 'another-org' } }),
      'InvalidIdentityToken',
    ],
    [
      'a token whose subject the role does not trust',
      () => sandbox.oidc.mint({ claims: { sub: 'org/another/project/x' } }),
      'AccessDenied',
    ],
  ])('fails the AWS call with %s, which STS refuses', async (_, token, code) => {
    const base = await freshBase();
    const calls = sandbox.sts.calls.length;
    const result = await runSteps(
      orb,
      [{ aws_oidc: { role_arn: SANDBOX_CI_ROLE_ARN } }, { run: { name: 'latest', command: LATEST } }],
      { base, path: [bin], env: jobEnv(token()) },
    );
    expect(result.steps.map((step) => step.status)).toEqual(['success', 'failed']);
    expect(sandbox.sts.calls.slice(calls).map((call) => call.errorCode)).toContain(code);
  });

  it.each([
    ['no token (a job without a context)', {}, undefined, 'CIRCLE_OIDC_TOKEN_V2 is empty'],
    ['a role ARN that is not one', { role_arn: 'hephestus' }, 'token', 'role_arn must be an IAM role ARN'],
    [
      'a $ in the role ARN',
      { role_arn: `${SANDBOX_CI_ROLE_ARN}$X` },
      'token',
      'role_arn takes no environment',
    ],
    ['a session too short', { session_duration: 60 }, 'token', 'session_duration must be 900 to 43200'],
    ['a session name with a space', { role_session_name: 'a b' }, 'token', 'role_session_name must be'],
    ['a region that is not one', { region: 'Europe' }, 'token', 'region must be an AWS region'],
  ])('refuses %s with exit 2, writing nothing', async (_, given, token, message) => {
    const base = await freshBase();
    const result = await runSteps(orb, [{ aws_oidc: { role_arn: SANDBOX_CI_ROLE_ARN, ...given } }], {
      base,
      path: [bin],
      env: jobEnv(token),
    });
    expect(result.steps[0]?.exitCode).toBe(2);
    expect(result.steps[0]?.output).toContain(message);
    expect(await exists(join(base, 'home', '.aws'))).toBe(false);
  });

  it('runs in a job only when role_arn is given', () => {
    const names = (given: Record<string, unknown>) =>
      expandJob(orb, 'check_lock', given).steps.map((step) => step.name);
    expect(names({})).not.toContain('Set up AWS credentials from the CircleCI OIDC token');
    expect(names({ role_arn: SANDBOX_CI_ROLE_ARN })).toContain(
      'Set up AWS credentials from the CircleCI OIDC token',
    );
  });
});
