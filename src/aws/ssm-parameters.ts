/**
 * SSM Parameter Store, the two things Hephestus does with it: read parameters (AWS's public
 * `/aws/service/...` ones, ours) and write an AMI id as an `aws:ec2:image` parameter.
 */
import { GetParametersCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { ExternalServiceError } from '../errors.js';

/** GetParameters takes at most ten names per call. */
export const GET_PARAMETERS_LIMIT = 10;

export interface ParameterValues {
  /** Name to value, for each parameter that exists. */
  values: Map<string, string>;
  /** The names SSM does not know (in this region). */
  missing: string[];
}

const GetParametersAnswer = z.object({
  Parameters: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
  InvalidParameters: z.array(z.string()).default([]),
});

/** Reads `names` (deduplicated) with as few GetParameters calls as the limit allows. */
export async function readParameters(ssm: SSMClient, names: string[]): Promise<ParameterValues> {
  const unique = [...new Set(names)];
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (let i = 0; i < unique.length; i += GET_PARAMETERS_LIMIT) {
    const answer = GetParametersAnswer.safeParse(
      await ssm.send(new GetParametersCommand({ Names: unique.slice(i, i + GET_PARAMETERS_LIMIT) })),
    );
    if (!answer.success) {
      throw new ExternalServiceError(
        'ssm',
        `unexpected GetParameters answer: ${z.prettifyError(answer.error)}`,
      );
    }
    for (const parameter of answer.data.Parameters) values.set(parameter.Name, parameter.Value);
    missing.push(...answer.data.InvalidParameters);
  }
  return { values, missing };
}

export type PublishOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Points the parameter `name` at `imageId` (data type `aws:ec2:image`, so `resolve:ssm:` works in launch
 * templates); a parameter already holding it is left alone, so a re-run adds no version.
 */
export async function publishImageParameter(
  ssm: SSMClient,
  name: string,
  imageId: string,
): Promise<PublishOutcome> {
  const current = (await readParameters(ssm, [name])).values.get(name);
  if (current === imageId) return 'unchanged';
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: imageId,
      Type: 'String',
      DataType: 'aws:ec2:image',
      Overwrite: true,
      Description: 'Published by Hephestus when a channel moves',
    }),
  );
  return current === undefined ? 'created' : 'updated';
}
