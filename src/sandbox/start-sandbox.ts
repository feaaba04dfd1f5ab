/**
 * Starts the whole sandbox in this process: GitHub (REST and git smart HTTP), Slack, the CircleCI API, EC2 and SSM,
 * Inspector, each on its own loopback port, with the images and service repositories seeded. Used by `hephestus sandbox up`,
 * `hephestus demo` and the end-to-end tests; never by a production run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SANDBOX_ACCOUNT_ID,
  SANDBOX_AWS_CREDENTIALS,
  SANDBOX_PACKER_AWS_CREDENTIALS,
} from './aws/aws-auth.js';
import { createEc2Service, type Ec2ServiceOptions } from './aws/ec2.js';
import { createInspectorService } from './aws/inspector2.js';
import { createOidcIssuer, SANDBOX_ORG_ID } from './aws/oidc-issuer.js';
import { createSsmService } from './aws/ssm.js';
import { createStsService } from './aws/sts.js';
import { createCircleCIService } from './circleci/circleci-service.js';
import { createGitHubService, type GitHubServiceOptions } from './github/github-service.js';
import { listen, type RunningServer } from './http.js';
import { seedDirs } from './seed-repos.js';
import type { Shaping } from './shaping.js';
import { createSlackService } from './slack/slack-service.js';

export const SANDBOX_OWNER = 'acme';
export const IMAGES_REPO = `${SANDBOX_OWNER}/windows-images`;
export const SERVICE_REPO = `${SANDBOX_OWNER}/vm-manager`;
export const SANDBOX_REGION = 'us-east-1';
/** The role CircleCI jobs of the sandbox's organization may assume with their OIDC token. */
export const SANDBOX_CI_ROLE_ARN = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/hephestus-ci`;

export interface SandboxOptions {
  /** Where the bare repositories live; a fresh temporary directory by default (removed on stop). */
  dir?: string;
  /** Seed the images and service repositories (default true). */
  seed?: boolean;
  ec2?: Ec2ServiceOptions;
  github?: Pick<GitHubServiceOptions, 'observe' | 'login'>;
  /** Slack channels the bot is a member of. */
  slackChannels?: string[];
  /** Round-trip latency and per-connection bandwidth between clients and every service alike (shaping.ts). */
  shaping?: Shaping;
}

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Starts every service on free ports; `stop()` closes them (and removes the temporary directory it made). */
export async function startSandbox(options: SandboxOptions = {}) {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'hephestus-sandbox-')));
  const tokens = {
    github: `ghs_sandbox_${randomBytes(12).toString('hex')}`,
    slack: `xoxb-sandbox-${randomBytes(12).toString('hex')}`,
    circleci: `CCIPAT_sandbox_${randomBytes(12).toString('hex')}`,
  };

  const github = createGitHubService({
    reposDir: path.join(dir, 'repos'),
    token: tokens.github,
    ...options.github,
  });
  const slack = createSlackService({
    token: tokens.slack,
    ...(options.slackChannels ? { channels: options.slackChannels } : {}),
  });
  const circleci = createCircleCIService({
    token: tokens.circleci,
    projects: [`gh/${IMAGES_REPO}`, `gh/${SERVICE_REPO}`],
  });
  // One list of accepted access keys, shared: STS adds each session's temporary key to it.
  const accessKeyIds = [
    ...(options.ec2?.accessKeyIds ?? [
      SANDBOX_AWS_CREDENTIALS.accessKeyId,
      SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
    ]),
  ];
  const ec2 = createEc2Service({ ...options.ec2, accessKeyIds });
  const ssm = createSsmService(
    {
      log: () => undefined,
      accessKeyIds,
      ...(options.ec2?.authorize ? { authorize: options.ec2.authorize } : {}),
    },
    ec2,
  );
  const inspector2 = createInspectorService(
    { accessKeyIds, ...(options.ec2?.authorize ? { authorize: options.ec2.authorize } : {}) },
    ec2,
  );
  const oidc = createOidcIssuer();
  const sts = createStsService({
    issuer: oidc,
    roles: [
      {
        arn: SANDBOX_CI_ROLE_ARN,
        maxSessionDuration: 7200,
        subjectLike: `org/${SANDBOX_ORG_ID}/project/*`,
      },
    ],
    accessKeyIds,
  });

  const servers: RunningServer[] = [];
  try {
    const started = await Promise.all(
      [
        github.router,
        slack.router,
        circleci.router,
        ec2.router,
        ssm.router,
        sts.router,
        inspector2.router,
      ].map((router) =>
        // Each service its own copy: a shaped front reads its shaping live, and reshaping one must not move all.
        listen(router.listener, options.shaping ? { shaping: { ...options.shaping } } : {}),
      ),
    );
    servers.push(...started);
    const [githubServer, slackServer, circleciServer, ec2Server, ssmServer, stsServer, inspectorServer] =
      started as RunningServer[];
    const urls = {
      github: (githubServer as RunningServer).url,
      slack: `${(slackServer as RunningServer).url}/api/`,
      circleci: (circleciServer as RunningServer).url,
      ec2: (ec2Server as RunningServer).url,
      ssm: (ssmServer as RunningServer).url,
      sts: (stsServer as RunningServer).url,
      inspector2: (inspectorServer as RunningServer).url,
    };
    if (options.seed !== false) {
      await github.seedRepo(IMAGES_REPO, seedDirs.imagesRepo);
      await github.seedRepo(SERVICE_REPO, seedDirs.serviceRepo);
    }

    /** The environment that points hephestus (and any AWS SDK, git or curl) at the sandbox. */
    const env: Record<string, string> = {
      GITHUB_API_URL: urls.github,
      GITHUB_SERVER_URL: urls.github,
      GITHUB_TOKEN: tokens.github,
      SLACK_API_URL: urls.slack,
      SLACK_ACCESS_TOKEN: tokens.slack,
      CIRCLECI_HOST: urls.circleci,
      CIRCLE_TOKEN: tokens.circleci,
      AWS_ENDPOINT_URL_EC2: urls.ec2,
      AWS_ENDPOINT_URL_SSM: urls.ssm,
      AWS_ENDPOINT_URL_STS: urls.sts,
      AWS_ENDPOINT_URL_INSPECTOR2: urls.inspector2,
      AWS_ACCESS_KEY_ID: SANDBOX_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_AWS_CREDENTIALS.secretAccessKey,
      // Packer gets its own credentials (the packer role), as docs/setup.md asks of a real setup.
      HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID: SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
      HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY: SANDBOX_PACKER_AWS_CREDENTIALS.secretAccessKey,
      AWS_REGION: SANDBOX_REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
      // This GitHub asks no pacing of writes, and this EC2's clock runs fast: poll it as often as it changes.
      HEPHESTUS_GITHUB_PACING: 'off',
      HEPHESTUS_AWS_POLL_SECONDS: '0.02,0.2',
    };

    return {
      dir,
      tokens,
      urls,
      env,
      github,
      slack,
      circleci,
      ec2,
      ssm,
      sts,
      inspector2,
      /** CircleCI's OIDC issuer: `oidc.mint()` is a job's $CIRCLE_OIDC_TOKEN_V2. */
      oidc,
      /** The HTTPS-free clone URL of `owner/name` (credentials go in a header, never here). */
      cloneUrl: (fullName: string) => `${urls.github}${github.clonePath(fullName)}`,
      /** Every service's listening server (its shaping and what the shaping front carried), by name. */
      servers: Object.fromEntries(
        Object.keys(urls).map((name, i) => [name, started[i] as RunningServer]),
      ) as Record<keyof typeof urls, RunningServer>,
      async stop(): Promise<void> {
        await Promise.all(servers.map((server) => server.close()));
        if (ownDir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
