import { describe, expect, it } from 'vitest';
import { awsPolling, awsPollingEnv, WINDOWS_AWS_POLLING } from '../../src/packer/aws-polling.js';

describe('awsPolling', () => {
  it('defaults to waits sized for Windows AMIs: at least 40 minutes per wait', () => {
    const polling = awsPolling(undefined, {});
    expect(polling).toEqual({
      delaySeconds: WINDOWS_AWS_POLLING.delay_seconds,
      maxAttempts: WINDOWS_AWS_POLLING.max_attempts,
    });
    expect(polling.delaySeconds * polling.maxAttempts).toBeGreaterThanOrEqual(40 * 60);
  });

  it('takes hephestus.yml first, then the job environment, then the default, per setting', () => {
    const env = { AWS_POLL_DELAY_SECONDS: '5', AWS_MAX_ATTEMPTS: '7' };
    expect(awsPolling({ aws_polling: { delay_seconds: 60 } }, env)).toEqual({
      delaySeconds: 60,
      maxAttempts: 7,
    });
    expect(awsPolling({ aws_polling: { max_attempts: 200 } }, {})).toEqual({
      delaySeconds: 30,
      maxAttempts: 200,
    });
    expect(awsPolling(undefined, env)).toEqual({ delaySeconds: 5, maxAttempts: 7 });
  });

  it('ignores environment values Packer could not use', () => {
    expect(awsPolling(undefined, { AWS_POLL_DELAY_SECONDS: 'soon', AWS_MAX_ATTEMPTS: '0' })).toEqual({
      delaySeconds: 30,
      maxAttempts: 120,
    });
  });

  it('reaches Packer as the variables its amazon builders read', () => {
    expect(awsPollingEnv({ delaySeconds: 30, maxAttempts: 120 })).toEqual({
      AWS_POLL_DELAY_SECONDS: '30',
      AWS_MAX_ATTEMPTS: '120',
    });
  });
});
