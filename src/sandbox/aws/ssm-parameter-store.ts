/**
 * Parameter Store's data: each parameter per region with its versions, and AWS's public
 * `/aws/service/ami-windows-latest/...` parameters, which point at the newest Windows base AMI that
 * the EC2 sandbox holds in that region, as AWS's do.
 */
import { AMAZON_OWNER_ID, type Ec2State } from './ec2-state.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type ParameterDataType = 'text' | 'aws:ec2:image';

/** One version of a parameter, as PutParameter left it. */
export interface ParameterVersion {
  version: number;
  type: ParameterType;
  value: string;
  dataType: ParameterDataType;
  description?: string;
  lastModified: number;
}

export interface SsmParameter {
  region: string;
  name: string;
  arn: string;
  /** Oldest first; SSM keeps the last 100. */
  versions: ParameterVersion[];
  tags: Record<string, string>;
}

/** Every parameter, keyed by {@link parameterKey}. */
export type ParameterStore = Map<string, SsmParameter>;

/** SSM keeps at most this many versions of a parameter, dropping the oldest. */
export const PARAMETER_VERSION_LIMIT = 100;

/** Where AWS publishes the latest Windows AMIs, one parameter per image family. */
export const WINDOWS_LATEST_PATH = '/aws/service/ami-windows-latest';

/** The Windows families whose latest AMI the sandbox publishes, as AWS names the parameters. */
export const WINDOWS_LATEST_FAMILIES = [
  'Windows_Server-2022-English-Full-Base',
  'Windows_Server-2019-English-Full-Base',
] as const;

/** A parameter's key in the store: names cannot hold spaces, so region and name never run together. */
export function parameterKey(region: string, name: string): string {
  return `${region} ${name}`;
}

/** A parameter's ARN; AWS's public parameters name no account. */
export function parameterArn(region: string, accountId: string | undefined, name: string): string {
  return `arn:aws:ssm:${region}:${accountId ?? ''}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** The newest version of `parameter`. */
export function latestVersion(parameter: SsmParameter): ParameterVersion {
  return parameter.versions[parameter.versions.length - 1] as ParameterVersion;
}

/** Adds `fields` as the next version of `region`'s parameter `name` (created with `tags` if new). */
export function addVersion(
  store: ParameterStore,
  where: { region: string; name: string; accountId?: string },
  fields: Omit<ParameterVersion, 'version'>,
  tags: Record<string, string> = {},
): ParameterVersion {
  const key = parameterKey(where.region, where.name);
  const parameter = store.get(key) ?? {
    region: where.region,
    name: where.name,
    arn: parameterArn(where.region, where.accountId, where.name),
    versions: [],
    tags,
  };
  store.set(key, parameter);
  const previous = parameter.versions[parameter.versions.length - 1];
  const added = { ...fields, version: (previous?.version ?? 0) + 1 };
  parameter.versions.push(added);
  if (parameter.versions.length > PARAMETER_VERSION_LIMIT) parameter.versions.shift();
  return added;
}

/**
 * Publishes the newest Amazon-owned image of each Windows family in every region of `ec2` as
 * `/aws/service/ami-windows-latest/<family>`; a new version only when the AMI changed, so a test that
 * adds a newer Amazon image and calls this again sees AWS's monthly update.
 */
export function publishWindowsLatest(store: ParameterStore, ec2: Ec2State): void {
  for (const region of ec2.regions) {
    for (const family of WINDOWS_LATEST_FAMILIES) {
      const newest = [...ec2.images.values()]
        .filter(
          (image) =>
            image.region === region &&
            image.ownerId === AMAZON_OWNER_ID &&
            image.state === 'available' &&
            image.name.startsWith(`${family}-`),
        )
        .sort((a, b) => b.creationDate - a.creationDate)[0];
      if (!newest) continue;
      const name = `${WINDOWS_LATEST_PATH}/${family}`;
      const current = store.get(parameterKey(region, name));
      if (current && latestVersion(current).value === newest.imageId) continue;
      addVersion(
        store,
        { region, name },
        { type: 'String', value: newest.imageId, dataType: 'text', lastModified: newest.creationDate },
      );
    }
  }
}
