/**
 * The `hephestus.yml` schema. The JSON Schema in docs/hephestus.schema.json is generated from this same
 * definition (`npm run schema`), so editors complete exactly what the CLI accepts.
 */
import { z } from 'zod';
import { AWS_REGIONS } from '../aws/regions.js';
import { isBranchName } from '../git/branch-name.js';
import { passThroughRefusal } from '../packer/packer-environment.js';
import { closestMatch } from './did-you-mean.js';

/** An AWS region from the list kept in code (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`). */
// An enum, so that the JSON Schema lists the regions for editors to complete.
export const RegionSchema = z.enum(AWS_REGIONS as readonly string[] as [string, ...string[]], {
  error: (issue) => {
    const suggestion = closestMatch(String(issue.input), AWS_REGIONS);
    return `${JSON.stringify(issue.input)} is not an AWS region${suggestion ? `; did you mean ${suggestion}?` : ' (e.g. us-east-1)'}`;
  },
});

/** An AMI id: `ami-` and 8 or 17 hex digits. */
export const AmiIdSchema = z.string().regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not an AMI id (ami- and 8 or 17 hex digits)`,
});

/** A branch name git accepts. */
export const BranchNameSchema = z.string().refine(isBranchName, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a branch name git accepts (no spaces, \`..\`, \`~^:?*[\\\`, leading \`-\`, trailing \`/\`, \`.\` or \`.lock\`)`,
});

/** A branch prefix: the update branch is the prefix and the image set's name, which git must accept. */
export const BranchPrefixSchema = z.string().refine((prefix) => isBranchName(`${prefix}image`), {
  error: (issue) =>
    `${JSON.stringify(issue.input)} does not make branch names git accepts (no spaces, \`..\`, \`~^:?*[\\\`, leading \`-\` or \`/\`)`,
});

const FormatSchema = z.enum(['edn', 'yaml', 'json', 'hcl']);

/** A value inside a file, addressed as `hephestus edit` addresses it. */
export const FileTargetSchema = z.strictObject({
  file: z.string().min(1).describe('Path of the file, relative to the repository root.'),
  path: z
    .string()
    .min(1)
    .describe(
      "Path inside the file in the format's own terms: EDN vector, JSON Pointer, or HCL dotted address.",
    ),
  format: FormatSchema.optional().describe('Format, when the file extension does not tell.'),
  embedded: FormatSchema.optional().describe(
    'The value at `path` is a string holding a document of this format.',
  ),
  inner_path: z.string().min(1).optional().describe('Path inside the embedded document (with `embedded`).'),
});

/** An SSM parameter name as Parameter Store writes a path: `/` then letters, digits, `.`, `_`, `-` and `/`. */
const ParameterNameSchema = z.string().regex(/^\/[a-zA-Z0-9_.\-/]+$/, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an SSM parameter path (a leading /, then letters, digits, ., _, - and /)`,
});

const BaseAmiSchema = z
  .strictObject({
    ssm_parameter: ParameterNameSchema.optional().describe(
      "A public SSM parameter naming the newest base AMI in each region, e.g. `/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base` (AWS's way to find the latest Windows AMI); instead of owners and filters.",
    ),
    owners: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Account ids or aliases (`amazon`), as Packer's amazon-ami data source; instead of ssm_parameter.",
      ),
    filters: z
      .record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]))
      // An `image-id` filter names AMIs exactly; a typo there would silently match nothing.
      .superRefine((filters, context) => {
        const ids = filters['image-id'];
        for (const [index, id] of (typeof ids === 'string' ? [ids] : (ids ?? [])).entries()) {
          const result = AmiIdSchema.safeParse(id);
          if (!result.success) {
            context.addIssue({
              code: 'custom',
              message: result.error.issues[0]?.message ?? 'not an AMI id',
              input: id,
              path: typeof ids === 'string' ? ['image-id'] : ['image-id', index],
            });
          }
        }
      })
      .optional()
      .describe(
        'EC2 DescribeImages filters, e.g. `name: Windows_Server-2022-English-Full-Base-*` (with owners).',
      ),
    pin: FileTargetSchema.describe('Where the images repository pins the base AMI id.'),
    region: RegionSchema.optional().describe(
      'Region whose base AMI is pinned; the first of `regions` by default.',
    ),
  })
  // Two ways to name the newest base AMI; both at once would leave it unclear which one the pin follows.
  .superRefine((base, context) => {
    const byQuery = base.owners !== undefined || base.filters !== undefined;
    if (base.ssm_parameter !== undefined && byQuery) {
      context.addIssue({
        code: 'custom',
        message: 'give either ssm_parameter or owners and filters, not both',
        path: ['ssm_parameter'],
      });
    } else if (base.ssm_parameter === undefined && base.owners === undefined) {
      context.addIssue({
        code: 'custom',
        message: base.filters
          ? "filters need owners (as Packer's amazon-ami data source)"
          : 'give ssm_parameter (e.g. /aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base), or owners and filters',
        path: base.filters ? ['owners'] : [],
      });
    }
  })
  .describe("Where the image's base AMI comes from and where its id is pinned.");

export const ImageSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, {
      error: 'image names are lower-case letters, digits, `.`, `_` and `-`',
    })
    .describe('Image name, used in branch names, tags and pipeline parameters.'),
  template: z.string().min(1).describe('Packer template file or directory.'),
  build: z.string().optional().describe('Packer build to run (`--only`), e.g. `amazon-ebs.win2022`.'),
  var_files: z.array(z.string()).default([]).describe('Packer variable files passed with `-var-file`.'),
  inputs: z
    .array(z.string())
    .default([])
    .describe('Files and globs whose content decides whether the image must be rebuilt.'),
  regions: z
    .array(RegionSchema)
    .min(1)
    .describe('Regions the AMI is built or copied to; the first is the build region.'),
  base_ami: BaseAmiSchema.optional(),
  smoke_tests: z
    .array(z.string())
    .default([])
    .describe('PowerShell scripts run on a validation instance through SSM.'),
});

/** Publishing each channel's AMI to SSM Parameter Store, for launch templates that use `resolve:ssm:`. */
const SsmParametersSchema = z
  .strictObject({
    publish: z
      .boolean()
      .default(false)
      .describe(
        "Publish each channel's AMI as `<prefix>/<image>/<channel>` (data type aws:ec2:image) in every region, whenever the channel moves.",
      ),
    prefix: ParameterNameSchema.refine((prefix) => !prefix.endsWith('/') && !/^\/(aws|ssm)/i.test(prefix), {
      error: 'the prefix ends without a / and cannot begin with /aws or /ssm (reserved by SSM)',
    })
      .default('/hephestus')
      .describe('Path the channel parameters go under.'),
  })
  .describe(
    "Channel parameters in SSM Parameter Store. Moving a channel writes them, so set this in each repository whose flows move channels (the images repository's promote, the consumers' announce).",
  );

const SlackSchema = z.strictObject({
  channels: z
    .strictObject({
      update_opened: z.array(z.string()).default([]),
      ready_to_merge: z.array(z.string()).default([]),
      failed: z.array(z.string()).default([]),
      rollout: z.array(z.string()).default([]),
      revoked: z
        .array(z.string())
        .default([])
        .describe("revoke's incident notice; the `rollout` channels when empty."),
    })
    .default({ update_opened: [], ready_to_merge: [], failed: [], rollout: [], revoked: [] })
    .describe('Channels per event, by name (`#execution-teams`) or id.'),
  strict: z
    .boolean()
    .default(false)
    .describe('Fail notification steps when Slack fails (default: report and go on).'),
});

/** The patch gate's defaults: what a security audit expects of a month's image, no missing or failed security patch. */
export const PATCH_COMPLIANCE_DEFAULTS = {
  enabled: true,
  max_critical_noncompliant: 0,
  max_security_noncompliant: 0,
  max_failed: 0,
} as const;

const PatchComplianceSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Scan each validation instance with AWS-RunPatchBaseline.'),
    baseline_id: z
      .string()
      .regex(/^(arn:aws[\w-]*:ssm:[\w-]+:\d{12}:patchbaseline\/)?pb-[0-9a-f]{17}$/, {
        error: 'a patch baseline id is pb- and 17 hex digits (or its ARN)',
      })
      .optional()
      .describe(
        "The baseline the scan must have used; the gate fails when SSM scanned against another. Omitted: the region's default Windows baseline.",
      ),
    patch_group: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Tagged on the instance as `PatchGroup`, so SSM scans against the baseline registered for that group (register `baseline_id` for it once).',
      ),
    max_critical_noncompliant: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Patches of Critical compliance level that are missing, failed or await a reboot.'),
    max_security_noncompliant: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Security updates that are missing, failed or await a reboot.'),
    max_failed: z.number().int().min(0).default(0).describe('Patches whose installation failed.'),
    max_missing: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Missing patches of any classification; no limit by default.'),
  })
  .describe('The patch compliance gate, run after the smoke tests: an SSM patch scan and its thresholds.');

/** The Inspector gate's defaults: off, since Inspector costs money and must be enabled in the account. */
export const INSPECTOR_DEFAULTS = { enabled: false, fail_on: 'HIGH' } as const;

const InspectorSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Read Amazon Inspector's findings for the validation instance."),
    fail_on: z
      .enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'])
      .default('HIGH')
      .describe('Fail on an active finding of this severity or worse.'),
  })
  .describe(
    'Amazon Inspector findings as a gate (off by default; see docs/setup.md for its cost and delay).',
  );

const ValidationSchema = z.strictObject({
  instance_type: z.string().default('t3.large'),
  subnet_id: z.string().optional(),
  security_group_ids: z.array(z.string()).default([]),
  instance_profile: z.string().optional().describe('Instance profile with the SSM managed-instance policy.'),
  timeout_minutes: z.number().int().positive().max(240).default(45),
  keep_on_failure_minutes: z
    .number()
    .int()
    .min(0)
    .max(1440)
    .default(0)
    .describe(
      'Keep a failed validation instance this long for a person to connect to through Session Manager (0: terminate at once; at most a day). Never kept on success; `ami sweep` and the next run of the image terminate it.',
    ),
  ready_text: z
    .string()
    .default('Windows is Ready to use')
    .describe('Console output that means Windows booted.'),
  patch_compliance: PatchComplianceSchema.default(PATCH_COMPLIANCE_DEFAULTS),
  inspector: InspectorSchema.default(INSPECTOR_DEFAULTS),
});

const ConsumerSchema = z.strictObject({
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, { error: 'repositories are written owner/name' }),
  mode: z.enum(['trigger', 'pull-request']).default('trigger'),
  project_slug: z
    .string()
    .optional()
    .describe('CircleCI project slug (`gh/owner/name`); from `repository` by default.'),
  branch: BranchNameSchema.default('main'),
});

const BumpFileSchema = FileTargetSchema.extend({
  image: z.string().min(1).describe("Which image's value goes here."),
  value: z.enum(['ami', 'name']).default('ami').describe('The AMI id (in `region`) or the AMI name.'),
  region: RegionSchema.optional(),
});

/** How Packer runs: its AWS waits (AMI available, region copies), which Windows images need long, and its environment. */
export const PackerConfigSchema = z
  .strictObject({
    aws_polling: z
      .strictObject({
        delay_seconds: z
          .number()
          .int()
          .positive()
          .max(600)
          .optional()
          .describe("Seconds between Packer's polls of an AMI, a copy or an instance (default 30)."),
        max_attempts: z
          .number()
          .int()
          .positive()
          .max(10_000)
          .optional()
          .describe('Polls before Packer gives up on one wait (default 120: an hour at 30 s).'),
      })
      .optional()
      .describe(
        "Packer's AWS waits, passed as AWS_POLL_DELAY_SECONDS and AWS_MAX_ATTEMPTS to every build; a template's own `aws_polling` block wins.",
      ),
    pass_env: z
      .array(
        z.string().superRefine((name, context) => {
          const refusal = passThroughRefusal(name);
          if (refusal) context.addIssue({ code: 'custom', message: refusal, input: name });
        }),
      )
      .default([])
      .describe(
        "Variables of the job Packer also sees, beside AWS_*, PACKER_*, PATH, HOME, TMPDIR, proxies and certificates (e.g. a vSphere builder's settings). Names that may hold a token are refused.",
      ),
  })
  .describe(
    "How Hephestus runs Packer: its AWS waits, and which of the job's variables it sees beside the allowlist.",
  );

/** Taking a bad image out of service: `hephestus run revoke`. */
export const RevokeConfigSchema = z
  .strictObject({
    ec2_action: z
      .enum(['disable', 'deprecate'])
      .default('disable')
      .describe(
        'What EC2 does to a revoked AMI: `disable` (DisableImage: nobody can launch it; EnableImage undoes it) or `deprecate` (EnableImageDeprecation at once: it leaves listings, launches by id still work).',
      ),
  })
  .describe('Revoking images (`hephestus run revoke`).');

/** The dashboard issue monitor keeps in the images repository. */
export const DashboardConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Keep one dashboard issue in the images repository (only where `images` are configured).'),
    title: z
      .string()
      .min(1)
      .max(200)
      .default('Hephestus image dashboard')
      .describe("The dashboard issue's title."),
    max_age_days: z
      .number()
      .positive()
      .default(45)
      .describe('An AMI older than this is flagged on the dashboard as due for a rebuild.'),
  })
  .describe(
    'The image dashboard: one issue showing the fleet, with check boxes that ask monitor for actions.',
  );

/** Watching the open update pull requests: `hephestus run monitor`. */
export const MonitorConfigSchema = z
  .strictObject({
    auto_merge: z
      .boolean()
      .default(false)
      .describe(
        'Merge an update PR once its head commit validated, every check passed, nobody requested changes and GitHub can merge it.',
      ),
    require_approval: z
      .boolean()
      .default(false)
      .describe('Merge only what at least one reviewer approved (branch protection may require it anyway).'),
    stale_after_days: z
      .number()
      .positive()
      .default(7)
      .describe('An update PR open longer than this gets one reminder in Slack.'),
    reminder_channels: z
      .array(z.string().min(1))
      .optional()
      .describe('Channels for the stale reminder; `slack.channels.ready_to_merge` by default.'),
    dashboard: DashboardConfigSchema.default({
      enabled: true,
      title: 'Hephestus image dashboard',
      max_age_days: 45,
    }),
  })
  .describe('Watching the open update pull requests (`hephestus run monitor`).');

export const HephestusConfigSchema = z.strictObject({
  version: z.literal(1).describe('Configuration format version.'),
  git: z
    .strictObject({
      author_name: z.string().min(1).optional(),
      author_email: z.email().optional(),
      branch_prefix: BranchPrefixSchema.default('windows-update/'),
      default_branch: BranchNameSchema.default('main'),
    })
    .default({ branch_prefix: 'windows-update/', default_branch: 'main' }),
  github: z
    .strictObject({
      repository: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/)
        .optional(),
      labels: z.array(z.string()).default(['windows-update']),
      reviewers: z.array(z.string()).default([]),
      merge_method: z.enum(['merge', 'squash', 'rebase']).default('merge'),
    })
    .default({ labels: ['windows-update'], reviewers: [], merge_method: 'merge' }),
  images: z.array(ImageSchema).default([]),
  channels: z.array(z.string().min(1)).min(1).default(['canary', 'edge', 'stable']),
  keep: z.number().int().min(1).default(3).describe('Images kept per image and channel when pruning.'),
  deprecation_grace_days: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .default(7)
    .describe(
      'Days prune leaves a superseded image deprecated (EC2 EnableImageDeprecation) before it deregisters it.',
    ),
  deregistration_protection: z
    .boolean()
    .default(true)
    .describe(
      'Turn on EC2 deregistration protection for the image holding each channel (off only where EC2 lacks the call).',
    ),
  ssm_parameters: SsmParametersSchema.default({ publish: false, prefix: '/hephestus' }),
  slack: SlackSchema.optional(),
  validation: ValidationSchema.optional(),
  packer: PackerConfigSchema.default({ pass_env: [] }),
  consumers: z.array(ConsumerSchema).default([]),
  monitor: MonitorConfigSchema.default({
    auto_merge: false,
    require_approval: false,
    stale_after_days: 7,
    dashboard: { enabled: true, title: 'Hephestus image dashboard', max_age_days: 45 },
  }),
  revoke: RevokeConfigSchema.default({ ec2_action: 'disable' }),
  bump: z
    .strictObject({
      files: z.array(BumpFileSchema).min(1),
      source: z
        .enum(['parameter', 'lock'])
        .default('parameter')
        .describe(
          "Where the new image ids come from: the `images` pipeline parameter, or the images repository's lock file.",
        ),
      images_repository: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/, { error: 'repositories are written owner/name' })
        .optional()
        .describe(
          'The images repository (`owner/name`) whose lock file (its own `lock_file`) `source: lock` reads.',
        ),
      accounts: z
        .array(z.string().regex(/^\d{12}$/, { error: 'AWS account ids are 12 digits' }))
        .default([])
        .describe(
          'AWS accounts whose AMIs may be bumped in; the account of the AWS credentials when empty. Every AMI is checked with EC2 before any edit.',
        ),
      channel: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The channel each AMI must have reached (or one after it); the first of `channels` by default.',
        ),
    })
    .optional(),
  lock_file: z
    .string()
    .min(1)
    .default('images.lock.json')
    .describe(
      'Where the validated images are recorded (AMI per region, input hash, commit, Packer version, run).',
    ),
  lock_commit: z
    .enum(['pull-request', 'direct'])
    .default('pull-request')
    .describe(
      'How the lock file reaches the default branch: through a pull request of its own, or pushed directly (where branch protection allows).',
    ),
});

export type HephestusConfig = z.output<typeof HephestusConfigSchema>;
export type ImageConfig = z.output<typeof ImageSchema>;
export type FileTarget = z.output<typeof FileTargetSchema>;
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;
export type PackerConfig = z.output<typeof PackerConfigSchema>;
export type PatchComplianceConfig = z.output<typeof PatchComplianceSchema>;
export type InspectorConfig = z.output<typeof InspectorSchema>;
export type BaseAmiConfig = z.output<typeof BaseAmiSchema>;
export type SsmParametersConfig = z.output<typeof SsmParametersSchema>;
