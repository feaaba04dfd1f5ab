/** How the demo talks to a person: numbered stages, indented detail, diffs and Slack messages as text. */

const useColor = process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: string, text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);

export class Narrator {
  private stage = 0;

  constructor(private readonly write: (text: string) => void = (text) => process.stdout.write(text)) {}

  /** A numbered stage of the lifecycle, with a sentence on what happens in real life. */
  section(title: string, why: string): void {
    this.stage++;
    this.write(`\n${paint('1', `${this.stage}. ${title}`)}\n${paint('2', `   ${why}`)}\n`);
  }

  line(text: string): void {
    this.write(`   ${text}\n`);
  }

  /** A block of text (a diff, a Slack message, a process's output), indented under the stage. */
  block(label: string, text: string): void {
    this.write(`   ${paint('36', label)}\n`);
    for (const line of text.replace(/\n$/, '').split('\n')) this.write(`     ${colorDiffLine(line)}\n`);
  }
}

function colorDiffLine(line: string): string {
  if (line.startsWith('+') && !line.startsWith('+++')) return paint('32', line);
  if (line.startsWith('-') && !line.startsWith('---')) return paint('31', line);
  return line;
}
