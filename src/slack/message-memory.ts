/**
 * Remembers which Slack message was posted for which event and channel of one pull request, so that a re-run
 * updates that message (`chat.update`) instead of posting a duplicate, and follow-ups go in its thread.
 * One memory per pull request: the PR module keeps it in the PR body or a PR comment (see slack-marker.ts).
 */
import { decodeSlackMarkers, type SlackMessageRef, withSlackMarker } from './slack-marker.js';
import type { SlackEvent } from './slack-messages.js';

export type { SlackMessageRef } from './slack-marker.js';

export interface MessageMemory {
  /** The message posted for `event` in `channel` (the configured name), if any. */
  get(event: SlackEvent, channel: string): Promise<SlackMessageRef | undefined>;
  set(ref: SlackMessageRef): Promise<void>;
}

/** A memory that lives as long as the process: for tests, and for runs without a pull request. */
export class InMemoryMessageMemory implements MessageMemory {
  private readonly refs = new Map<string, SlackMessageRef>();

  async get(event: SlackEvent, channel: string): Promise<SlackMessageRef | undefined> {
    return this.refs.get(key(event, channel));
  }

  async set(ref: SlackMessageRef): Promise<void> {
    this.refs.set(key(ref.event, ref.channel), { ...ref });
  }

  /** Everything remembered, in insertion order. */
  all(): SlackMessageRef[] {
    return [...this.refs.values()];
  }
}

/**
 * A memory kept as markers in a text stored elsewhere (a PR body, a PR comment): `read` loads the text,
 * `write` stores it back. Each `set` reads again first, so markers written meanwhile by another step survive.
 */
export class MarkerMessageMemory implements MessageMemory {
  constructor(
    private readonly read: () => Promise<string>,
    private readonly write: (text: string) => Promise<void>,
  ) {}

  async get(event: SlackEvent, channel: string): Promise<SlackMessageRef | undefined> {
    return decodeSlackMarkers(await this.read()).find(
      (ref) => ref.event === event && ref.channel === channel,
    );
  }

  async set(ref: SlackMessageRef): Promise<void> {
    const text = await this.read();
    const updated = withSlackMarker(text, ref);
    if (updated !== text) await this.write(updated);
  }
}

function key(event: SlackEvent, channel: string): string {
  return `${event}\u0000${channel}`;
}
