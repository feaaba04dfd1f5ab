/**
 * Virtual time for the sandbox's AWS side. Resources change state as AWS's do (an AMI is pending
 * for minutes, an instance's status checks take a while) on scheduled events; tests shrink every
 * delay with `scale` (0 makes each transition happen by the next request) or jump with `advance`.
 */

/** How long each AWS transition takes at `scale = 1`, in milliseconds. */
export interface AwsTimings {
  instanceRunningMs: number;
  instanceStatusOkMs: number;
  /** Until EC2Launch writes `Windows is Ready to use` to the console. */
  consoleReadyMs: number;
  instanceStoppedMs: number;
  instanceTerminatedMs: number;
  imageAvailableMs: number;
  copyAvailableMs: number;
  /** From running until the SSM agent reports Online. */
  ssmOnlineMs: number;
  commandRunMs: number;
}

/** Roughly what a Windows Server image takes on real AWS. */
export const AWS_TIMINGS: AwsTimings = {
  instanceRunningMs: 15_000,
  instanceStatusOkMs: 180_000,
  consoleReadyMs: 240_000,
  instanceStoppedMs: 60_000,
  instanceTerminatedMs: 45_000,
  imageAvailableMs: 600_000,
  copyAvailableMs: 900_000,
  ssmOnlineMs: 300_000,
  commandRunMs: 10_000,
};

interface ScheduledEvent {
  at: number;
  seq: number;
  run: () => void;
}

export class AwsClock {
  /** Multiplies every scheduled delay: 0.01 makes ten minutes six seconds, 0 makes them next-request. */
  scale = 1;
  private offset = 0;
  private seq = 0;
  private readonly events: ScheduledEvent[] = [];

  constructor(readonly timings: AwsTimings = { ...AWS_TIMINGS }) {}

  /** Current virtual time in epoch milliseconds. */
  now(): number {
    return Date.now() + this.offset;
  }

  /** Moves virtual time forward and runs what fell due. */
  advance(ms: number): void {
    this.offset += ms;
    this.tick();
  }

  /** Runs `run` once `timing` (scaled) has passed; events run in order, on the next `tick`. */
  schedule(timing: keyof AwsTimings | number, run: () => void): void {
    const ms = typeof timing === 'number' ? timing : this.timings[timing];
    this.events.push({ at: this.now() + ms * this.scale, seq: this.seq++, run });
  }

  /** The scaled length of a timing, for state computed on read rather than scheduled. */
  delay(timing: keyof AwsTimings): number {
    return this.timings[timing] * this.scale;
  }

  /** Runs every due event, including events that due events schedule with no delay. */
  tick(): void {
    for (;;) {
      const now = this.now();
      let next: ScheduledEvent | undefined;
      for (const event of this.events) {
        if (
          event.at <= now &&
          (!next || event.at < next.at || (event.at === next.at && event.seq < next.seq))
        )
          next = event;
      }
      if (!next) return;
      this.events.splice(this.events.indexOf(next), 1);
      next.run();
    }
  }

  /** Events still waiting, for tests that check nothing is left pending. */
  pending(): number {
    return this.events.length;
  }
}
