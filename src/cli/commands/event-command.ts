/** `hephestus event`: the CLI face of {@link classifyEvent}. Offline unless the event is a push to the default branch. */
import {
  type ClassifiedEvent,
  classifyEvent,
  type EventInputs,
  eventInputsFromEnv,
  givenInputs,
  scalarParameters,
} from '../../circleci/classify-event.js';
import { InputError } from '../../errors.js';
import { circleRepository, jsonObject, optionalConfig } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';

export interface EventOptions {
  config?: string;
  triggerSource?: string;
  triggerType?: string;
  scheduleName?: string;
  gitBranch?: string;
  branch?: string;
  sha?: string;
  pullRequest?: string;
  parameters?: string;
  repository?: string;
  defaultBranch?: string;
  branchPrefix?: string;
}

/** Classifies the event from the environment and the flags (flags win) and prints it with its reasons. */
export async function eventCommand(options: EventOptions, { logger, json }: CommandContext): Promise<void> {
  const config = await optionalConfig(options.config);
  const inputs: EventInputs = { ...eventInputsFromEnv(process.env), ...flagInputs(options) };
  const repository = options.repository ?? config?.github.repository ?? circleRepository();
  const event: ClassifiedEvent = await classifyEvent(inputs, {
    defaultBranch: options.defaultBranch ?? config?.git.default_branch ?? 'main',
    branchPrefix: options.branchPrefix ?? config?.git.branch_prefix ?? 'windows-update/',
    // Built only when asked for, so every other event needs neither a token nor the network.
    findMergedPullRequest: async (sha) => {
      if (!repository) {
        throw new InputError(
          'a push to the default branch needs the repository to find its pull request: give --repository or github.repository',
          { setting: '--repository' },
        );
      }
      const [{ GitHubClient }, { PullRequests }] = await Promise.all([
        import('../../github/github-client.js'),
        import('../../github/pull-requests.js'),
      ]);
      const [owner = '', repo = ''] = repository.split('/');
      const prs = new PullRequests(GitHubClient.fromEnv(process.env), { owner, repo });
      const merged = await prs.mergedInto(options.defaultBranch ?? config?.git.default_branch ?? 'main', sha);
      return merged ? { number: merged.number, headRef: merged.headRef } : undefined;
    },
  });
  if (json) logger.result(event);
  else logger.result([event.kind, ...event.reasons.map((reason) => `  ${reason}`)].join('\n'));
}

/** The flags given, empty ones left out (see givenInputs). */
function flagInputs(options: EventOptions): EventInputs {
  const parameters = options.parameters?.trim()
    ? scalarParameters(jsonObject(options.parameters, '--parameters'))
    : undefined;
  return givenInputs({
    triggerSource: options.triggerSource,
    triggerType: options.triggerType,
    scheduleName: options.scheduleName,
    gitBranch: options.gitBranch,
    circleBranch: options.branch,
    sha: options.sha,
    pullRequestUrl: options.pullRequest,
    parameters,
  });
}

/** `owner/name` from CircleCI's project variables, when the job runs there. */
