/**
 * A failed validation's instance kept to debug, through the real EC2 and SSM clients against the sandbox: kept
 * (tagged with its expiry) on failure only, swept only once the expiry passed, ended by the image's next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { terminateEarlierKeptInstances } from '../../src/aws/kept-instances.js';
import { sweep } from '../../src/aws/sweep.js';
import { ValidationError, type ValidationRequest, validateAmi } from '../../src/aws/validate-ami.js';
import { type Sandbox, startSandbox, testDelays } from './aws-sandbox.js';

const region = 'us-east-2';
const MINUTE = 60_000;
let aws: Sandbox;

beforeAll(async () => {
  aws = await startSandbox({}, { run: powershell });
});
afterAll(() => aws.close());

/** `exit N` fails the smoke test; anything else passes. */
function powershell(commands: string[]) {
  const exit = commands.map((line) => /^exit (\d+)$/.exec(line)).find(Boolean);
  return exit
    ? { exitCode: Number(exit[1]), stdout: '', stderr: `exit ${exit[1]}\n` }
    : { exitCode: 0, stdout: 'ok\n', stderr: '' };
}

function request(script: string, run: string, overrides: Partial<ValidationRequest> = {}): ValidationRequest {
  const imageId = aws.addImage(region, {
    name: `win2022-${Math.random().toString(36).slice(2)}`,
    tags: { [TAG.status]: 'built', [TAG.image]: 'win2022' },
  }).imageId;
  return {
    region,
    imageId,
    instanceType: 't3.large',
    instanceProfile: 'hephestus-validation',
    timeoutMs: 15_000,
    smokeTests: [{ name: 'features.ps1', script }],
    tags: [
      { Key: TAG.run, Value: run },
      { Key: TAG.image, Value: 'win2022' },
    ],
    keepOnFailureMinutes: 30,
    ...overrides,
  };
}

const deps = () => ({
  ...aws.clients(region),
  delays: testDelays,
  signals: false as const,
  now: () => aws.ec2.clock.now(),
});

function instance(instanceId: string | undefined) {
  const found = aws.ec2.state.instances.get(instanceId ?? '');
  if (!found) throw new Error(`no instance ${instanceId}`);
  return found;
}

const gone = (instanceId: string | undefined) =>
  ['shutting-down', 'terminated'].includes(instance(instanceId).state);

async function failedValidation(req: ValidationRequest): Promise<ValidationError> {
  const error = await validateAmi(req, deps()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('a failed validation instance kept to debug', () => {
  it('stays running on failure, tagged with its expiry beside hephestus:validates', async () => {
    const before = aws.ec2.clock.now();
    const req = request('exit 1', 'run-1');
    const { result } = await failedValidation(req);
    expect(result.terminated).toBe(false);
    const keptUntil = Date.parse(result.keptUntil ?? '');
    expect(keptUntil - before).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(keptUntil - aws.ec2.clock.now()).toBeLessThanOrEqual(30 * MINUTE);
    expect(gone(result.instanceId)).toBe(false);
    expect(instance(result.instanceId).tags).toMatchObject({
      [TAG.validates]: req.imageId,
      [TAG.keepUntil]: result.keptUntil,
      [TAG.run]: 'run-1',
    });
  });

  it('is never kept on success', async () => {
    const result = await validateAmi(request("Write-Output 'fine'", 'run-ok'), deps());
    expect(result.passed).toBe(true);
    expect(result.keptUntil).toBeUndefined();
    expect(gone(result.instanceId)).toBe(true);
    expect(instance(result.instanceId).tags[TAG.keepUntil]).toBeUndefined();
  });

  it('is not kept when keeping is off (0 minutes)', async () => {
    const { result } = await failedValidation(request('exit 2', 'run-off', { keepOnFailureMinutes: 0 }));
    expect(result.keptUntil).toBeUndefined();
    expect(gone(result.instanceId)).toBe(true);
  });

  it('is swept only once its expiry has passed, however old it is', async () => {
    const { result } = await failedValidation(request('exit 1', 'run-sweep', { timeoutMs: 10_000 }));
    const now = () => aws.ec2.clock.now();
    const sweepNow = () =>
      sweep(aws.ec2For, { regions: [region], graceMinutes: 0, dryRun: false, now }).then((found) =>
        found.find((i) => i.instanceId === result.instanceId),
      );
    // Past its run's timeout (1 minute) and grace: an ordinary validation instance would go now.
    aws.ec2.clock.advance(20 * MINUTE);
    expect(await sweepNow()).toMatchObject({ action: 'keep', keptUntil: result.keptUntil });
    expect(gone(result.instanceId)).toBe(false);
    aws.ec2.clock.advance(10 * MINUTE + 1000);
    expect(await sweepNow()).toMatchObject({ action: 'terminate', keptUntil: result.keptUntil });
    expect(gone(result.instanceId)).toBe(true);
  });

  it("is terminated by the image's next run, which leaves its own kept instance alone", async () => {
    const earlier = (await failedValidation(request('exit 1', 'run-a'))).result;
    const own = (await failedValidation(request('exit 1', 'run-b'))).result;
    const ended = await terminateEarlierKeptInstances(aws.ec2For(region), 'win2022', 'run-b');
    expect(ended).toContain(earlier.instanceId);
    expect(ended).not.toContain(own.instanceId);
    expect(gone(earlier.instanceId)).toBe(true);
    expect(gone(own.instanceId)).toBe(false);
    expect(await terminateEarlierKeptInstances(aws.ec2For(region), 'win2025', 'run-c')).toEqual([]);
    expect(gone(own.instanceId)).toBe(false);
  });
});
