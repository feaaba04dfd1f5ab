/**
 * CircleCI's limits on pipeline parameters, checked before a request goes out so the user learns which
 * parameter is wrong instead of reading a 400 from the API. The API v2 reference gives them as
 * "100 max entries, 128 maximum key length, 512 maximum value length".
 */
import { InputError } from '../errors.js';
import type { PipelineParameterValue } from './schema.js';

export const PARAMETER_LIMITS = { entries: 100, keyLength: 128, valueLength: 512 } as const;

/** Throws an InputError naming the first parameter that breaks a limit; `setting` names where they came from. */
export function checkPipelineParameters(
  parameters: Record<string, PipelineParameterValue>,
  setting = 'parameters',
): void {
  const entries = Object.entries(parameters);
  if (entries.length > PARAMETER_LIMITS.entries) {
    throw new InputError(
      `${entries.length} pipeline parameters given; CircleCI accepts at most ${PARAMETER_LIMITS.entries}`,
      { setting },
    );
  }
  for (const [key, value] of entries) {
    if (key.length === 0) throw new InputError('a pipeline parameter has an empty name', { setting });
    if (key.length > PARAMETER_LIMITS.keyLength) {
      throw new InputError(
        `pipeline parameter name ${JSON.stringify(shorten(key))} is ${key.length} characters long; CircleCI accepts at most ${PARAMETER_LIMITS.keyLength}`,
        { setting: `${setting}.${shorten(key)}` },
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InputError(`pipeline parameter ${JSON.stringify(key)} must be a string, number or boolean`, {
        setting: `${setting}.${key}`,
      });
    }
    const length = String(value).length;
    if (length > PARAMETER_LIMITS.valueLength) {
      throw new InputError(
        `pipeline parameter ${JSON.stringify(key)} has a value of ${length} characters; CircleCI accepts at most ${PARAMETER_LIMITS.valueLength}`,
        { setting: `${setting}.${key}` },
      );
    }
  }
}

function shorten(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}
