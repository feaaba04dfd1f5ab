/**
 * Block Kit as the sandbox's Slack checks and prints it: the documented limits Slack enforces on
 * `chat.postMessage` / `chat.update`, reported in Slack's own error format
 * (`"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"`), and a plain-text
 * rendering so tests and the demo can read a message.
 *
 * Pure: no I/O. Only the block types and fields a notifier sends are checked in depth; other known
 * block types are accepted as they are (docs/sandbox.md lists what is not checked).
 */

/** Documented Block Kit limits (docs.slack.dev/reference/block-kit). */
export const blockLimits = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  blockId: 255,
  buttonText: 75,
  url: 3000,
} as const;

const knownBlockTypes = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'video',
]);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks `blocks` against Block Kit's schema and limits; returns Slack's `errors` strings, empty when valid.
 * `blocks` must already be an array (a non-array is `invalid_blocks_format`, decided by the caller).
 */
export function validateBlocks(blocks: unknown[]): string[] {
  const errors: string[] = [];
  if (blocks.length > blockLimits.blocksPerMessage) {
    errors.push(`no more than ${blockLimits.blocksPerMessage} items allowed [json-pointer:/blocks]`);
  }
  blocks.forEach((block, index) => {
    errors.push(...validateBlock(block, `/blocks/${index}`));
  });
  return errors;
}

function validateBlock(block: unknown, at: string): string[] {
  if (!isObject(block) || typeof block.type !== 'string')
    return [`missing required field: type [json-pointer:${at}]`];
  if (!knownBlockTypes.has(block.type)) return [`unsupported type: ${block.type} [json-pointer:${at}/type]`];
  const errors: string[] = [];
  if (block.block_id !== undefined)
    errors.push(...stringLimit(block.block_id, blockLimits.blockId, `${at}/block_id`));
  switch (block.type) {
    case 'header':
      errors.push(...textObject(block.text, blockLimits.headerText, `${at}/text`, ['plain_text']));
      break;
    case 'section':
      errors.push(...section(block, at));
      break;
    case 'context':
      errors.push(...elementList(block.elements, 1, blockLimits.contextElements, `${at}/elements`));
      if (Array.isArray(block.elements)) {
        block.elements.forEach((element, i) => {
          if (isObject(element) && (element.type === 'mrkdwn' || element.type === 'plain_text')) {
            errors.push(...textObject(element, blockLimits.sectionText, `${at}/elements/${i}`));
          }
        });
      }
      break;
    case 'actions':
      errors.push(...elementList(block.elements, 1, blockLimits.actionsElements, `${at}/elements`));
      if (Array.isArray(block.elements)) {
        block.elements.forEach((element, i) => {
          errors.push(...button(element, `${at}/elements/${i}`));
        });
      }
      break;
    default:
      break;
  }
  return errors;
}

function section(block: Json, at: string): string[] {
  if (block.text === undefined && block.fields === undefined) {
    return [`must provide either text or fields [json-pointer:${at}]`];
  }
  const errors: string[] = [];
  if (block.text !== undefined) errors.push(...textObject(block.text, blockLimits.sectionText, `${at}/text`));
  if (block.fields !== undefined) {
    errors.push(...elementList(block.fields, 1, blockLimits.sectionFields, `${at}/fields`));
    if (Array.isArray(block.fields)) {
      block.fields.forEach((field, i) => {
        errors.push(...textObject(field, blockLimits.sectionFieldText, `${at}/fields/${i}`));
      });
    }
  }
  if (isObject(block.accessory) && block.accessory.type === 'button') {
    errors.push(...button(block.accessory, `${at}/accessory`));
  }
  return errors;
}

function button(element: unknown, at: string): string[] {
  if (!isObject(element) || element.type !== 'button') return [];
  const errors = textObject(element.text, blockLimits.buttonText, `${at}/text`, ['plain_text']);
  if (element.url !== undefined) errors.push(...stringLimit(element.url, blockLimits.url, `${at}/url`));
  return errors;
}

function textObject(value: unknown, max: number, at: string, types = ['plain_text', 'mrkdwn']): string[] {
  if (!isObject(value)) return [`must be an object [json-pointer:${at}]`];
  if (typeof value.type !== 'string' || !types.includes(value.type)) {
    return [`must be one of ${types.join(', ')} [json-pointer:${at}/type]`];
  }
  if (typeof value.text !== 'string') return [`missing required field: text [json-pointer:${at}]`];
  const errors = stringLimit(value.text, max, `${at}/text`);
  // Slack reports the enclosing text object as well, before the detail.
  return errors.length > 0 ? [`failed to match all allowed schemas [json-pointer:${at}]`, ...errors] : [];
}

function stringLimit(value: unknown, max: number, at: string): string[] {
  if (typeof value !== 'string') return [`must be a string [json-pointer:${at}]`];
  if (value.length === 0) return [`must be more than 0 characters [json-pointer:${at}]`];
  if (value.length > max) return [`must be less than ${max + 1} characters [json-pointer:${at}]`];
  return [];
}

function elementList(value: unknown, min: number, max: number, at: string): string[] {
  if (!Array.isArray(value)) return [`must be an array [json-pointer:${at}]`];
  if (value.length < min) return [`must provide at least ${min} items [json-pointer:${at}]`];
  if (value.length > max) return [`no more than ${max} items allowed [json-pointer:${at}]`];
  return [];
}

/** Turns Slack mrkdwn links (`<url|label>`, `<url>`) into `label (url)` so a terminal shows both. */
export function plainMrkdwn(text: string): string {
  return text.replace(/<([^>|]+)\|([^>]+)>/g, '$2 ($1)').replace(/<((?:https?|mailto):[^>]+)>/g, '$1');
}

/** Renders a message as readable text: its blocks when it has any, else its `text`. */
export function renderBlocks(blocks: readonly unknown[] | undefined, fallbackText = ''): string {
  if (!blocks || blocks.length === 0) return plainMrkdwn(fallbackText);
  return blocks
    .map(renderBlock)
    .filter((line) => line.length > 0)
    .join('\n');
}

function renderBlock(block: unknown): string {
  if (!isObject(block)) return '';
  switch (block.type) {
    case 'header':
      return `# ${textOf(block.text)}`;
    case 'section': {
      const lines: string[] = [];
      if (block.text !== undefined) lines.push(textOf(block.text));
      if (Array.isArray(block.fields)) lines.push(...block.fields.map((field) => indent(textOf(field))));
      if (isObject(block.accessory)) lines.push(indent(renderElement(block.accessory)));
      return lines.join('\n');
    }
    case 'divider':
      return '---';
    case 'context':
      return Array.isArray(block.elements) ? `> ${block.elements.map(renderElement).join(' | ')}` : '';
    case 'actions':
      return Array.isArray(block.elements) ? block.elements.map(renderElement).join('  ') : '';
    case 'image':
      return `[image: ${String(block.alt_text ?? '')}] ${String(block.image_url ?? '')}`;
    case 'rich_text':
      return richText(block.elements);
    case 'markdown':
      return typeof block.text === 'string' ? plainMrkdwn(block.text) : '';
    default:
      return `[${String(block.type)}]`;
  }
}

/** Fields and accessories sit under their section's text, every line of them. */
function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

function renderElement(element: unknown): string {
  if (!isObject(element)) return '';
  if (element.type === 'button') {
    const label = `[${textOf(element.text)}]`;
    return typeof element.url === 'string' ? `${label}(${element.url})` : label;
  }
  if (element.type === 'image') return `[image: ${String(element.alt_text ?? '')}]`;
  return textOf(element);
}

function textOf(value: unknown): string {
  return isObject(value) && typeof value.text === 'string' ? plainMrkdwn(value.text) : '';
}

/** Rich text nests sections, lists and preformatted blocks; printing their leaf texts in order is enough to read them. */
function richText(elements: unknown): string {
  if (!Array.isArray(elements)) return '';
  return elements
    .map((element) => {
      if (!isObject(element)) return '';
      if (typeof element.text === 'string') return element.text;
      if (element.type === 'link' && typeof element.url === 'string') return element.url;
      return richText(element.elements);
    })
    .join('');
}
