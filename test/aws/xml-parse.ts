/**
 * Parses XML with a strict, conforming parser (Python's expat, through ElementTree): Node has none built
 * in, and a lenient parser would accept the very mistakes the JUnit tests look for.
 */
import { execFileSync } from 'node:child_process';

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const script = `
import json, sys, xml.etree.ElementTree as ET
def walk(e):
    return {"tag": e.tag, "attrs": dict(e.attrib), "text": e.text or "", "children": [walk(c) for c in e]}
print(json.dumps(walk(ET.fromstring(sys.stdin.buffer.read()))))
`;

/** The document as a tree; throws with the parser's message when it is not well-formed. */
export function parseXmlStrict(xml: string): XmlElement {
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' })) as XmlElement;
}

/** Every element named `tag` under `root`, depth first. */
export function findAll(root: XmlElement, tag: string): XmlElement[] {
  return [...(root.tag === tag ? [root] : []), ...root.children.flatMap((child) => findAll(child, tag))];
}
