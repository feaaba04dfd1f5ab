/**
 * The two settings that let a stand-in (the sandbox) be driven at its own speed: HEPHESTUS_GITHUB_PACING and
 * HEPHESTUS_AWS_POLL_SECONDS. The product never looks at where an endpoint is; only these decide.
 */
import { describe, expect, it } from 'vitest';
import { AWS_WAIT_DELAYS, awsWaitDelaysFromEnv } from '../../src/aws/waits.js';
import { InputError } from '../../src/errors.js';
import { FlowContext } from '../../src/flows/flow-context.js';
import { GitHubClient, githubPacingFromEnv } from '../../src/github/github-client.js';
import { Logger } from '../../src/log/logger.js';

/** The InputError `parse` throws, described as the CLI prints it. */
function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).describe();
  }
  throw new Error('expected an InputError');
}

describe('HEPHESTUS_GITHUB_PACING', () => {
  it('is on unless set to off', () => {
    expect(githubPacingFromEnv({})).toBeUndefined();
    expect(githubPacingFromEnv({ HEPHESTUS_GITHUB_PACING: '' })).toBeUndefined();
    expect(githubPacingFromEnv({ HEPHESTUS_GITHUB_PACING: 'on' })).toBe(true);
    expect(githubPacingFromEnv({ HEPHESTUS_GITHUB_PACING: 'off' })).toBe(false);
  });

  it('refuses anything but on or off, naming the variable', () => {
    expect(refusal(() => githubPacingFromEnv({ HEPHESTUS_GITHUB_PACING: 'false' }))).toMatchInlineSnapshot(
      `"HEPHESTUS_GITHUB_PACING: must be on or off, not "false""`,
    );
    expect(() => GitHubClient.fromEnv({ GITHUB_TOKEN: 'ghs_x', HEPHESTUS_GITHUB_PACING: 'OFF' })).toThrow(
      InputError,
    );
  });
});

describe('HEPHESTUS_AWS_POLL_SECONDS', () => {
  it("is AWS's schedule unless set", () => {
    expect(awsWaitDelaysFromEnv({})).toEqual(AWS_WAIT_DELAYS);
    expect(awsWaitDelaysFromEnv({ HEPHESTUS_AWS_POLL_SECONDS: '' })).toEqual(AWS_WAIT_DELAYS);
  });

  it('reads min,max in seconds, fractions allowed', () => {
    expect(awsWaitDelaysFromEnv({ HEPHESTUS_AWS_POLL_SECONDS: '0.02,0.2' })).toEqual({
      minDelayMs: 20,
      maxDelayMs: 200,
    });
    expect(awsWaitDelaysFromEnv({ HEPHESTUS_AWS_POLL_SECONDS: '5, 60' })).toEqual({
      minDelayMs: 5000,
      maxDelayMs: 60_000,
    });
  });

  it.each(['1', '1,2,3', 'fast,slow', ',2', '0,1', '-1,2', '3,2', '1,601', 'Infinity,Infinity'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(refusal(() => awsWaitDelaysFromEnv({ HEPHESTUS_AWS_POLL_SECONDS: value }))).toBe(
        `HEPHESTUS_AWS_POLL_SECONDS: must be two numbers of seconds, min,max (each above 0 and at most 600, min not above max), not ${JSON.stringify(value)}`,
      );
    },
  );

  it('alone decides a flow’s poll delays: an EC2 on loopback without it is polled as AWS', () => {
    const context = (env: Record<string, string>) =>
      new FlowContext({ options: {}, env, logger: new Logger({ level: 'error' }) });
    const loopback = { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:4566' };
    expect(context(loopback).waitDelays()).toEqual(AWS_WAIT_DELAYS);
    expect(context({ ...loopback, HEPHESTUS_AWS_POLL_SECONDS: '0.02,0.2' }).waitDelays()).toEqual({
      minDelayMs: 20,
      maxDelayMs: 200,
    });
  });
});
