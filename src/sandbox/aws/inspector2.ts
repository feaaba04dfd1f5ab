/**
 * The sandbox's Amazon Inspector (inspector2), minimal: `ListFindings` (REST-JSON, `POST /findings/list`) over
 * the EC2 sandbox's instances, with the filters a validation uses (`resourceId`, `ec2InstanceImageId`,
 * `severity`, `findingStatus`, `resourceType`, each a list of `{comparison, value}` ORed, the lists ANDed),
 * `maxResults` (1-100) and `nextToken`. Findings are seeded per AMI (`seedImageFindings`) and inherited along
 * the image's lineage like patch profiles; every running or stopped instance of such an image has them.
 * Inspector's scan delay is not modelled: findings are there as soon as the instance exists.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import { type AwsAuthorizer, identifyCaller } from './aws-auth.js';
import type { Ec2Service } from './ec2.js';
import type { Ec2Instance, Ec2State } from './ec2-state.js';

export type InspectorSeverity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNTRIAGED';

/** A vulnerability an image carries; every instance of it reports it as a finding. */
export interface SeededVulnerability {
  vulnerabilityId: string;
  title: string;
  severity: InspectorSeverity;
  /** Defaults to ACTIVE. */
  status?: 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';
}

export interface InspectorService {
  router: Router;
  /** Vulnerabilities by AMI id. */
  imageFindings: Map<string, SeededVulnerability[]>;
  seedImageFindings(imageId: string, findings: SeededVulnerability[]): void;
  calls: Array<{ action: string; status: number; errorCode?: string; accessKeyId?: string; body?: unknown }>;
}

export interface InspectorServiceOptions {
  accessKeyIds: string[];
  authorize?: AwsAuthorizer;
}

class InspectorError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface StringFilter {
  comparison?: string;
  value?: string;
}

const FILTER_KEYS = [
  'resourceId',
  'ec2InstanceImageId',
  'severity',
  'findingStatus',
  'resourceType',
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

function matches(filters: StringFilter[], field: string): boolean {
  return filters.some((filter) => {
    const value = filter.value ?? '';
    if (filter.comparison === 'EQUALS') return field === value;
    if (filter.comparison === 'NOT_EQUALS') return field !== value;
    if (filter.comparison === 'PREFIX') return field.startsWith(value);
    throw new InspectorError(
      'ValidationException',
      400,
      `Invalid comparison ${String(filter.comparison)}: must be one of EQUALS, NOT_EQUALS, PREFIX`,
    );
  });
}

/** The vulnerabilities of an image: its own, else its lineage's. */
function vulnerabilitiesOf(
  seeded: Map<string, SeededVulnerability[]>,
  ec2: Ec2State,
  imageId: string,
): SeededVulnerability[] {
  const seen = new Set<string>();
  let current: string | undefined = imageId;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const own = seeded.get(current);
    if (own) return own;
    const image = ec2.images.get(current);
    current =
      image?.sourceImageId ??
      (image?.sourceInstanceId ? ec2.instances.get(image.sourceInstanceId)?.imageId : undefined);
  }
  return [];
}

function findingJson(instance: Ec2Instance, vulnerability: SeededVulnerability, accountId: string) {
  const id = createHash('sha256')
    .update(`${instance.instanceId}/${vulnerability.vulnerabilityId}`)
    .digest('hex');
  const observed = instance.launchTime / 1000;
  return {
    findingArn: `arn:aws:inspector2:${instance.region}:${accountId}:finding/${id.slice(0, 32)}`,
    awsAccountId: accountId,
    type: 'PACKAGE_VULNERABILITY',
    description: `${vulnerability.title}.`,
    title: `${vulnerability.vulnerabilityId} - ${vulnerability.title}`,
    remediation: { recommendation: { text: 'Install the update that fixes this vulnerability.' } },
    severity: vulnerability.severity,
    firstObservedAt: observed,
    lastObservedAt: observed,
    updatedAt: observed,
    status: vulnerability.status ?? 'ACTIVE',
    resources: [
      {
        type: 'AWS_EC2_INSTANCE',
        id: instance.instanceId,
        partition: 'aws',
        region: instance.region,
        tags: instance.tags,
        details: {
          awsEc2Instance: {
            type: instance.instanceType,
            imageId: instance.imageId,
            vpcId: instance.vpcId,
            subnetId: instance.subnetId,
            launchedAt: observed,
            platform: 'WINDOWS_SERVER_2022',
          },
        },
      },
    ],
    packageVulnerabilityDetails: {
      vulnerabilityId: vulnerability.vulnerabilityId,
      source: 'WINDOWS_SERVER_2022',
      vendorSeverity: vulnerability.severity === 'CRITICAL' ? 'Critical' : 'Important',
    },
    fixAvailable: 'YES',
  };
}

/** Creates Inspector over the EC2 sandbox's instances. */
export function createInspectorService(options: InspectorServiceOptions, ec2: Ec2Service): InspectorService {
  const imageFindings = new Map<string, SeededVulnerability[]>();
  const calls: InspectorService['calls'] = [];

  function listFindings(body: Record<string, unknown>, region: string) {
    const maxResults = typeof body.maxResults === 'number' ? body.maxResults : 50;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw new InspectorError('ValidationException', 400, 'maxResults must be between 1 and 100');
    }
    const criteria = (body.filterCriteria ?? {}) as Record<string, StringFilter[]>;
    for (const key of Object.keys(criteria)) {
      if (!FILTER_KEYS.includes(key as FilterKey)) {
        throw new InspectorError('ValidationException', 400, `The sandbox does not filter on ${key}`);
      }
    }
    const all = [...ec2.state.instances.values()]
      .filter((instance) => instance.region === region)
      .flatMap((instance) =>
        vulnerabilitiesOf(imageFindings, ec2.state, instance.imageId).map((v) =>
          findingJson(instance, v, ec2.state.accountId),
        ),
      );
    const fields = (finding: ReturnType<typeof findingJson>): Record<FilterKey, string> => ({
      resourceId: finding.resources[0]?.id ?? '',
      ec2InstanceImageId: finding.resources[0]?.details.awsEc2Instance.imageId ?? '',
      severity: finding.severity,
      findingStatus: finding.status,
      resourceType: finding.resources[0]?.type ?? '',
    });
    const matching = all.filter((finding) =>
      Object.entries(criteria).every(([key, filters]) => matches(filters, fields(finding)[key as FilterKey])),
    );
    const start =
      typeof body.nextToken === 'string' ? Number(Buffer.from(body.nextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new InspectorError('ValidationException', 400, 'The nextToken is not valid');
    }
    const end = start + maxResults;
    return {
      findings: matching.slice(start, end),
      ...(end < matching.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
    };
  }

  function answer(request: SandboxRequest): SandboxResponse {
    const requestId = randomUUID();
    const fail = (error: InspectorError, accessKeyId?: string): SandboxResponse => {
      calls.push({ action: 'ListFindings', status: error.status, errorCode: error.code, accessKeyId });
      return {
        status: error.status,
        headers: {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': error.code,
        },
        body: JSON.stringify({ message: error.message }),
      };
    };
    const authorization = request.headers.authorization;
    const caller = identifyCaller(
      Array.isArray(authorization) ? authorization[0] : authorization,
      options.accessKeyIds,
      ec2.state.regions,
    );
    if (!caller.ok) {
      return fail(
        new InspectorError(
          'UnrecognizedClientException',
          403,
          'The security token included in the request is invalid.',
        ),
      );
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(
        new InspectorError('ValidationException', 400, 'The request body is not JSON.'),
        caller.accessKeyId,
      );
    }
    const denied = options.authorize?.({
      service: 'inspector2',
      action: 'ListFindings',
      region: caller.region,
      accessKeyId: caller.accessKeyId,
      params: {},
      resources: {},
    });
    if (denied) {
      return fail(
        new InspectorError(
          'AccessDeniedException',
          403,
          `User is not authorized to perform: inspector2:ListFindings. ${denied}`,
        ),
        caller.accessKeyId,
      );
    }
    try {
      const result = listFindings(body, caller.region);
      calls.push({ action: 'ListFindings', status: 200, accessKeyId: caller.accessKeyId, body });
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
        body: JSON.stringify(result),
      };
    } catch (error) {
      if (error instanceof InspectorError) return fail(error, caller.accessKeyId);
      throw error;
    }
  }

  const router = new Router('inspector2').on('POST', '/findings/list', answer);
  return {
    router,
    imageFindings,
    calls,
    seedImageFindings: (imageId, findings) => imageFindings.set(imageId, findings),
  };
}
