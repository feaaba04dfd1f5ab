/**
 * Parameter Store on moto and on the sandbox (issue 17): the same calls through the real SSM client
 * against both, their answers compared by shape (members and their types) and error names, so the
 * sandbox's Parameter Store agrees with an implementation nobody here wrote.
 */
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  type Parameter,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSandbox, startAws } from '../sandbox/aws/aws-harness.js';
import { type Moto, motoInstalled, startMoto } from './moto-server.js';

/** Members and the type of each value, recursively: what a client reading the answer relies on. */
function shape(value: unknown): unknown {
  if (value instanceof Date) return 'Date';
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '$metadata')
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, member]) => [key, shape(member)]),
    );
  }
  return typeof value;
}

type Call<T> = (client: SSMClient) => Promise<T>;

/** The call's answer without its request metadata, or its error's name and message. */
async function outcome<T extends object>(client: SSMClient, call: Call<T>) {
  try {
    const { $metadata: _metadata, ...answer } = (await call(client)) as T & { $metadata?: unknown };
    return { ok: answer as Omit<T, '$metadata'> };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: undefined, error: name, message };
  }
}

describe.skipIf(!motoInstalled())('Parameter Store: sandbox and moto agree', () => {
  let moto: Moto;
  let aws: AwsSandbox;
  let motoClient: SSMClient;
  let sandboxClient: SSMClient;

  beforeAll(async () => {
    moto = await startMoto();
    aws = await startAws();
    motoClient = new SSMClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: moto.env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY ?? '',
      },
      maxAttempts: 1,
    });
    sandboxClient = aws.ssmClient('us-east-1');
  });
  afterAll(async () => {
    await aws?.close();
    await moto?.stop();
  });

  /** Runs `call` on both and returns [moto's, the sandbox's] outcome. */
  const both = async <T extends object>(call: Call<T>) =>
    Promise.all([outcome(motoClient, call), outcome(sandboxClient, call)]);

  it('put, refuse without Overwrite, overwrite, get, select a version', async () => {
    const Name = '/parity/win2022/stable';
    const put = await both((client) =>
      client.send(new PutParameterCommand({ Name, Value: 'ami-0aaaaaaaaaaaaaaaa', Type: 'String' })),
    );
    expect(shape(put[1])).toEqual(shape(put[0]));
    expect(put[1]).toEqual(put[0]);

    const again = await both((client) =>
      client.send(new PutParameterCommand({ Name, Value: 'ami-0bbbbbbbbbbbbbbbb', Type: 'String' })),
    );
    expect(again[1]).toEqual(again[0]);
    expect(again[0]).toMatchObject({ error: 'ParameterAlreadyExists' });

    const overwrite = await both((client) =>
      client.send(new PutParameterCommand({ Name, Value: 'ami-0bbbbbbbbbbbbbbbb', Overwrite: true })),
    );
    expect(overwrite[1]).toEqual(overwrite[0]);

    const got = await both((client) => client.send(new GetParameterCommand({ Name })));
    expect(shape(got[1])).toEqual(shape(got[0]));
    const [motoParameter, sandboxParameter] = got.map((answer) => answer.ok?.Parameter);
    const comparable = ({ ARN: _arn, LastModifiedDate: _date, ...rest }: Parameter = {}) => rest;
    expect(comparable(sandboxParameter)).toEqual(comparable(motoParameter));

    const selected = await both((client) => client.send(new GetParameterCommand({ Name: `${Name}:1` })));
    // The API reference returns the selector used; moto 5.2 leaves `Selector` out.
    expect(selected.map((answer) => [answer.ok?.Parameter?.Value, answer.ok?.Parameter?.Selector])).toEqual([
      ['ami-0aaaaaaaaaaaaaaaa', undefined],
      ['ami-0aaaaaaaaaaaaaaaa', ':1'],
    ]);
  });

  it('GetParameters lists unknown names in InvalidParameters; GetParameter refuses them', async () => {
    await both((client) =>
      client.send(new PutParameterCommand({ Name: '/parity/known', Value: 'x', Type: 'String' })),
    );
    const many = await both((client) =>
      client.send(new GetParametersCommand({ Names: ['/parity/known', '/parity/unknown'] })),
    );
    expect(shape(many[1])).toEqual(shape(many[0]));
    expect(many[1].ok?.InvalidParameters).toEqual(many[0].ok?.InvalidParameters);

    const missing = await both((client) => client.send(new GetParameterCommand({ Name: '/parity/unknown' })));
    expect(missing[1]).toEqual(missing[0]);
    expect(missing[0]).toMatchObject({ error: 'ParameterNotFound' });
  });

  it('GetParametersByPath answers the same names, recursive or not', async () => {
    await both((client) =>
      client.send(new PutParameterCommand({ Name: '/parity/deep/one', Value: 'x', Type: 'String' })),
    );
    for (const Recursive of [false, true]) {
      const listed = await both((client) =>
        client.send(new GetParametersByPathCommand({ Path: '/parity', Recursive })),
      );
      const names = listed.map((answer) => (answer.ok?.Parameters ?? []).map((p) => p.Name).sort());
      expect(names[1]).toEqual(names[0]);
    }
  });

  it('reserved names are refused alike', async () => {
    for (const Name of ['/aws/service/parity/thing', 'awsparity', '/ssm/parity']) {
      const refused = await both((client) =>
        client.send(new PutParameterCommand({ Name, Value: 'x', Type: 'String' })),
      );
      expect(refused[1].error).toBe(refused[0].error);
    }
  });

  it('a public AMI parameter has the same members on both; the sandbox keeps AWS’s account-less ARN', async () => {
    const motoPublic = await outcome(motoClient, (client) =>
      client.send(
        new GetParameterCommand({
          Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
        }),
      ),
    );
    const sandboxPublic = await outcome(sandboxClient, (client) =>
      client.send(
        new GetParameterCommand({
          Name: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
        }),
      ),
    );
    expect(shape(sandboxPublic)).toEqual(shape(motoPublic));
    for (const answer of [motoPublic, sandboxPublic]) {
      expect(answer.ok?.Parameter).toMatchObject({ Type: 'String', DataType: 'text' });
    }
    // AWS's recorded parameters (moto ships them) name no account; moto's answer adds its own.
    expect(sandboxPublic.ok?.Parameter?.ARN).toMatch(/^arn:aws:ssm:us-east-1::parameter\/aws\/service\//);
    expect(motoPublic.ok?.Parameter?.ARN).toMatch(/^arn:aws:ssm:us-east-1:801119661308:parameter\/aws\//);
  });
});
