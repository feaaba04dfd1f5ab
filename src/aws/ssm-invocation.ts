/** Waiting for an SSM Run Command invocation on one instance: the smoke tests and the patch scan both do. */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { poll, type WaitSettings } from './waits.js';

const FINAL_STATUSES = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'Cancelling']);

export interface InvocationRef {
  instanceId: string;
  commandId: string;
  /** The step to read, which SSM requires for documents of several steps (AWS-RunPatchBaseline). */
  pluginName?: string;
}

/** Polls the invocation until SSM reports a final status; `what` names it in waits and timeouts. */
export function finishedInvocation(
  ssm: SSMClient,
  invocation: InvocationRef,
  what: string,
  settings: WaitSettings,
): Promise<GetCommandInvocationCommandOutput> {
  const input = {
    CommandId: invocation.commandId,
    InstanceId: invocation.instanceId,
    ...(invocation.pluginName ? { PluginName: invocation.pluginName } : {}),
  };
  return poll(
    what,
    async () => {
      try {
        const answer = await ssm.send(new GetCommandInvocationCommand(input));
        return FINAL_STATUSES.has(answer.Status ?? '')
          ? { done: true, value: answer }
          : { done: false, seen: answer.Status };
      } catch (error) {
        // Right after SendCommand the invocation may not exist yet.
        if ((error as Error).name === 'InvocationDoesNotExist')
          return { done: false, seen: 'not yet delivered' };
        throw error;
      }
    },
    settings,
  );
}
