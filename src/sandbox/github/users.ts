/** The authenticated user: how a client learns whose token it holds. */
import type { ApiRoutes } from './github-api.js';
import { privateUserJson } from './github-json.js';

export function register(api: ApiRoutes): void {
  api('GET', '/user', ({ base, login }) => ({ status: 200, body: privateUserJson(base, login) }));
}
