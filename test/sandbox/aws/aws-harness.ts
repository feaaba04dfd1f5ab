/** Starts the sandbox's EC2 and SSM on loopback and builds real AWS SDK v3 clients pointed at them. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { createEc2Service, type Ec2ServiceOptions } from '../../../src/sandbox/aws/ec2.js';
import { createSsmService, type SsmServiceOptions } from '../../../src/sandbox/aws/ssm.js';
import { listen } from '../../../src/sandbox/http.js';

/** Waiter settings for a sandbox whose clock runs a thousand times faster than AWS. */
export const fastWaiter = { minDelay: 0.02, maxDelay: 0.1, maxWaitTime: 5 } as const;

export async function startAws(options: Ec2ServiceOptions = {}, ssmOptions: SsmServiceOptions = {}) {
  const logs: string[] = [];
  const ec2 = createEc2Service({ scale: 0.001, log: (line) => logs.push(line), ...options });
  const ssm = createSsmService({ log: (line) => logs.push(line), ...ssmOptions }, ec2);
  const ec2Server = await listen(ec2.router.listener);
  const ssmServer = await listen(ssm.router.listener);
  const clientConfig = (region: string, maxAttempts: number) => ({
    region,
    credentials: SANDBOX_AWS_CREDENTIALS,
    maxAttempts,
    retryMode: 'standard',
  });
  return {
    ec2,
    ssm,
    logs,
    ec2Url: ec2Server.url,
    ssmUrl: ssmServer.url,
    ec2Client: (region = 'us-east-1', maxAttempts = 1) =>
      new EC2Client({ ...clientConfig(region, maxAttempts), endpoint: ec2Server.url }),
    ssmClient: (region = 'us-east-1', maxAttempts = 1) =>
      new SSMClient({ ...clientConfig(region, maxAttempts), endpoint: ssmServer.url }),
    close: async () => {
      await ec2Server.close();
      await ssmServer.close();
    },
  };
}

export type AwsSandbox = Awaited<ReturnType<typeof startAws>>;
