/**
 * Who Hephestus is on GitHub: the login its token belongs to, learned from GitHub once per client and kept.
 * Every reader of hidden state (PR bodies, comments) compares the author with it: state written by anyone
 * else is ignored, whatever it says.
 *
 * A user or PAT token answers `GET /user`. A GitHub App installation token is refused there (403 "Resource not
 * accessible by integration"), but GraphQL's `viewer` answers it with the app's bot login (`<slug>[bot]`).
 */
import { z } from 'zod';
import { FailureError } from '../errors.js';
import type { GitHubClient } from './github-client.js';

const UserSchema = z.object({ login: z.string().min(1) }).transform((user) => user.login);
const ViewerSchema = z.object({ viewer: z.object({ login: z.string().min(1) }) });

const known = new WeakMap<GitHubClient, Promise<string>>();

/** The login of the token's owner (the bot); asked once per client. */
export function botLogin(client: GitHubClient): Promise<string> {
  let login = known.get(client);
  if (!login) {
    login = askGitHub(client);
    // A failed look-up is not kept: the next reader asks again.
    login.catch(() => known.delete(client));
    known.set(client, login);
  }
  return login;
}

/** True when `author` is the bot (logins compare case-insensitively, as GitHub's do). */
export async function isBot(client: GitHubClient, author: string | undefined): Promise<boolean> {
  if (!author) return false;
  return author.toLowerCase() === (await botLogin(client)).toLowerCase();
}

async function askGitHub(client: GitHubClient): Promise<string> {
  const user = await client.attempt(
    'read the user the GitHub token belongs to',
    UserSchema,
    (o) => o.rest.users.getAuthenticated(),
    [403],
  );
  if (user.ok) return user.data;
  let viewer: unknown;
  try {
    viewer = await client.octokit.graphql('query { viewer { login } }');
  } catch (error) {
    throw client.toError(
      error,
      'read the login of the GitHub token (GET /user refused, GraphQL viewer failed)',
    );
  }
  const parsed = ViewerSchema.safeParse(viewer);
  if (!parsed.success)
    throw new FailureError('could not learn the login of the GitHub token: GraphQL viewer gave no login');
  return parsed.data.viewer.login;
}
