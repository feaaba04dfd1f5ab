/**
 * The sandbox's STS: `AssumeRoleWithWebIdentity` in the Query protocol (`POST /`, a form body with
 * `Action=AssumeRoleWithWebIdentity&Version=2011-06-15`, XML answers in the 2011-06-15 namespace), as the AWS SDKs'
 * web identity credential provider and Packer's AWS SDK call it with `AWS_ROLE_ARN` and
 * `AWS_WEB_IDENTITY_TOKEN_FILE`. The call is unsigned, as on AWS: the token is the credential.
 *
 * A role is assumable when it is configured here and its trust condition on the token's `sub` (StringLike, as an
 * IAM trust policy writes `token.actions...:sub` / `oidc.circleci.com/org/<org>:sub`) holds; the token must carry
 * the trusted issuer's signature, issuer and audience and be unexpired. The temporary access key it hands out
 * is added to `accessKeyIds`, the list EC2 and SSM accept, so the session works against them until it expires.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import { SANDBOX_ACCOUNT_ID } from './aws-auth.js';
import { escapeXml } from './ec2-xml.js';
import { type OidcIssuer, verifyOidcToken } from './oidc-issuer.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsRole {
  arn: string;
  /** IAM's MaxSessionDuration, 3600 to 43200 seconds (default 3600). */
  maxSessionDuration?: number;
  /** The trust policy's StringLike condition on the token's `sub`; `*` matches any run of characters. */
  subjectLike?: string;
}

/** A session handed out, for tests to check who called what. */
export interface StsSession {
  accessKeyId: string;
  roleArn: string;
  sessionName: string;
  subject: string;
  durationSeconds: number;
  expiresAt: number;
}

export interface StsCall {
  action: string;
  status: number;
  errorCode?: string;
  roleArn?: string;
}

export interface StsServiceOptions {
  issuer: Pick<OidcIssuer, 'issuer' | 'audience' | 'publicKey'>;
  roles: StsRole[];
  /** The access keys EC2 and SSM accept; each session's key is added (the same array, shared). */
  accessKeyIds: string[];
  accountId?: string;
  now?: () => number;
}

export interface StsService {
  router: Router;
  sessions: StsSession[];
  calls: StsCall[];
}

class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const xmlHeaders = { 'content-type': 'text/xml;charset=UTF-8' };
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** Creates the STS service; listen on `router.listener`. */
export function createStsService(options: StsServiceOptions): StsService {
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? SANDBOX_ACCOUNT_ID;
  const sessions: StsSession[] = [];
  const calls: StsCall[] = [];

  function assumeRoleWithWebIdentity(params: URLSearchParams): string {
    const roleArn = required(params, 'RoleArn');
    const sessionName = required(params, 'RoleSessionName');
    const token = required(params, 'WebIdentityToken');
    if (roleArn.length < 20 || roleArn.length > 2048) {
      throw validation(`Value '${roleArn}' at 'roleArn' failed to satisfy constraint: length 20 to 2048`);
    }
    if (!SESSION_NAME.test(sessionName)) {
      throw validation(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const durationText = params.get('DurationSeconds');
    const durationSeconds = durationText === null ? 3600 : Number(durationText);
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
      throw validation(
        `Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
      );
    }
    const check = verifyOidcToken(token, options.issuer, now());
    if (!check.ok) throw new StsError(check.code, check.message);
    const arn = ROLE_ARN.exec(roleArn);
    const role = options.roles.find((candidate) => candidate.arn === roleArn);
    if (!arn || arn[1] !== accountId || !role || !subjectMatches(role.subjectLike, check.claims.sub)) {
      throw new StsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
    }
    if (durationSeconds > (role.maxSessionDuration ?? 3600)) {
      throw validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }
    const accessKeyId = `ASIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`;
    const expiresAt = now() + durationSeconds * 1000;
    sessions.push({
      accessKeyId,
      roleArn,
      sessionName,
      subject: check.claims.sub,
      durationSeconds,
      expiresAt,
    });
    options.accessKeyIds.push(accessKeyId);
    const roleName = arn[2] as string;
    const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
    return `<AssumeRoleWithWebIdentityResult>${fields({
      SubjectFromWebIdentityToken: check.claims.sub,
      Audience: options.issuer.audience,
      AssumedRoleUser: `<Arn>${escapeXml(`arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`)}</Arn><AssumedRoleId>${escapeXml(`${roleId}:${sessionName}`)}</AssumedRoleId>`,
      Credentials: fields({
        AccessKeyId: accessKeyId,
        SecretAccessKey: randomBytes(30).toString('base64'),
        SessionToken: randomBytes(96).toString('base64'),
        Expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }),
      Provider: options.issuer.issuer.replace(/^https:\/\//, ''),
    })}</AssumeRoleWithWebIdentityResult>`;
  }

  function answer(request: SandboxRequest): SandboxResponse {
    const requestId = randomUUID();
    const params = new URLSearchParams(request.url.searchParams);
    for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.set(key, value);
    const action = params.get('Action') ?? '';
    try {
      if (action !== 'AssumeRoleWithWebIdentity') {
        throw new StsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
      }
      if (params.get('Version') !== '2011-06-15') {
        throw new StsError(
          'InvalidAction',
          `Could not find operation ${action} for version ${params.get('Version')}`,
        );
      }
      const result = assumeRoleWithWebIdentity(params);
      calls.push({ action, status: 200, roleArn: params.get('RoleArn') ?? undefined });
      return {
        status: 200,
        headers: xmlHeaders,
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${STS_NAMESPACE}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      };
    } catch (error) {
      if (!(error instanceof StsError)) throw error;
      calls.push({
        action,
        status: error.status,
        errorCode: error.code,
        roleArn: params.get('RoleArn') ?? undefined,
      });
      return {
        status: error.status,
        headers: xmlHeaders,
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>Sender</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    }
  }

  const router = new Router('sts').on('POST', '/', answer);
  return { router, sessions, calls };
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new StsError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

function validation(message: string): StsError {
  return new StsError('ValidationError', message);
}

/** IAM's StringLike: `*` any run of characters, `?` one; no condition allows every subject. */
function subjectMatches(pattern: string | undefined, subject: string): boolean {
  if (pattern === undefined) return true;
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(subject);
}

function fields(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) =>
      key === 'AssumedRoleUser' || key === 'Credentials'
        ? `<${key}>${value}</${key}>`
        : `<${key}>${escapeXml(value)}</${key}>`,
    )
    .join('');
}
