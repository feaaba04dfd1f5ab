/**
 * The sandbox's SSM: the JSON 1.1 protocol (`POST /`, `X-Amz-Target: AmazonSSM.<Action>`) for the
 * three calls an AMI validation makes: DescribeInstanceInformation, SendCommand with
 * `AWS-RunPowerShellScript` (or `AWS-RunPatchBaseline`, see ssm-patches.ts), GetCommandInvocation, and the
 * patch states a scan leaves (DescribeInstancePatchStates, DescribeInstancePatches). Managed instances are the EC2 sandbox's
 * instances: one comes online `ssmOnlineMs` after it starts running, if it has an instance profile.
 * Parameter Store (`ssm-parameters.ts`) serves AWS's public Windows AMI parameters and the account's own.
 */
import { randomUUID } from 'node:crypto';
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import {
  type AwsAuthorizer,
  identifyCaller,
  SANDBOX_AWS_CREDENTIALS,
  SANDBOX_PACKER_AWS_CREDENTIALS,
} from './aws-auth.js';
import type { AwsClock } from './aws-clock.js';
import type { Ec2Service } from './ec2.js';
import { type ThrottleFault, takeThrottle } from './ec2-runtime.js';
import { type Ec2Instance, type ResourceSnapshot, referencedResources } from './ec2-state.js';
import { SsmError } from './ssm-error.js';
import { type ParameterStore, publishWindowsLatest } from './ssm-parameter-store.js';
import { parameterActions } from './ssm-parameters.js';
import {
  createPatchManagerState,
  type PatchManagerState,
  patchActions,
  patchBaselineParameters,
  runPatchBaseline,
} from './ssm-patches.js';

/** SSM keeps only the first 24,000 characters of standard output and 8,000 of standard error. */
export const SSM_STDOUT_LIMIT = 24_000;
export const SSM_STDERR_LIMIT = 8_000;

const RUN_POWERSHELL = 'AWS-RunPowerShellScript';
const RUN_SHELL = 'AWS-RunShellScript';
const RUN_PATCH_BASELINE = 'AWS-RunPatchBaseline';
/** AWS-RunPatchBaseline's steps; on Windows only PatchWindows runs, the others end `Skipped`. */
const PATCH_STEPS = ['PatchWindows', 'PatchLinux', 'PatchMacOS'];

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

/** What a script did on the instance. */
export interface CommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface SsmInvocation {
  commandId: string;
  instanceId: string;
  status: InvocationStatus;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
}

export interface SsmCommand {
  commandId: string;
  region: string;
  documentName: string;
  commands: string[];
  /** The document's parameters as sent (AWS-RunPatchBaseline's Operation, RebootOption, ...). */
  parameters: Record<string, unknown>;
  instanceIds: string[];
  comment?: string;
  timeoutSeconds: number;
  requestedAt: number;
  invocations: SsmInvocation[];
}

export interface SsmState {
  commands: Map<string, SsmCommand>;
  /** Parameter Store, per region; seeded with `/aws/service/ami-windows-latest/...`. */
  parameters: ParameterStore;
  /** Patch Manager: image patch profiles, patch-group baselines, the instances' last scans. */
  patches: PatchManagerState;
}

/** Scripted SSM failures. */
export interface SsmFaults {
  /** Agents never register: DescribeInstanceInformation never lists the instance. */
  agentNeverOnline: boolean;
  /** Every command ends `Failed` with exit code 1. */
  commandFails: boolean;
  /** `AWS-RunPatchBaseline` ends `Failed`: the instance cannot reach Windows Update. */
  patchScanFails: boolean;
  /** `ThrottlingException` for the next calls of an action (or any). */
  throttle: ThrottleFault[];
}

export interface SsmServiceOptions {
  accessKeyIds?: string[];
  /** Runs a command's script; the default reads `Write-Output`/`Write-Error`/`exit N` lines (see {@link simulatePowerShell}). */
  run?: (commands: string[], instance: Ec2Instance) => CommandOutcome;
  /** Decides each call as IAM would; every call is allowed without one. */
  authorize?: AwsAuthorizer;
  /** Real SSM needs an instance profile on the instance to register the agent (default true). */
  requireInstanceProfile?: boolean;
  log?: (message: string) => void;
}

/** One SSM call as the sandbox saw it: who, where, the JSON body, and the instances it names as they were. */
export interface SsmCall {
  action: string;
  status: number;
  errorCode?: string;
  accessKeyId?: string;
  region?: string;
  body?: Record<string, unknown>;
  resources?: Record<string, ResourceSnapshot>;
}

export interface SsmService {
  router: Router;
  state: SsmState;
  clock: AwsClock;
  faults: SsmFaults;
  /** Actions called so far, in order. */
  calls: SsmCall[];
  /** Scripts `ThrottlingException` for the next `times` calls of `action`, or of any action. */
  throttle(fault: ThrottleFault): void;
}

/**
 * A stand-in for PowerShell good enough for smoke tests: `Write-Output`/`Write-Host`/`echo` print
 * their argument, `Write-Error` writes to standard error, `throw` and `exit N` end the script.
 */
export function simulatePowerShell(commands: string[]): CommandOutcome {
  let stdout = '';
  let stderr = '';
  const argument = (text: string) => text.trim().replace(/^(['"])(.*)\1$/s, '$2');
  for (const line of commands.flatMap((command) => command.split(/\r?\n/))) {
    const trimmed = line.trim();
    const exit = /^exit\s+(-?\d+)\s*;?$/i.exec(trimmed);
    if (exit) return { exitCode: Number(exit[1]), stdout, stderr };
    const thrown = /^throw\s+(.*)$/i.exec(trimmed);
    if (thrown) return { exitCode: 1, stdout, stderr: `${stderr}${argument(thrown[1] as string)}\n` };
    const printed = /^(?:Write-Output|Write-Host|echo)\s+(.*)$/i.exec(trimmed);
    if (printed) stdout += `${argument(printed[1] as string)}\n`;
    const error = /^Write-Error\s+(.*)$/i.exec(trimmed);
    if (error) stderr += `${argument(error[1] as string)}\n`;
  }
  return { exitCode: 0, stdout, stderr };
}

const seconds = (ms: number) => ms / 1000;

/** A JSON body's strings and string lists, flattened as EC2's Query parameters (`InstanceIds.1`). */
export function flattenBody(body: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params[key] = value;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) if (typeof item === 'string') params[`${key}.${i + 1}`] = item;
    }
  }
  return params;
}

/** The instance ids a request names (`InstanceIds`, `InstanceId`, `Targets` of `InstanceIds`), keyed for {@link referencedResources}. */
function instanceIdsOf(body: Record<string, unknown>): Record<string, string> {
  const ids = [
    ...(Array.isArray(body.InstanceIds) ? body.InstanceIds : []),
    ...(typeof body.InstanceId === 'string' ? [body.InstanceId] : []),
    ...(Array.isArray(body.Targets)
      ? body.Targets.flatMap((t: { Key?: string; Values?: unknown[] }) =>
          t.Key === 'InstanceIds' && Array.isArray(t.Values) ? t.Values : [],
        )
      : []),
  ].filter((id): id is string => typeof id === 'string');
  return Object.fromEntries(ids.map((id, i) => [String(i), id]));
}

/** Creates the SSM service over the EC2 sandbox's instances, on the same clock. */
export function createSsmService(options: SsmServiceOptions, ec2: Ec2Service): SsmService {
  const { clock } = ec2;
  const accessKeyIds = options.accessKeyIds ?? [
    SANDBOX_AWS_CREDENTIALS.accessKeyId,
    SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
  ];
  const run = options.run ?? ((commands: string[]) => simulatePowerShell(commands));
  const requireProfile = options.requireInstanceProfile ?? true;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const state: SsmState = { commands: new Map(), parameters: new Map(), patches: createPatchManagerState() };
  publishWindowsLatest(state.parameters, ec2.state);
  const faults: SsmFaults = {
    agentNeverOnline: false,
    commandFails: false,
    patchScanFails: false,
    throttle: [],
  };
  const calls: SsmService['calls'] = [];

  /** Online, ConnectionLost, or not registered (undefined). */
  function pingStatus(instance: Ec2Instance): 'Online' | 'ConnectionLost' | undefined {
    if (faults.agentNeverOnline || (requireProfile && !instance.iamInstanceProfile)) return undefined;
    if (instance.runningSince === undefined || instance.state === 'terminated') return undefined;
    const registeredAt = instance.runningSince + clock.delay('ssmOnlineMs');
    if (instance.state === 'running') return clock.now() >= registeredAt ? 'Online' : undefined;
    return 'ConnectionLost';
  }

  function managedInstances(region: string): Ec2Instance[] {
    return [...ec2.state.instances.values()].filter(
      (instance) => instance.region === region && pingStatus(instance),
    );
  }

  function finish(command: SsmCommand, invocation: SsmInvocation, instance: Ec2Instance): void {
    const patching = command.documentName === RUN_PATCH_BASELINE;
    const outcome = faults.commandFails
      ? { exitCode: 1, stdout: '', stderr: 'The command failed (sandbox fault).\n' }
      : patching && faults.patchScanFails
        ? {
            exitCode: 1,
            stdout: 'Operation type: Scan\n',
            stderr:
              'Windows Update scan failed: 0x8024402C WU_E_PT_WINHTTP_NAME_NOT_RESOLVED (Windows Update cannot be reached)\n',
          }
        : command.documentName === RUN_PATCH_BASELINE
          ? runPatchBaseline(state.patches, ec2.state, instance, {
              operation: patchBaselineParameters(command.parameters).operation,
              startedAt: invocation.startedAt ?? clock.now(),
              endedAt: clock.now(),
            })
          : run(command.commands, instance);
    invocation.endedAt = clock.now();
    invocation.responseCode = outcome.exitCode;
    invocation.status = outcome.exitCode === 0 ? 'Success' : 'Failed';
    invocation.stdout = outcome.stdout;
    // The agent appends this line to standard error when the script exits non-zero.
    invocation.stderr =
      outcome.exitCode === 0
        ? outcome.stderr
        : `${outcome.stderr}failed to run commands: exit status ${outcome.exitCode}`;
  }

  /** The step GetCommandInvocation reports: a multi-step document's step must be named, as SSM requires. */
  function pluginOf(command: SsmCommand, requested: unknown): string {
    if (command.documentName === RUN_PATCH_BASELINE) {
      if (typeof requested !== 'string' || !PATCH_STEPS.includes(requested)) {
        throw new SsmError(
          'InvalidPluginName',
          `PluginName ${typeof requested === 'string' ? requested : '(none)'} is not a step of ${RUN_PATCH_BASELINE}; the document has more than one step, name one of ${PATCH_STEPS.join(', ')}.`,
        );
      }
      return requested;
    }
    return command.documentName === RUN_SHELL ? 'aws:runShellScript' : 'aws:runPowerShellScript';
  }

  function commandStatus(command: SsmCommand): InvocationStatus {
    const statuses = command.invocations.map((invocation) => invocation.status);
    if (statuses.some((status) => status === 'Pending' || status === 'InProgress')) {
      return statuses.some((status) => status !== 'Pending') ? 'InProgress' : 'Pending';
    }
    return statuses.every((status) => status === 'Success') ? 'Success' : 'Failed';
  }

  function commandJson(command: SsmCommand) {
    const status = commandStatus(command);
    return {
      CommandId: command.commandId,
      DocumentName: command.documentName,
      DocumentVersion: '$DEFAULT',
      Comment: command.comment ?? '',
      ExpiresAfter: seconds(command.requestedAt + (command.timeoutSeconds + 3600) * 1000),
      Parameters: command.parameters,
      InstanceIds: command.instanceIds,
      Targets: [],
      RequestedDateTime: seconds(command.requestedAt),
      Status: status,
      StatusDetails: status,
      OutputS3Region: command.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: command.invocations.length,
      CompletedCount: command.invocations.filter((i) => i.endedAt !== undefined).length,
      ErrorCount: command.invocations.filter((i) => i.status === 'Failed').length,
      DeliveryTimedOutCount: 0,
      TimeoutSeconds: command.timeoutSeconds,
    };
  }

  const actions: Record<string, (body: Record<string, unknown>, region: string) => unknown> = {
    SendCommand(body, region) {
      const documentName = String(body.DocumentName ?? '');
      if (![RUN_POWERSHELL, RUN_SHELL, RUN_PATCH_BASELINE].includes(documentName)) {
        throw new SsmError('InvalidDocument', `Document with name ${documentName} does not exist.`);
      }
      const parameters = (body.Parameters ?? {}) as Record<string, unknown>;
      const patching = documentName === RUN_PATCH_BASELINE;
      if (patching) patchBaselineParameters(parameters);
      const commands = patching ? [] : parameters.commands;
      if (
        !patching &&
        (!Array.isArray(commands) || commands.length === 0 || !commands.every((c) => typeof c === 'string'))
      ) {
        throw new SsmError('InvalidParameters', 'Parameters.commands is required and must list strings.');
      }
      const instanceIds = Array.isArray(body.InstanceIds) ? body.InstanceIds.map(String) : [];
      if (instanceIds.length === 0) throw new SsmError('InvalidInstanceId', 'No instance ids given.');
      const managed = managedInstances(region);
      const offline = instanceIds.filter(
        (id) => !managed.some((instance) => instance.instanceId === id && pingStatus(instance) === 'Online'),
      );
      if (offline.length > 0) {
        throw new SsmError(
          'InvalidInstanceId',
          `Instances [[${offline.join(', ')}]] not in a valid state for account ${ec2.state.accountId}`,
        );
      }
      const command: SsmCommand = {
        commandId: randomUUID(),
        region,
        documentName,
        commands: commands as string[],
        parameters,
        instanceIds,
        comment: typeof body.Comment === 'string' ? body.Comment : undefined,
        timeoutSeconds: typeof body.TimeoutSeconds === 'number' ? body.TimeoutSeconds : 3600,
        requestedAt: clock.now(),
        invocations: instanceIds.map((instanceId) => ({
          commandId: '',
          instanceId,
          status: 'Pending',
          responseCode: -1,
          stdout: '',
          stderr: '',
        })),
      };
      for (const invocation of command.invocations) {
        invocation.commandId = command.commandId;
        const instance = ec2.state.instances.get(invocation.instanceId) as Ec2Instance;
        clock.schedule(0, () => {
          invocation.status = 'InProgress';
          invocation.startedAt = clock.now();
          clock.schedule('commandRunMs', () => finish(command, invocation, instance));
        });
      }
      state.commands.set(command.commandId, command);
      return { Command: commandJson(command) };
    },

    GetCommandInvocation(body, region) {
      const command = state.commands.get(String(body.CommandId ?? ''));
      const invocation =
        command?.region === region
          ? command.invocations.find((i) => i.instanceId === body.InstanceId)
          : undefined;
      if (!command || !invocation) throw new SsmError('InvocationDoesNotExist', '');
      const pluginName = pluginOf(command, body.PluginName);
      const elapsed =
        invocation.startedAt === undefined ? 0 : (invocation.endedAt ?? clock.now()) - invocation.startedAt;
      return {
        CommandId: command.commandId,
        InstanceId: invocation.instanceId,
        Comment: command.comment ?? '',
        DocumentName: command.documentName,
        DocumentVersion: '$DEFAULT',
        PluginName: pluginName,
        ResponseCode: invocation.responseCode,
        ExecutionStartDateTime:
          invocation.startedAt === undefined ? '' : new Date(invocation.startedAt).toISOString(),
        ExecutionElapsedTime: `PT${(elapsed / 1000).toFixed(3)}S`,
        ExecutionEndDateTime:
          invocation.endedAt === undefined ? '' : new Date(invocation.endedAt).toISOString(),
        Status: invocation.status,
        StatusDetails: invocation.status,
        StandardOutputContent: invocation.stdout.slice(0, SSM_STDOUT_LIMIT),
        StandardOutputUrl: '',
        StandardErrorContent: invocation.stderr.slice(0, SSM_STDERR_LIMIT),
        StandardErrorUrl: '',
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
      };
    },

    DescribeInstanceInformation(body, region) {
      const filters = [
        ...((body.Filters ?? []) as Array<{ Key: string; Values: string[] }>),
        ...((body.InstanceInformationFilterList ?? []) as Array<{ key: string; valueSet: string[] }>).map(
          (f) => ({
            Key: f.key,
            Values: f.valueSet,
          }),
        ),
      ];
      const rows = managedInstances(region).map((instance) => ({
        InstanceId: instance.instanceId,
        PingStatus: pingStatus(instance) as string,
        LastPingDateTime: seconds(clock.now()),
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Windows',
        PlatformName: 'Microsoft Windows Server 2022 Datacenter',
        PlatformVersion: '10.0.20348',
        ResourceType: 'EC2Instance',
        IPAddress: instance.privateIpAddress,
        ComputerName: `EC2AMAZ-${instance.instanceId.slice(2, 9).toUpperCase()}`,
        SourceId: instance.instanceId,
        SourceType: 'AWS::EC2::Instance',
        tags: instance.tags,
      }));
      const matching = rows.filter((row) =>
        filters.every((filter) => {
          const field = {
            InstanceIds: row.InstanceId,
            PingStatus: row.PingStatus,
            PlatformTypes: row.PlatformType,
            ResourceType: row.ResourceType,
          }[filter.Key];
          const value = filter.Key.startsWith('tag:') ? row.tags[filter.Key.slice(4)] : field;
          if (value === undefined && !filter.Key.startsWith('tag:')) {
            throw new SsmError('InvalidFilterKey', `The filter key ${filter.Key} is not valid.`);
          }
          return filter.Values.includes(value ?? '');
        }),
      );
      const maxResults = typeof body.MaxResults === 'number' ? body.MaxResults : 50;
      if (maxResults < 5 || maxResults > 50) {
        throw new SsmError(
          'ValidationException',
          `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50`,
        );
      }
      const start =
        typeof body.NextToken === 'string' ? Number(Buffer.from(body.NextToken, 'base64url').toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new SsmError('InvalidNextToken', 'The specified token is not valid.');
      const end = start + maxResults;
      return {
        InstanceInformationList: matching.slice(start, end).map(({ tags: _tags, ...row }) => row),
        NextToken: end < matching.length ? Buffer.from(String(end)).toString('base64url') : undefined,
      };
    },

    ...parameterActions(state.parameters, ec2.state.accountId, clock),
    ...patchActions(state.patches, ec2.state, clock),
  };

  function answer(request: SandboxRequest): SandboxResponse {
    const requestId = randomUUID();
    const target = String(request.headers['x-amz-target'] ?? '');
    const action = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId };
    const seen: Omit<SsmCall, 'action' | 'status' | 'errorCode'> = {};
    const fail = (error: SsmError): SandboxResponse => {
      calls.push({ action, status: error.status, errorCode: error.code, ...seen });
      return {
        status: error.status,
        headers,
        body: JSON.stringify({ __type: error.code, message: error.message }),
      };
    };
    const authorization = request.headers.authorization;
    const caller = identifyCaller(
      Array.isArray(authorization) ? authorization[0] : authorization,
      accessKeyIds,
      ec2.state.regions,
    );
    seen.accessKeyId = caller.accessKeyId;
    seen.region = caller.region;
    if (!caller.ok) {
      if (caller.reason === 'missing')
        return fail(new SsmError('MissingAuthenticationTokenException', 'Missing Authentication Token'));
      return fail(
        new SsmError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      );
    }
    const handler = actions[action];
    if (!handler) {
      log(`sandbox ssm: unsupported action ${JSON.stringify(target)}`);
      return fail(new SsmError('UnknownOperationException', ''));
    }
    if (takeThrottle(faults.throttle, action))
      return fail(new SsmError('ThrottlingException', 'Rate exceeded'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(
        new SsmError('SerializationException', 'Start of structure or map found where not expected.'),
      );
    }
    clock.tick();
    seen.body = body;
    seen.resources = referencedResources(ec2.state, instanceIdsOf(body));
    const denied = options.authorize?.({
      service: 'ssm',
      action,
      region: caller.region,
      accessKeyId: caller.accessKeyId,
      params: flattenBody(body),
      resources: seen.resources,
    });
    if (denied) {
      return fail(
        new SsmError(
          'AccessDeniedException',
          `User is not authorized to perform: ssm:${action} because no identity-based policy allows it. ${denied}`,
        ),
      );
    }
    try {
      const result = handler(body, caller.region);
      calls.push({ action, status: 200, ...seen });
      return { status: 200, headers, body: JSON.stringify(result) };
    } catch (error) {
      if (error instanceof SsmError) return fail(error);
      throw error;
    }
  }

  const router = new Router('ssm').on('POST', '/', answer);
  return { router, state, clock, faults, calls, throttle: (fault) => faults.throttle.push({ ...fault }) };
}
