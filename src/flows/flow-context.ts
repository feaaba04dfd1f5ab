/**
 * What every flow shares: the options of `hephestus run`, the environment, secrets and endpoints, the clients
 * (built once, on first use), the logger, and dry-run. A flow receives one of these and nothing global.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { type AwsClients, awsClientsPerRegion } from '../aws/ec2-client.js';
import { awsWaitDelaysFromEnv } from '../aws/waits.js';
import { CircleCIClient } from '../circleci/circleci-client.js';
import { type Endpoints, readEndpoints, readSecrets, type Secrets } from '../config/secrets.js';
import { ExitCode, InputError } from '../errors.js';
import { GitHubClient } from '../github/github-client.js';
import { PullRequests } from '../github/pull-requests.js';
import { Logger } from '../log/logger.js';
import { SlackNotifier } from '../slack/slack-notifier.js';
import type { FlowReportBase } from './flow-report.js';

type Env = Record<string, string | undefined>;

/** The options of `hephestus run <flow>`, as parsed from the command line. */
export interface FlowOptions {
  /** Configuration file, relative to the clone's root. Default `hephestus.yml`. */
  config?: string;
  /** `owner/name`; CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME by default. */
  repo?: string;
  /** CIRCLE_BRANCH by default. */
  branch?: string;
  /** CIRCLE_SHA1 by default. */
  sha?: string;
  /** Image names (`win2022,win2019`), `name=ami` pairs, or a JSON object of image to AMI(s). */
  images?: string;
  force?: boolean;
  dryRun?: boolean;
  /** Where build-validate writes the smoke tests' JUnit XML. */
  junit?: string;
  /** A directory for build-validate's packer log and parsed artifacts. */
  artifacts?: string;
  /**
   * How bump-consumer commits: in a clone pushed with git (default), or through GitHub's contents and git data
   * API (no clone, but four content-creating requests per consumer and no compare-and-swap on the ref).
   */
  via?: 'clone' | 'api';
  /** revoke: the image set, the AMIs (`--ami`, repeatable: the first channel's by default) and why. */
  image?: string;
  ami?: string[];
  reason?: string;
  /** bump-consumer: the update is a rollback after revoke (its `rollback_reason` and `rollback_url` parameters). */
  rollbackReason?: string;
  rollbackUrl?: string;
}

export interface RepositoryName {
  owner: string;
  repo: string;
  fullName: string;
}

export interface FlowContextInit {
  options: FlowOptions;
  env?: Env;
  logger?: Logger;
}

/** Shared state of one flow run. */
export class FlowContext {
  readonly options: FlowOptions;
  readonly env: Env;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly endpoints: Endpoints;
  readonly dryRun: boolean;
  private githubClient?: GitHubClient;
  private slackNotifier?: SlackNotifier | null;
  private circleciClient?: CircleCIClient;
  private awsClients?: (region: string) => AwsClients;
  private readonly workDirs: string[] = [];

  constructor(init: FlowContextInit) {
    this.options = init.options;
    this.env = init.env ?? process.env;
    this.logger = init.logger ?? new Logger();
    this.secrets = readSecrets(this.env);
    this.endpoints = readEndpoints(this.env);
    this.dryRun = init.options.dryRun === true;
  }

  /** The repository the flow runs on: `--repo`, else the CircleCI project. */
  repository(): RepositoryName {
    const given =
      this.options.repo ??
      (this.env.CIRCLE_PROJECT_USERNAME && this.env.CIRCLE_PROJECT_REPONAME
        ? `${this.env.CIRCLE_PROJECT_USERNAME}/${this.env.CIRCLE_PROJECT_REPONAME}`
        : undefined);
    if (!given) {
      throw new InputError(
        'no repository: pass --repo owner/name (CircleCI sets CIRCLE_PROJECT_USERNAME/_REPONAME)',
        {
          setting: '--repo',
        },
      );
    }
    return parseRepository(given, '--repo');
  }

  /** `--branch`, else CIRCLE_BRANCH. */
  branch(): string | undefined {
    return this.options.branch ?? nonEmpty(this.env.CIRCLE_BRANCH);
  }

  /** `--sha`, else CIRCLE_SHA1. */
  sha(): string | undefined {
    return this.options.sha ?? nonEmpty(this.env.CIRCLE_SHA1);
  }

  /** The GitHub token; InputError when none is set. */
  githubToken(): string {
    const token = this.secrets.github?.token;
    if (!token) throw new InputError('no GitHub token: set GITHUB_TOKEN', { setting: 'GITHUB_TOKEN' });
    return token;
  }

  github(): GitHubClient {
    this.githubClient ??= GitHubClient.fromEnv(this.env, {
      redactor: this.logger.redactor,
      log: { warn: (message) => this.logger.warn(message) },
    });
    return this.githubClient;
  }

  pullRequests(repository: RepositoryName): PullRequests {
    return new PullRequests(this.github(), { owner: repository.owner, repo: repository.repo });
  }

  /** The Slack notifier, or undefined when no Slack token is set (notices are then skipped with a warning). */
  slack(): SlackNotifier | undefined {
    if (this.slackNotifier === undefined) {
      this.slackNotifier = this.secrets.slack
        ? SlackNotifier.fromEnv(this.env, { logger: this.logger, redactor: this.logger.redactor })
        : null;
      if (!this.slackNotifier) this.logger.warn('no Slack token set: Slack notices are skipped');
    }
    return this.slackNotifier ?? undefined;
  }

  circleci(): CircleCIClient {
    this.circleciClient ??= CircleCIClient.fromEnv(this.env, { redactor: this.logger.redactor });
    return this.circleciClient;
  }

  aws(region: string): AwsClients {
    this.awsClients ??= awsClientsPerRegion({ env: this.env });
    return this.awsClients(region);
  }

  /** EC2 client per region, the shape the AMI modules take. */
  readonly ec2For = (region: string): EC2Client => this.aws(region).ec2;

  /** Poll delays: AWS-sized, or HEPHESTUS_AWS_POLL_SECONDS. */
  waitDelays(): { minDelayMs: number; maxDelayMs: number } {
    return awsWaitDelaysFromEnv(this.env);
  }

  /** A fresh scratch directory, removed by {@link dispose}. */
  async workDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(this.env.HEPHESTUS_WORK_DIR ?? tmpdir(), `hephestus-${prefix}-`));
    this.workDirs.push(dir);
    return dir;
  }

  /** Says what a dry run would have done. */
  wouldDo(action: string): void {
    this.logger.info(`dry run: would ${action}`);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** What a flow's report starts with besides its own fields: where it ran, an exit code of 0, nothing done yet. */
type StartedFields = 'repository' | 'dryRun' | 'exitCode' | 'summary' | 'slack';

/**
 * A flow's report before its first step: `fields` (its name, first outcome and own fields) and the shared ones.
 * Here, not in flow-report.ts: the CLI reads FLOW_NAMES from there at start-up, and code shared by every flow
 * there would split it into one more bundle file for `hephestus --help` to load.
 */
export function startReport<Report extends FlowReportBase>(
  context: Pick<FlowContext, 'dryRun'>,
  repository: RepositoryName,
  fields: Omit<Report, StartedFields>,
): Report {
  const started: Pick<FlowReportBase, StartedFields> = {
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    summary: [],
    slack: [],
  };
  // Omit<Report, K> & Pick<Report, K> is a Report, which TypeScript cannot see through a type parameter.
  return { ...fields, ...started } as unknown as Report;
}

/** `owner/name` checked and split. */
export function parseRepository(value: string, setting: string): RepositoryName {
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(value);
  if (!match) throw new InputError(`not a repository (owner/name): ${JSON.stringify(value)}`, { setting });
  return { owner: match[1] as string, repo: match[2] as string, fullName: value };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
