/**
 * What a Packer run needs before it starts: its environment, the `-var` values the template declares, its
 * plugins, and a template that builds one image's AMIs, not several.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packerCredentials } from '../aws/packer-credentials.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import { awsPolling, awsPollingEnv } from '../packer/aws-polling.js';
import { inspectBuilds } from '../packer/inspect-builds.js';
import { packerInit } from '../packer/packer-init.js';
import { requiredPluginsAt } from '../packer/template-facts.js';
import { readTemplateFiles } from '../packer/template-files.js';
import { type Checkout, repoPath } from '../update/checkout.js';

/** Packer's environment: the job's, with the Packer role's credentials in place of the job's own, and AMI and copy waits sized for Windows on every endpoint. */
export function packerEnv(context: FlowContext, config: HephestusConfig): NodeJS.ProcessEnv {
  return {
    ...context.env,
    ...packerCredentials(context.env).env,
    ...awsPollingEnv(awsPolling(config.packer, context.env)),
  };
}

/** `-var` values the template declares: the EC2 endpoint (when overridden), regions and commit. */
export async function packerVars(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
): Promise<Record<string, string>> {
  const declared = await declaredVariables(
    repoPath(checkout.dir, image.template, `images.${image.name}.template`),
  );
  const vars: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && declared.has(name)) vars[name] = value;
  };
  set('aws_endpoint_ec2', context.endpoints.ec2);
  set('aws_region', image.regions[0]);
  set('ami_regions', JSON.stringify(image.regions.slice(1)));
  set('git_sha', checkout.sha);
  return vars;
}

/** Variable names declared in an HCL2 template file or directory; Packer refuses `-var` for undeclared ones. */
async function declaredVariables(template: string): Promise<Set<string>> {
  const files = (await stat(template)).isDirectory()
    ? (await readdir(template)).filter((f) => f.endsWith('.pkr.hcl')).map((f) => join(template, f))
    : [template];
  const names = new Set<string>();
  for (const file of files) {
    for (const match of (await readFile(file, 'utf8')).matchAll(/^\s*variable\s+"([^"]+)"/gm))
      names.add(match[1] as string);
  }
  return names;
}

/** `packer init` when the image's template declares `required_plugins` (exit 2 when this Packer is too old). */
export async function initPlugins(
  context: FlowContext,
  checkout: Checkout,
  packerVersion: string | undefined,
  image: ImageConfig,
): Promise<void> {
  const setting = `images.${image.name}.template`;
  const template = repoPath(checkout.dir, image.template, setting);
  const requiredPlugins = requiredPluginsAt(await readTemplateFiles(template, checkout.dir));
  if (requiredPlugins) context.logger.info(`packer init ${image.template} (it declares required_plugins)`);
  const init = await packerInit({
    requiredPlugins,
    version: packerVersion,
    template,
    setting,
    cwd: checkout.dir,
    env: packerEnv(context, checkout.config),
    passEnv: checkout.config.packer.pass_env,
    redact: (text) => context.logger.redact(text),
  });
  if (init === 'initialized') context.logger.info(`packer init ${image.template}: plugins installed`);
}

/**
 * Refuses (exit 2) an image without `build:` whose template defines more than one build: Packer would run them
 * all, and all but one would make AMIs no image owns.
 */
export async function refuseAmbiguousBuilds(
  context: FlowContext,
  checkout: Checkout,
  images: readonly ImageConfig[],
): Promise<void> {
  for (const image of images.filter((i) => !i.build)) {
    const builds = await inspectBuilds({
      template: repoPath(checkout.dir, image.template, `images.${image.name}.template`),
      cwd: checkout.dir,
      env: packerEnv(context, checkout.config),
      passEnv: checkout.config.packer.pass_env,
    });
    if (builds.length > 1) {
      throw new InputError(
        `${image.template} defines ${builds.length} builds (${builds.join(', ')}); name the one of ${image.name} with build:`,
        { setting: `images.${image.name}.build` },
      );
    }
  }
}
