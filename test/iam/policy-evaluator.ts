/**
 * A small IAM policy evaluator for one identity policy: explicit deny wins, then any allow, else the
 * implicit deny. It knows the parts of the policy language iam-policies.ts uses (and fails loudly on
 * anything else, so a new operator cannot be silently ignored): `*`/`?` wildcards in actions (case
 * insensitive) and resources, and the condition operators StringEquals, StringNotEquals, StringLike,
 * StringNotLike, their ForAllValues:/ForAnyValue: forms, Null and Bool, with IAM's rules for keys
 * missing from the request. Condition keys are matched case-insensitively, as IAM does.
 */
import type { Condition, PolicyDocument, PolicyStatement } from '../../src/aws/iam-policies.js';

/** A request context value: one string, a list (aws:TagKeys), or absent. */
export type ContextValue = string | string[] | undefined;

export interface AuthorizationRequest {
  /** `service:Action`. */
  action: string;
  /** The resource ARN, or `*` for actions without resource-level permissions. */
  resource: string;
  context: Record<string, ContextValue>;
}

export type Decision =
  | { effect: 'allow'; sid: string }
  | { effect: 'explicit-deny'; sid: string }
  | { effect: 'implicit-deny' };

/** Evaluates `request` against `policy`. */
export function evaluate(policy: PolicyDocument, request: AuthorizationRequest): Decision {
  const matching = policy.Statement.filter((statement) => applies(statement, request));
  const denied = matching.find((statement) => statement.Effect === 'Deny');
  if (denied) return { effect: 'explicit-deny', sid: denied.Sid };
  const allowed = matching.find((statement) => statement.Effect === 'Allow');
  if (allowed) return { effect: 'allow', sid: allowed.Sid };
  return { effect: 'implicit-deny' };
}

function applies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return (
    statement.Action.some((pattern) => wildcard(pattern, true).test(request.action)) &&
    statement.Resource.some((pattern) => wildcard(pattern, false).test(request.resource)) &&
    conditionHolds(statement.Condition, request.context)
  );
}

/** An IAM pattern: `*` any run of characters, `?` any one. */
export function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

/** Every operator holds, every key under it holds, and a key holds when any of its policy values matches. */
export function conditionHolds(
  condition: Condition | undefined,
  context: Record<string, ContextValue>,
): boolean {
  if (!condition) return true;
  const lookup = (key: string): ContextValue => {
    const found = Object.keys(context).find((name) => name.toLowerCase() === key.toLowerCase());
    return found === undefined ? undefined : context[found];
  };
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) =>
      operatorHolds(operator, lookup(key), Array.isArray(values) ? values : [values]),
    ),
  );
}

type Matcher = (value: string, policyValue: string) => boolean;

const MATCHERS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (v, p) => v === p, negated: false },
  StringNotEquals: { match: (v, p) => v === p, negated: true },
  StringLike: { match: (v, p) => wildcard(p, false).test(v), negated: false },
  StringNotLike: { match: (v, p) => wildcard(p, false).test(v), negated: true },
  Bool: { match: (v, p) => v.toLowerCase() === p.toLowerCase(), negated: false },
};

function operatorHolds(operator: string, value: ContextValue, policyValues: string[]): boolean {
  if (operator === 'Null') {
    const absent = value === undefined || (Array.isArray(value) && value.length === 0);
    return policyValues.some((p) => (p === 'true') === absent);
  }
  const [qualifier, base] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  const matcher = MATCHERS[base as string];
  if (!matcher) throw new Error(`the evaluator does not know the condition operator ${operator}`);
  // For a single value, a negated operator holds when no policy value matches (and for a missing key).
  const single = (v: string) => {
    const any = policyValues.some((p) => matcher.match(v, p));
    return matcher.negated ? !any : any;
  };
  if (qualifier === 'ForAllValues') {
    // Vacuously true for a missing or empty set, as in IAM.
    return value === undefined || (Array.isArray(value) ? value : [value]).every(single);
  }
  if (qualifier === 'ForAnyValue') {
    return value !== undefined && (Array.isArray(value) ? value : [value]).some(single);
  }
  if (qualifier !== undefined) throw new Error(`unknown condition qualifier in ${operator}`);
  if (Array.isArray(value))
    throw new Error(`${operator} on a multi-valued key needs ForAllValues/ForAnyValue`);
  if (value === undefined) return matcher.negated;
  return single(value);
}
