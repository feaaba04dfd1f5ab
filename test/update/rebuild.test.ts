import { describe, expect, it } from 'vitest';
import type { CommitSummary } from '../../src/git/git-repository.js';
import { rebuildMessage, rebuildOf } from '../../src/update/rebuild.js';

const bot = { name: 'Hephestus Bot', email: 'hephestus-bot@example.com' };
const commit = (subject: string, email = bot.email): CommitSummary => ({
  sha: 'a'.repeat(40),
  subject,
  authorName: 'x',
  authorEmail: email,
  committerName: 'x',
  committerEmail: email,
});

describe('a rebuild asked for by hand', () => {
  it('names its images in our own commit', () => {
    const subject = rebuildMessage(['win2022', 'win2019']).split('\n')[0] as string;
    expect(rebuildOf(commit(subject), bot)).toEqual(['win2022', 'win2019']);
  });

  it("is nothing in someone else's commit, in an update's commit, or without a configured author", () => {
    const subject = rebuildMessage(['win2022']).split('\n')[0] as string;
    expect(rebuildOf(commit(subject, 'dana@example.com'), bot)).toEqual([]);
    expect(rebuildOf(commit('Update base AMIs: win2022'), bot)).toEqual([]);
    expect(rebuildOf(commit(subject), undefined)).toEqual([]);
  });
});
