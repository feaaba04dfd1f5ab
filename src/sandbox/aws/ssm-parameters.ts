/**
 * SSM Parameter Store actions: GetParameter, GetParameters, GetParametersByPath, PutParameter and
 * DeleteParameter, with Parameter Store's name rules, versions, `name:version` selectors and its
 * error codes. Labels, policies, the Advanced tier and KMS are not modelled.
 */
import type { AwsClock } from './aws-clock.js';
import { SsmError } from './ssm-error.js';
import {
  addVersion,
  latestVersion,
  type ParameterDataType,
  type ParameterStore,
  type ParameterType,
  type ParameterVersion,
  parameterKey,
  type SsmParameter,
} from './ssm-parameter-store.js';

type Body = Record<string, unknown>;
type SsmAction = (body: Body, region: string) => unknown;

const PARAMETER_TYPES: ParameterType[] = ['String', 'StringList', 'SecureString'];
const DATA_TYPES: ParameterDataType[] = ['text', 'aws:ec2:image'];
const NAME_RULES =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** SSM's message for a missing required member. */
function required(body: Body, member: string): string {
  const value = body[member];
  if (typeof value !== 'string' || value === '') {
    const field = member.charAt(0).toLowerCase() + member.slice(1);
    throw new SsmError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/** Checks a name PutParameter may create: SSM's characters, a leading `/` for paths, no reserved prefix. */
export function checkNewParameterName(name: string): void {
  const bare = name.replace(/^\//, '').toLowerCase();
  if (name.startsWith('/aws/')) {
    throw new SsmError('AccessDeniedException', `No access to reserved parameter name: ${name}.`);
  }
  if (
    bare.startsWith('aws') ||
    bare.startsWith('ssm') ||
    !/^[a-zA-Z0-9_.\-/]+$/.test(name) ||
    name.length > 1011
  ) {
    throw new SsmError('ValidationException', NAME_RULES);
  }
  if (name.includes('/') && !name.startsWith('/')) {
    throw new SsmError('ValidationException', 'Parameter name must be a fully qualified name.');
  }
  if (name.split('/').length - 1 > 15) {
    throw new SsmError(
      'ValidationException',
      'Parameter name: hierarchy levels must not exceed 15 (excluding the leading slash).',
    );
  }
}

/**
 * A name as GetParameter takes it: plain, or an ARN (whose `parameter/` part gives no hint whether the
 * name itself began with a slash), either with an optional `:version` selector.
 */
function parseReference(reference: string): { names: string[]; selector?: string } {
  const bare = reference.replace(/^arn:aws:ssm:[^:]*:[^:]*:parameter/, '');
  const at = bare.lastIndexOf(':');
  const name = at < 0 ? bare : bare.slice(0, at);
  const selector = at < 0 ? undefined : bare.slice(at + 1);
  return { names: bare === reference ? [name] : [name, name.slice(1)], selector };
}

/** A `Parameter` object as GetParameter answers it. */
function parameterJson(
  parameter: SsmParameter,
  version: ParameterVersion,
  options: { selector?: string; decrypt: boolean },
) {
  const hidden = version.type === 'SecureString' && !options.decrypt;
  return {
    Name: parameter.name,
    Type: version.type,
    // Without decryption SSM returns the KMS ciphertext; the sandbox's stand-in is the value in base64.
    Value: hidden ? Buffer.from(`kms:${version.value}`).toString('base64') : version.value,
    Version: version.version,
    ...(options.selector === undefined ? {} : { Selector: `:${options.selector}` }),
    LastModifiedDate: version.lastModified / 1000,
    ARN: parameter.arn,
    DataType: version.dataType,
  };
}

/** The actions over `store`; parameters the account creates carry `accountId` in their ARN. */
export function parameterActions(
  store: ParameterStore,
  accountId: string,
  clock: AwsClock,
): Record<string, SsmAction> {
  /** The parameter and version a reference names, or SSM's NotFound / VersionNotFound. */
  function find(region: string, reference: string) {
    const { names, selector } = parseReference(reference);
    const parameter = names
      .map((name) => store.get(parameterKey(region, name)))
      .find((found) => found !== undefined);
    const name = parameter?.name ?? names[0];
    if (!parameter) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
    if (selector === undefined) return { parameter, version: latestVersion(parameter) };
    const version = /^\d+$/.test(selector)
      ? parameter.versions.find((candidate) => candidate.version === Number(selector))
      : undefined;
    if (!version) {
      throw new SsmError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`,
      );
    }
    return { parameter, version, selector };
  }

  return {
    GetParameter(body, region) {
      const { parameter, version, selector } = find(region, required(body, 'Name'));
      return {
        Parameter: parameterJson(parameter, version, { selector, decrypt: body.WithDecryption === true }),
      };
    },

    GetParameters(body, region) {
      const names = Array.isArray(body.Names) ? [...new Set(body.Names.map(String))] : [];
      if (names.length < 1 || names.length > 10) {
        throw new SsmError(
          'ValidationException',
          `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1.`,
        );
      }
      const Parameters: unknown[] = [];
      const InvalidParameters: string[] = [];
      for (const reference of names) {
        try {
          const { parameter, version, selector } = find(region, reference);
          Parameters.push(
            parameterJson(parameter, version, { selector, decrypt: body.WithDecryption === true }),
          );
        } catch (error) {
          if (!(error instanceof SsmError)) throw error;
          InvalidParameters.push(reference);
        }
      }
      return { Parameters, InvalidParameters };
    },

    GetParametersByPath(body, region) {
      const path = required(body, 'Path');
      if (!path.startsWith('/')) {
        throw new SsmError(
          'ValidationException',
          'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".',
        );
      }
      if (Array.isArray(body.ParameterFilters) && body.ParameterFilters.length > 0) {
        throw new SsmError(
          'ValidationException',
          'The sandbox does not filter GetParametersByPath (ParameterFilters).',
        );
      }
      const maxResults = typeof body.MaxResults === 'number' ? body.MaxResults : 10;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 10) {
        throw new SsmError(
          'ValidationException',
          `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10`,
        );
      }
      const prefix = path.endsWith('/') ? path : `${path}/`;
      const matching = [...store.values()]
        .filter(
          (parameter) =>
            parameter.region === region &&
            parameter.name.startsWith(prefix) &&
            (body.Recursive === true || !parameter.name.slice(prefix.length).includes('/')),
        )
        .sort((a, b) => a.name.localeCompare(b.name));
      const start =
        typeof body.NextToken === 'string' ? Number(Buffer.from(body.NextToken, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new SsmError('InvalidNextToken', 'The specified token is not valid.');
      const end = start + maxResults;
      return {
        Parameters: matching
          .slice(start, end)
          .map((parameter) =>
            parameterJson(parameter, latestVersion(parameter), { decrypt: body.WithDecryption === true }),
          ),
        NextToken: end < matching.length ? Buffer.from(String(end)).toString('base64url') : undefined,
      };
    },

    PutParameter(body, region) {
      const name = required(body, 'Name');
      const value = required(body, 'Value');
      checkNewParameterName(name);
      const existing = store.get(parameterKey(region, name));
      const overwrite = body.Overwrite === true;
      const tags = Array.isArray(body.Tags) ? (body.Tags as Array<{ Key: string; Value: string }>) : [];
      if (overwrite && tags.length > 0) {
        throw new SsmError(
          'ValidationException',
          "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
        );
      }
      if (existing && !overwrite) {
        throw new SsmError(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }
      const previous = existing ? latestVersion(existing) : undefined;
      const fields = newVersionFields(body, value, previous);
      const added = addVersion(
        store,
        { region, name, accountId },
        { ...fields, lastModified: clock.now() },
        Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value])),
      );
      return { Version: added.version, Tier: 'Standard' };
    },

    DeleteParameter(body, region) {
      const name = required(body, 'Name');
      if (!store.delete(parameterKey(region, name))) {
        throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
      }
      return {};
    },
  };
}

/** Type, data type and description of a new version: given, or kept from `previous` when overwriting. */
function newVersionFields(
  body: Body,
  value: string,
  previous: ParameterVersion | undefined,
): Omit<ParameterVersion, 'version' | 'lastModified'> {
  const type = (body.Type ?? previous?.type) as ParameterType | undefined;
  if (type === undefined) {
    throw new SsmError('ValidationException', 'A parameter type is required when you create a parameter.');
  }
  if (!PARAMETER_TYPES.includes(type)) {
    throw new SsmError(
      'ValidationException',
      `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
    );
  }
  const dataType = (body.DataType ?? previous?.dataType ?? 'text') as ParameterDataType;
  if (!DATA_TYPES.includes(dataType)) {
    throw new SsmError(
      'ValidationException',
      `The following data type is not supported: ${String(dataType)} (Data type names are all lowercase.)`,
    );
  }
  // AWS then checks asynchronously that the AMI exists; the sandbox checks the form only.
  if (dataType === 'aws:ec2:image' && (type !== 'String' || !/^ami-[0-9a-f]{8,17}$/.test(value))) {
    throw new SsmError(
      'ValidationException',
      `Parameter value ${value} is not a valid AMI id: a parameter of data type aws:ec2:image must be a String holding an id such as ami-0123456789abcdef0.`,
    );
  }
  const description = typeof body.Description === 'string' ? body.Description : previous?.description;
  return { type, value, dataType, ...(description === undefined ? {} : { description }) };
}
