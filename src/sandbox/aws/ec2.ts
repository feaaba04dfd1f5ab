/**
 * The sandbox's EC2: the Query protocol (`POST /` with `Action=...&Version=2016-11-15`) answered in
 * XML, for the AWS SDK v3 client and Packer's amazon-ebs builder alike. One endpoint serves every
 * region; the region comes from the SigV4 credential scope.
 */
import { randomUUID } from 'node:crypto';
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import {
  type AwsAuthorizer,
  identifyCaller,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_AWS_CREDENTIALS,
  SANDBOX_PACKER_AWS_CREDENTIALS,
} from './aws-auth.js';
import { AWS_TIMINGS, AwsClock, type AwsTimings } from './aws-clock.js';
import { imageLifecycleActions } from './ec2-image-lifecycle.js';
import { imageActions } from './ec2-images.js';
import { instanceActions } from './ec2-instances.js';
import { networkActions } from './ec2-network.js';
import { Ec2Error, QueryParams } from './ec2-query.js';
import { type Ec2Action, type Ec2Faults, type ThrottleFault, takeThrottle } from './ec2-runtime.js';
import { type Ec2State, type ResourceSnapshot, referencedResources, seedEc2State } from './ec2-state.js';
import { volumeActions } from './ec2-volumes.js';
import { renderError, renderResponse } from './ec2-xml.js';

export const DEFAULT_AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'];

export interface Ec2ServiceOptions {
  accountId?: string;
  regions?: string[];
  /** Access key ids accepted; others get `AuthFailure`. */
  accessKeyIds?: string[];
  timings?: Partial<AwsTimings>;
  /** Initial `clock.scale`; 0 makes every transition happen by the next request (for Packer runs). */
  scale?: number;
  /** Seed Amazon's Windows base images in every region (default true). */
  seedImages?: boolean;
  /** Where unknown actions are reported; standard error by default. */
  log?: (message: string) => void;
  /** Decides each call as IAM would (SSM's too, through start-sandbox); every call is allowed without one. */
  authorize?: AwsAuthorizer;
}

/** One EC2 API call as the sandbox saw it. */
export interface Ec2Call {
  action: string;
  region?: string;
  status: number;
  errorCode?: string;
  at: number;
  /** Who called (the SigV4 access key id), when the request was signed. */
  accessKeyId?: string;
  /** The request's Query parameters. */
  params?: Record<string, string>;
  /** Tags and owner of every resource the parameters name, as they were before the call. */
  resources?: Record<string, ResourceSnapshot>;
}

export interface Ec2Service {
  router: Router;
  state: Ec2State;
  clock: AwsClock;
  faults: Ec2Faults;
  calls: Ec2Call[];
  /** Calls of `action` so far (all calls without it). */
  count(action?: string): number;
  /** Scripts `RequestLimitExceeded` (HTTP 503) for the next `times` calls of `action`, or of any action. */
  throttle(fault: ThrottleFault): void;
}

const xmlHeaders = { 'content-type': 'text/xml;charset=UTF-8' };

/** Creates the EC2 service: state seeded per region, a clock, faults, and a router for `POST /`. */
export function createEc2Service(options: Ec2ServiceOptions = {}): Ec2Service {
  const clock = new AwsClock({ ...AWS_TIMINGS, ...options.timings });
  if (options.scale !== undefined) clock.scale = options.scale;
  const regions = options.regions ?? DEFAULT_AWS_REGIONS;
  const accessKeyIds = options.accessKeyIds ?? [
    SANDBOX_AWS_CREDENTIALS.accessKeyId,
    SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
  ];
  const state = seedEc2State(options.accountId ?? SANDBOX_ACCOUNT_ID, regions, options.seedImages ?? true);
  const faults: Ec2Faults = {
    instanceNeverOk: false,
    windowsNeverReady: false,
    amiStuckPending: false,
    copyFailsTo: [],
    buildFailsIn: [],
    throttle: [],
  };
  const runtime = { state, clock, faults };
  const actions: Record<string, Ec2Action> = {
    ...imageActions(runtime),
    ...imageLifecycleActions(runtime),
    ...instanceActions(runtime),
    ...volumeActions(runtime),
    ...networkActions(runtime),
  };
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const calls: Ec2Call[] = [];

  function answer(request: SandboxRequest): SandboxResponse {
    const requestId = randomUUID();
    const params = QueryParams.parse(request.body.toString('utf8'), request.url.searchParams);
    const action = params.get('Action') ?? '';
    const seen: Pick<Ec2Call, 'accessKeyId' | 'params' | 'resources'> = { params: params.toRecord() };
    const fail = (error: Ec2Error, region?: string): SandboxResponse => {
      calls.push({ action, region, status: error.status, errorCode: error.code, at: clock.now(), ...seen });
      return {
        status: error.status,
        headers: xmlHeaders,
        body: renderError(error.code, error.message, requestId),
      };
    };
    const authorization = request.headers.authorization;
    const caller = identifyCaller(
      Array.isArray(authorization) ? authorization[0] : authorization,
      accessKeyIds,
      regions,
    );
    seen.accessKeyId = caller.accessKeyId;
    if (!caller.ok) {
      if (caller.reason === 'missing') {
        return fail(
          new Ec2Error('MissingAuthenticationToken', 'Request is missing Authentication Token', 401),
        );
      }
      const message =
        caller.reason === 'unknown-key'
          ? 'AWS was not able to validate the provided access credentials'
          : `Credential should be scoped to a valid region, not '${caller.region}'.`;
      return fail(new Ec2Error('AuthFailure', message, 401), caller.region);
    }
    const run = actions[action];
    if (!run) {
      log(
        `sandbox ec2: unsupported action ${JSON.stringify(action)} (${params.get('Version') ?? 'no version'})`,
      );
      return fail(
        new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`),
        caller.region,
      );
    }
    if (takeThrottle(faults.throttle, action))
      return fail(new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503), caller.region);
    clock.tick();
    seen.resources = referencedResources(state, seen.params ?? {});
    const denied = options.authorize?.({
      service: 'ec2',
      action,
      region: caller.region,
      accessKeyId: caller.accessKeyId,
      params: seen.params ?? {},
      resources: seen.resources,
    });
    if (denied) {
      return fail(
        new Ec2Error(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. ${denied}`,
          403,
        ),
        caller.region,
      );
    }
    try {
      const fields = run({ params, region: caller.region });
      calls.push({ action, region: caller.region, status: 200, at: clock.now(), ...seen });
      return { status: 200, headers: xmlHeaders, body: renderResponse(action, requestId, fields) };
    } catch (error) {
      if (error instanceof Ec2Error) return fail(error, caller.region);
      throw error;
    }
  }

  const router = new Router('ec2').on('POST', '/', answer).on('GET', '/', answer);
  return {
    router,
    state,
    clock,
    faults,
    calls,
    count: (action) => (action ? calls.filter((call) => call.action === action).length : calls.length),
    throttle: (fault) => faults.throttle.push({ ...fault }),
  };
}
