/**
 * Validates a built AMI the way a person would: boot it, wait until Windows says it is ready and SSM
 * can reach it, run the smoke tests, read what they printed. The instance is terminated in every case,
 * errors, timeouts and SIGTERM/SIGINT included: an instance left running costs money until `sweep`. The one
 * exception is asked for: `keepOnFailureMinutes` keeps a failed validation's instance, tagged with its expiry,
 * for a person to connect to.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTagsCommand,
  DescribeInstanceStatusCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
  waitUntilSystemStatusOk,
} from '@aws-sdk/client-ec2';
import type { Inspector2Client } from '@aws-sdk/client-inspector2';
import {
  type GetCommandInvocationCommandOutput,
  paginateDescribeInstanceInformation,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { FailureError, HephestusError } from '../errors.js';
import { TAG, type Tag } from './image-tags.js';
import {
  describeFinding,
  evaluateFindings,
  type InspectorReport,
  type InspectorSeverity,
  instanceFindings,
} from './inspector-findings.js';
import {
  checkPatchCompliance,
  describePatch,
  type PatchComplianceSettings,
  type PatchReport,
} from './patch-compliance.js';
import { finishedInvocation } from './ssm-invocation.js';
import {
  AWS_WAIT_DELAYS,
  poll,
  sdkWait,
  type WaitProgress,
  type WaitSettings,
  WaitTimeoutError,
} from './waits.js';

/** SSM keeps the first 24,000 characters of a command's standard output and 8,000 of standard error. */
export const SSM_STDOUT_LIMIT = 24_000;
export const SSM_STDERR_LIMIT = 8_000;

export interface SmokeTest {
  name: string;
  /** PowerShell source, run through `AWS-RunPowerShellScript`. */
  script: string;
}

export interface ValidationRequest {
  region: string;
  imageId: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds?: string[];
  /** Instance profile name or ARN; SSM needs one to register the instance. */
  instanceProfile?: string;
  /** Console text that means Windows has booted. */
  readyText?: string;
  /** The whole validation's deadline, launch to last smoke test. */
  timeoutMs: number;
  smokeTests: SmokeTest[];
  /** Run tags (`hephestus:run`, ...) put on the instance and its volumes, so `sweep` can find it. */
  tags?: Tag[];
  /** On failure, leave the instance running this long (tagged `hephestus:keep-until`) to debug; 0 or absent: never. */
  keepOnFailureMinutes?: number;
  /** The patch compliance gate after the smoke tests; none when undefined. */
  patchCompliance?: PatchComplianceSettings & { patchGroup?: string };
  /** The Inspector gate: fail on active findings of this severity or worse; none when undefined. */
  inspector?: { failOn: InspectorSeverity };
}

/** How a termination signal is observed and how the process then ends; injectable for tests. */
export interface SignalHooks {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

export interface ValidationDeps {
  ec2: EC2Client;
  ssm: SSMClient;
  /** Needed only when the request has an Inspector gate. */
  inspector2?: Inspector2Client;
  /** Poll delays; AWS-sized by default, tiny in tests. */
  delays?: { minDelayMs: number; maxDelayMs: number };
  onProgress?: (progress: WaitProgress) => void;
  /** Defaults to the process; `false` installs no handlers. */
  signals?: SignalHooks | false;
  /** The clock a kept instance's expiry is computed on; `Date.now` by default. */
  now?: () => number;
}

export type ValidationStep =
  | 'image-available'
  | 'launch'
  | 'instance-status'
  | 'windows-ready'
  | 'ssm-online'
  | 'smoke-tests'
  | 'patch-compliance'
  | 'inspector-findings'
  | 'terminate';

export interface SmokeTestResult {
  name: string;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  /** SSM's invocation status (`Success`, `Failed`, `TimedOut`, ...), when the command ran. */
  status?: string;
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** SSM cut the output at its limit; the rest is lost unless the script writes it elsewhere. */
  truncated: boolean;
  durationMs: number;
  message?: string;
}

export interface ValidationResult {
  region: string;
  imageId: string;
  instanceId?: string;
  passed: boolean;
  failedStep?: ValidationStep;
  message?: string;
  steps: Array<{ step: ValidationStep; durationMs: number }>;
  tests: SmokeTestResult[];
  terminated: boolean;
  /** When the failed validation's instance, kept to debug, is to be terminated (ISO 8601). */
  keptUntil?: string;
  /** What the patch scan found, when the gate ran. */
  patches?: PatchReport;
  /** Inspector's findings, when that gate ran. */
  findings?: InspectorReport;
}

/** A validation that failed; `step` says where, `result` holds what was learnt (smoke-test output included). */
export class ValidationError extends FailureError {
  constructor(
    readonly step: ValidationStep,
    message: string,
    readonly result: ValidationResult,
    options?: { cause?: unknown },
  ) {
    super(`validation of ${result.imageId} in ${result.region} failed at ${step}: ${message}`, {}, options);
  }
}

/** Thrown inside a step to fail it with a message. */
class StepFailure extends Error {}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** One validation in progress: what its steps share. */
interface ValidationRun {
  ec2: EC2Client;
  ssm: SSMClient;
  inspector2?: Inspector2Client;
  request: ValidationRequest;
  /** Filled in as the steps go, so a failure still reports what was learnt. */
  result: ValidationResult;
  deadline: number;
  abort: AbortController;
  /** Poll settings with what is left of the deadline. */
  waitSettings(): WaitSettings;
  /** Terminates the instance once, however often it is called (signal handler and cleanup both do). */
  terminate(): Promise<void>;
}

interface Failure {
  step: ValidationStep;
  message: string;
  cause?: unknown;
}

type Step = (run: ValidationRun) => Promise<void>;

/** The validation's stages in order; a stage fails by throwing, and the steps after it do not run. */
const STEPS: ReadonlyArray<readonly [ValidationStep, Step]> = [
  ['image-available', waitForImage],
  ['launch', launchInstance],
  ['instance-status', waitForStatusChecks],
  ['windows-ready', waitForWindows],
  ['ssm-online', waitForSsmAgent],
  ['smoke-tests', runSmokeTests],
];

/** The gates after the smoke tests, each only when the request asks for it. */
function gatesFor(request: ValidationRequest): ReadonlyArray<readonly [ValidationStep, Step]> {
  return [
    ...(request.patchCompliance ? [['patch-compliance', gatePatchCompliance] as const] : []),
    ...(request.inspector ? [['inspector-findings', gateInspectorFindings] as const] : []),
  ];
}

/** Launches, checks and terminates one validation instance; resolves with the result or throws ValidationError. */
export async function validateAmi(
  request: ValidationRequest,
  deps: ValidationDeps,
): Promise<ValidationResult> {
  const run = startRun(request, deps);
  const signals = deps.signals === undefined ? processSignals() : deps.signals;
  const removeSignalHandlers = signals ? terminateOnSignal(run, signals) : () => undefined;
  let failure: Failure | undefined;
  try {
    failure = await runSteps(run);
  } finally {
    removeSignalHandlers();
    failure = await endInstance(run, failure, deps.now ?? Date.now);
  }
  if (failure) throw validationFailed(run, failure);
  return run.result;
}

function startRun(request: ValidationRequest, deps: ValidationDeps): ValidationRun {
  const deadline = Date.now() + request.timeoutMs;
  const abort = new AbortController();
  const delays = deps.delays ?? AWS_WAIT_DELAYS;
  const result: ValidationResult = {
    region: request.region,
    imageId: request.imageId,
    passed: false,
    steps: [],
    tests: [],
    terminated: false,
  };
  let termination: Promise<void> | undefined;
  const terminateInstance = async () => {
    if (!result.instanceId) return;
    await deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [result.instanceId] }));
    result.terminated = true;
  };
  return {
    ec2: deps.ec2,
    ssm: deps.ssm,
    inspector2: deps.inspector2,
    request,
    result,
    deadline,
    abort,
    waitSettings: () => ({
      ...delays,
      maxWaitMs: Math.max(deadline - Date.now(), 1),
      onProgress: deps.onProgress,
      signal: abort.signal,
    }),
    terminate: () => {
      termination ??= terminateInstance();
      return termination;
    },
  };
}

/** On SIGTERM/SIGINT: stop waiting, terminate the instance, exit. Returns the function that removes the handlers. */
function terminateOnSignal(run: ValidationRun, signals: SignalHooks): () => void {
  const onSignal = (signal: NodeJS.Signals) => () => {
    run.abort.abort(new Error(signal));
    void run
      .terminate()
      .catch(() => undefined)
      .finally(() => signals.exit(SIGNAL_CODES[signal] ?? 1));
  };
  const listeners = (['SIGTERM', 'SIGINT'] as const).map((signal) => [signal, onSignal(signal)] as const);
  for (const [signal, listener] of listeners) signals.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) signals.off(signal, listener);
  };
}

/** Runs {@link STEPS}, timing each; returns the first failure, or undefined when all passed. */
async function runSteps(run: ValidationRun): Promise<Failure | undefined> {
  let current: ValidationStep = 'image-available';
  try {
    for (const [name, step] of [...STEPS, ...gatesFor(run.request)]) {
      current = name;
      const began = Date.now();
      await step(run);
      run.result.steps.push({ step: name, durationMs: Date.now() - began });
    }
    run.result.passed = true;
    return undefined;
  } catch (error) {
    return { step: current, message: describeError(error), cause: error };
  }
}

/**
 * Keeps the instance of a failed validation when asked to (never on success, never after a signal), else
 * terminates it. Keeping tags the expiry first: an instance that cannot carry it is terminated, as sweep
 * would otherwise have only the run's timeout to go by.
 */
async function endInstance(
  run: ValidationRun,
  failure: Failure | undefined,
  now: () => number,
): Promise<Failure | undefined> {
  const minutes = run.request.keepOnFailureMinutes ?? 0;
  const instanceId = run.result.instanceId;
  if (!failure || minutes <= 0 || !instanceId || run.abort.signal.aborted)
    return terminateAfter(run, failure);
  const keptUntil = new Date(now() + minutes * 60_000).toISOString();
  try {
    await run.ec2.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.keepUntil, Value: keptUntil }] }),
    );
  } catch (error) {
    const note = `could not keep ${instanceId} (${describeError(error)}), terminating it`;
    return terminateAfter(run, { ...failure, message: `${failure.message}; ${note}` });
  }
  run.result.keptUntil = keptUntil;
  return failure;
}

/** Terminates the instance; a failure to do so is added to the step's failure, or becomes the failure. */
async function terminateAfter(
  run: ValidationRun,
  failure: Failure | undefined,
): Promise<Failure | undefined> {
  try {
    await run.terminate();
    return failure;
  } catch (error) {
    const message = `could not terminate ${run.result.instanceId}: ${describeError(error)}; \`hephestus ami sweep\` will`;
    return failure
      ? { ...failure, message: `${failure.message}; ${message}` }
      : { step: 'terminate', message, cause: error };
  }
}

/** Records the failure in the result, marks the tests that did not run as skipped, and builds the error. */
function validationFailed(run: ValidationRun, failure: Failure): ValidationError {
  const { result, request } = run;
  result.passed = false;
  result.failedStep = failure.step;
  result.message = failure.message;
  for (const test of request.smokeTests.slice(result.tests.length)) {
    result.tests.push(skipped(test, `not run: the validation failed at ${failure.step}`));
  }
  return new ValidationError(failure.step, failure.message, result, { cause: failure.cause });
}

/** The instance the launch step started; every step after it has one. */
function launchedInstance(run: ValidationRun): string {
  const instanceId = run.result.instanceId;
  if (!instanceId) throw new StepFailure('no instance was launched');
  return instanceId;
}

async function waitForImage(run: ValidationRun): Promise<void> {
  const { imageId } = run.request;
  await sdkWait(
    `${imageId} available`,
    waitUntilImageAvailable,
    run.ec2,
    { ImageIds: [imageId] },
    run.waitSettings(),
  );
}

async function launchInstance(run: ValidationRun): Promise<void> {
  run.result.instanceId = await launch(run.ec2, run.request);
}

async function waitForStatusChecks(run: ValidationRun): Promise<void> {
  const instanceId = launchedInstance(run);
  // All instances: a terminated one must show as such (and end the wait), not vanish from the answer.
  const input = { InstanceIds: [instanceId], IncludeAllInstances: true };
  try {
    await sdkWait(
      `${instanceId} instance status ok`,
      waitUntilInstanceStatusOk,
      run.ec2,
      input,
      run.waitSettings(),
    );
    await sdkWait(
      `${instanceId} system status ok`,
      waitUntilSystemStatusOk,
      run.ec2,
      input,
      run.waitSettings(),
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    throw new StepFailure(`${error.message}; status checks: ${await statusChecks(run.ec2, instanceId)}`);
  }
}

async function waitForWindows(run: ValidationRun): Promise<void> {
  const instanceId = launchedInstance(run);
  const readyText = run.request.readyText ?? 'Windows is Ready to use';
  await poll(
    `"${readyText}" in the console of ${instanceId}`,
    async () => {
      const { Output } = await run.ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
      const text = Output ? Buffer.from(Output, 'base64').toString('utf8') : '';
      return text.includes(readyText)
        ? { done: true, value: undefined }
        : { done: false, seen: lastLine(text) };
    },
    run.waitSettings(),
  );
}

async function waitForSsmAgent(run: ValidationRun): Promise<void> {
  const instanceId = launchedInstance(run);
  await poll(
    `SSM agent of ${instanceId} online`,
    async () => {
      const ping = await pingStatus(run.ssm, instanceId);
      return ping === 'Online'
        ? { done: true, value: undefined }
        : { done: false, seen: ping ?? 'not registered' };
    },
    run.waitSettings(),
  );
}

/** Runs every smoke test while time is left (skipping the rest); fails when any did not pass. */
async function runSmokeTests(run: ValidationRun): Promise<void> {
  const instanceId = launchedInstance(run);
  const { request, result } = run;
  for (const test of request.smokeTests) {
    if (run.abort.signal.aborted) break;
    if (Date.now() >= run.deadline) {
      result.tests.push(skipped(test, 'the validation timed out before this test ran'));
      continue;
    }
    result.tests.push(await runSmokeTest(run.ssm, instanceId, test, run.waitSettings()));
  }
  const failed = result.tests.filter((test) => test.outcome !== 'passed');
  if (failed.length > 0) {
    throw new StepFailure(
      `${failed.length} of ${request.smokeTests.length} smoke tests failed: ${failed.map((t) => t.name).join(', ')}`,
    );
  }
}

/** Scans the instance's patches; fails on what the thresholds do not allow, listing the patches not in. */
async function gatePatchCompliance(run: ValidationRun): Promise<void> {
  const settings = run.request.patchCompliance;
  if (!settings) return;
  const report = await checkPatchCompliance(run.ssm, launchedInstance(run), settings, run.waitSettings());
  run.result.patches = report;
  if (report.violations.length === 0) return;
  const listed = report.noncompliant.map(describePatch).join(', ');
  throw new StepFailure(`${report.violations.join('; ')}${listed ? `; not installed: ${listed}` : ''}`);
}

/** Reads Inspector's findings for the instance; fails on any at or above the configured severity. */
async function gateInspectorFindings(run: ValidationRun): Promise<void> {
  const settings = run.request.inspector;
  if (!settings) return;
  if (!run.inspector2) throw new StepFailure('the Inspector gate is on but no Inspector client was given');
  const findings = await instanceFindings(run.inspector2, launchedInstance(run));
  const report = evaluateFindings(findings, settings.failOn);
  run.result.findings = report;
  if (report.blocking.length === 0) return;
  throw new StepFailure(
    `${report.blocking.length} Inspector findings of ${settings.failOn} or worse: ${report.blocking.map(describeFinding).join(', ')}`,
  );
}

async function launch(ec2: EC2Client, request: ValidationRequest): Promise<string> {
  const tags: Tag[] = [
    { Key: 'Name', Value: `hephestus-validate-${request.imageId}` },
    ...(request.tags ?? []),
    // SSM scans against the baseline registered for the instance's patch group.
    ...(request.patchCompliance?.patchGroup
      ? [{ Key: 'PatchGroup', Value: request.patchCompliance.patchGroup }]
      : []),
    { Key: TAG.validates, Value: request.imageId },
    { Key: TAG.timeoutMinutes, Value: String(Math.ceil(request.timeoutMs / 60_000)) },
  ];
  const profile = request.instanceProfile;
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: request.imageId,
      InstanceType: request.instanceType as never,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: request.subnetId,
      SecurityGroupIds: request.securityGroupIds?.length ? request.securityGroupIds : undefined,
      IamInstanceProfile: profile
        ? profile.startsWith('arn:')
          ? { Arn: profile }
          : { Name: profile }
        : undefined,
      // IMDSv2 only: the instance runs third-party software; a token-less metadata endpoint leaks its role.
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      // A shutdown from inside (or a crashed test) must not leave a stopped instance and its volume behind.
      InstanceInitiatedShutdownBehavior: 'terminate',
      ClientToken: randomUUID(),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    }),
  );
  const instanceId = Instances[0]?.InstanceId;
  if (!instanceId) throw new StepFailure('RunInstances returned no instance');
  return instanceId;
}

async function statusChecks(ec2: EC2Client, instanceId: string): Promise<string> {
  try {
    const { InstanceStatuses = [] } = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
    );
    const status = InstanceStatuses[0];
    if (!status) return 'not reported';
    return `instance ${status.InstanceStatus?.Status ?? '?'}, system ${status.SystemStatus?.Status ?? '?'} (${status.InstanceState?.Name ?? '?'})`;
  } catch (error) {
    return `unknown (${describeError(error)})`;
  }
}

async function pingStatus(ssm: SSMClient, instanceId: string): Promise<string | undefined> {
  const pages = paginateDescribeInstanceInformation(
    { client: ssm },
    { Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] },
  );
  for await (const page of pages) {
    const found = page.InstanceInformationList?.find((info) => info.InstanceId === instanceId);
    if (found) return found.PingStatus;
  }
  return undefined;
}

/** Runs one smoke test through SSM and reads its output; an error of SSM's own is the test's `error` outcome. */
async function runSmokeTest(
  ssm: SSMClient,
  instanceId: string,
  test: SmokeTest,
  settings: WaitSettings,
): Promise<SmokeTestResult> {
  const began = Date.now();
  try {
    const commandId = await sendSmokeTest(ssm, instanceId, test, settings);
    const invocation = await finishedInvocation(
      ssm,
      { instanceId, commandId },
      `smoke test ${test.name} on ${instanceId}`,
      settings,
    );
    return smokeTestResult(test, invocation, Date.now() - began);
  } catch (error) {
    return {
      name: test.name,
      outcome: 'error',
      stdout: '',
      stderr: '',
      truncated: false,
      durationMs: Date.now() - began,
      message: describeError(error),
    };
  }
}

/** Sends the script as an `AWS-RunPowerShellScript` command; returns the command id. */
async function sendSmokeTest(
  ssm: SSMClient,
  instanceId: string,
  test: SmokeTest,
  settings: WaitSettings,
): Promise<string> {
  const timeoutSeconds = Math.max(Math.ceil(settings.maxWaitMs / 1000), 30);
  const { Command } = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunPowerShellScript',
      InstanceIds: [instanceId],
      Comment: `hephestus smoke test ${test.name}`.slice(0, 100),
      TimeoutSeconds: timeoutSeconds,
      Parameters: {
        // Without Stop, a failing cmdlet prints an error and the script goes on to exit 0.
        commands: ["$ErrorActionPreference = 'Stop'", ...test.script.split(/\r?\n/)],
        executionTimeout: [String(timeoutSeconds)],
      },
    }),
  );
  const commandId = Command?.CommandId;
  if (!commandId) throw new Error('SendCommand returned no command id');
  return commandId;
}

type Invocation = GetCommandInvocationCommandOutput;

/** What a finished invocation says about the test. */
function smokeTestResult(test: SmokeTest, invocation: Invocation, durationMs: number): SmokeTestResult {
  const stdout = invocation.StandardOutputContent ?? '';
  const stderr = invocation.StandardErrorContent ?? '';
  const truncated = isTruncated(stdout, SSM_STDOUT_LIMIT) || isTruncated(stderr, SSM_STDERR_LIMIT);
  const passed = invocation.Status === 'Success';
  const notes = [
    passed ? undefined : `${invocation.Status}, exit code ${invocation.ResponseCode ?? '?'}`,
    truncated
      ? `output truncated by SSM (it keeps ${SSM_STDOUT_LIMIT.toLocaleString('en-US')} characters of standard output and ${SSM_STDERR_LIMIT.toLocaleString('en-US')} of standard error)`
      : undefined,
  ].filter((note): note is string => note !== undefined);
  return {
    name: test.name,
    outcome: passed ? 'passed' : 'failed',
    status: invocation.Status,
    exitCode: invocation.ResponseCode,
    stdout,
    stderr,
    truncated,
    durationMs,
    message: notes.length > 0 ? notes.join('; ') : undefined,
  };
}

/** SSM cuts at its limit without a marker, so output exactly that long is taken as cut. */
function isTruncated(output: string, limit: number): boolean {
  return output.length >= limit;
}

function skipped(test: SmokeTest, message: string): SmokeTestResult {
  return {
    name: test.name,
    outcome: 'skipped',
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: 0,
    message,
  };
}

function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.at(-1)?.slice(0, 200);
}

function describeError(error: unknown): string {
  if (error instanceof Error)
    return error.name &&
      error.name !== 'Error' &&
      !(error instanceof HephestusError) &&
      !(error instanceof StepFailure)
      ? `${error.name}: ${error.message}`
      : error.message;
  return String(error);
}

function processSignals(): SignalHooks {
  return {
    on: (signal, listener) => process.on(signal, listener),
    off: (signal, listener) => process.off(signal, listener),
    exit: (code) => process.exit(code),
  };
}
