/** The sandbox's EC2 and SSM on loopback, with our own clients built from an environment pointing at them. */
import { type AwsClients, createAwsClients } from '../../src/aws/ec2-client.js';
import { SANDBOX_AWS_CREDENTIALS } from '../../src/sandbox/aws/aws-auth.js';
import { createEc2Service, type Ec2ServiceOptions } from '../../src/sandbox/aws/ec2.js';
import { type Ec2Image, newId } from '../../src/sandbox/aws/ec2-state.js';
import { createInspectorService } from '../../src/sandbox/aws/inspector2.js';
import { createSsmService, type SsmServiceOptions } from '../../src/sandbox/aws/ssm.js';
import { listen } from '../../src/sandbox/http.js';

/** Poll delays for a sandbox clock running ten thousand times faster than AWS. */
export const testDelays = { minDelayMs: 5, maxDelayMs: 40 } as const;

export async function startSandbox(options: Ec2ServiceOptions = {}, ssmOptions: SsmServiceOptions = {}) {
  const logs: string[] = [];
  const ec2 = createEc2Service({ scale: 0.0001, log: (line) => logs.push(line), ...options });
  const ssm = createSsmService({ log: (line) => logs.push(line), ...ssmOptions }, ec2);
  const ec2Server = await listen(ec2.router.listener);
  const ssmServer = await listen(ssm.router.listener);
  const inspector2 = createInspectorService({ accessKeyIds: [SANDBOX_AWS_CREDENTIALS.accessKeyId] }, ec2);
  const inspectorServer = await listen(inspector2.router.listener);
  const env = {
    AWS_ENDPOINT_URL_INSPECTOR2: inspectorServer.url,
    AWS_ENDPOINT_URL_EC2: ec2Server.url,
    AWS_ENDPOINT_URL_SSM: ssmServer.url,
    AWS_ACCESS_KEY_ID: SANDBOX_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_AWS_CREDENTIALS.secretAccessKey,
  };
  const cache = new Map<string, AwsClients>();
  const clients = (region: string, maxAttempts = 3): AwsClients => {
    const key = `${region}/${maxAttempts}`;
    let built = cache.get(key);
    if (!built) {
      built = createAwsClients({ region, env, maxAttempts });
      cache.set(key, built);
    }
    return built;
  };
  return {
    ec2,
    ssm,
    inspector2,
    logs,
    env,
    clients,
    ec2For: (region: string) => clients(region).ec2,
    /** Puts an image of our own account straight into the sandbox state, with one snapshot. */
    addImage(region: string, fields: Partial<Ec2Image> & { name: string }): Ec2Image {
      const snapshotId = newId('snap');
      const created = fields.creationDate ?? ec2.clock.now();
      ec2.state.snapshots.set(snapshotId, {
        snapshotId,
        region,
        ownerId: ec2.state.accountId,
        volumeId: 'vol-ffffffff',
        volumeSize: 30,
        state: 'completed',
        startTime: created,
        description: '',
        tags: {},
      });
      const image: Ec2Image = {
        imageId: newId('ami'),
        region,
        state: 'available',
        ownerId: ec2.state.accountId,
        isPublic: false,
        sharedWith: [],
        creationDate: created,
        platform: 'windows',
        platformDetails: 'Windows',
        architecture: 'x86_64',
        rootDeviceName: '/dev/sda1',
        blockDevices: [
          {
            deviceName: '/dev/sda1',
            snapshotId,
            volumeSize: 30,
            volumeType: 'gp3',
            deleteOnTermination: true,
          },
        ],
        tags: {},
        ...fields,
      };
      ec2.state.images.set(image.imageId, image);
      return image;
    },
    close: async () => {
      for (const built of cache.values()) {
        built.ec2.destroy();
        built.ssm.destroy();
        built.inspector2.destroy();
      }
      await ec2Server.close();
      await ssmServer.close();
      await inspectorServer.close();
    },
  };
}

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
