/**
 * SigV4 as the sandbox needs it: who is calling and in which region. Signatures are not verified
 * (the sandbox holds no secrets worth guarding); the credential scope names the region, since one
 * endpoint serves them all, as one `custom_endpoint_ec2` does for Packer.
 */
import type { ResourceSnapshot } from './ec2-state.js';

/** The dummy credentials the sandbox accepts by default. */
export const SANDBOX_AWS_CREDENTIALS = {
  accessKeyId: 'AKIASANDBOXEXAMPLE01',
  secretAccessKey: 'sandbox/secret/access/key/not/checked0000',
} as const;

/** The credentials the sandbox hands to Packer, so its calls are told apart from Hephestus's own (the `packer` role). */
export const SANDBOX_PACKER_AWS_CREDENTIALS = {
  accessKeyId: 'AKIASANDBOXPACKER001',
  secretAccessKey: 'sandbox/packer/secret/key/not/checked000',
} as const;

/** The AWS account that owns what the sandbox's callers create. */
export const SANDBOX_ACCOUNT_ID = '111122223333';

/** One AWS call as an authorizer sees it: who, what, where, and the resources it names as they were before it. */
export interface AwsCallView {
  service: 'ec2' | 'ssm' | 'inspector2';
  action: string;
  region: string;
  accessKeyId: string;
  /** EC2: the Query parameters; SSM: the JSON body's strings and string lists, flattened as EC2's (`Key.1`). */
  params: Record<string, string>;
  resources: Record<string, ResourceSnapshot>;
}

/**
 * Decides a call the way IAM would: undefined to allow it, or the reason it is denied (answered as
 * `UnauthorizedOperation` / `AccessDeniedException`). The sandbox has no IAM of its own; tests plug one in.
 */
export type AwsAuthorizer = (call: AwsCallView) => string | undefined;

export type AwsCaller =
  | { ok: true; accessKeyId: string; region: string }
  | {
      ok: false;
      reason: 'missing' | 'unknown-key' | 'unknown-region';
      accessKeyId?: string;
      region?: string;
    };

const credentialPattern = /Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request/;

/** Reads the caller's access key and region from a SigV4 `Authorization` header. */
export function identifyCaller(
  authorization: string | undefined,
  accessKeyIds: readonly string[],
  regions: readonly string[],
): AwsCaller {
  const match = authorization?.startsWith('AWS4-HMAC-SHA256 ') ? credentialPattern.exec(authorization) : null;
  if (!match) return { ok: false, reason: 'missing' };
  const accessKeyId = match[1] as string;
  const region = match[3] as string;
  if (!accessKeyIds.includes(accessKeyId)) return { ok: false, reason: 'unknown-key', accessKeyId, region };
  if (!regions.includes(region)) return { ok: false, reason: 'unknown-region', accessKeyId, region };
  return { ok: true, accessKeyId, region };
}
