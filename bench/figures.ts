/** One benchmark figure: what was measured, the ratio, and the goal it is held to. */
export interface Figure {
  name: string;
  ours: string;
  baseline: string;
  /** ours / baseline (time or memory). */
  ratio: number;
  goal: string;
  /** ratio within goal. */
  met: boolean;
  details: Record<string, number | string>;
}
