/** `hephestus trigger`: starts a pipeline in another CircleCI project, its parameters checked before sending. */
import { CircleCIClient } from '../../circleci/circleci-client.js';
import { checkPipelineParameters } from '../../circleci/pipeline-parameters.js';
import type { PipelineParameterValue } from '../../circleci/schema.js';
import { InputError } from '../../errors.js';
import { jsonObject } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';

export interface TriggerOptions {
  projectSlug: string;
  branch?: string;
  tag?: string;
  definitionId?: string;
  parameters: string;
  dryRun?: boolean;
}

const SLUG = /^(gh|github|bb|bitbucket|gl|gitlab)\/[\w.-]+\/[\w.-]+$|^circleci\/[\w-]+\/[\w-]+$/;

/** Triggers the pipeline (or, with `dryRun`, prints the request); exit 2 on a parameter CircleCI would refuse. */
export async function triggerCommand(
  options: TriggerOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  if (!SLUG.test(options.projectSlug)) {
    throw new InputError(
      `${JSON.stringify(options.projectSlug)} is not a project slug (gh/owner/name, bb/owner/name or circleci/<org-id>/<project-id>)`,
      { setting: '--project-slug' },
    );
  }
  const parameters = pipelineParameters(options.parameters);
  checkPipelineParameters(parameters, '--parameters');
  const branch = options.branch || undefined;
  const definitionId = options.definitionId || undefined;
  if (definitionId && options.tag) {
    throw new InputError('a pipeline definition runs on a branch; --tag goes with the classic trigger only', {
      setting: '--tag',
    });
  }
  const request = {
    projectSlug: options.projectSlug,
    ...(definitionId ? { definitionId } : {}),
    ...(branch ? { branch } : {}),
    ...(options.tag ? { tag: options.tag } : {}),
    parameters,
  };
  if (options.dryRun) {
    if (json) logger.result({ ok: true, dryRun: true, request });
    else logger.result(`would trigger ${describe(request)} (dry run, nothing sent)`);
    return;
  }
  const client = CircleCIClient.fromEnv(process.env);
  const pipeline = definitionId
    ? await client.runPipeline({
        projectSlug: options.projectSlug,
        definitionId,
        configBranch: branch,
        parameters,
      })
    : await client.triggerPipeline({
        projectSlug: options.projectSlug,
        branch,
        tag: options.tag,
        parameters,
      });
  if (json) logger.result({ ok: true, dryRun: false, request, pipeline });
  else
    logger.result(
      `triggered pipeline ${pipeline.number} (${pipeline.id}, ${pipeline.state}): ${describe(request)}`,
    );
}

/** The parameters JSON, each value a string, number or boolean as CircleCI takes them. */
function pipelineParameters(text: string): Record<string, PipelineParameterValue> {
  const parsed = jsonObject(text, '--parameters');
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InputError(`pipeline parameter ${JSON.stringify(key)} must be a string, number or boolean`, {
        setting: `--parameters.${key}`,
      });
    }
  }
  return parsed as Record<string, PipelineParameterValue>;
}

function describe(request: {
  projectSlug: string;
  branch?: string;
  tag?: string;
  parameters: object;
}): string {
  const where = request.tag
    ? `tag ${request.tag}`
    : request.branch
      ? `branch ${request.branch}`
      : 'the default branch';
  return `${request.projectSlug} on ${where} with ${JSON.stringify(request.parameters)}`;
}
