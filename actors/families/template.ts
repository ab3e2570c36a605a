/** Templates split into [text, slot, text, slot, ..., text], once each: they come from fixed tables. */
const split = new Map<string, readonly string[]>();

/**
 * A template with its `{name}` slots filled: `value(name)` gives each slot's text. Splitting once
 * and joining is about 10× faster than a `replace` with a callback, which was a sixteenth of a
 * tutoring worker's time.
 *
 * @example
 * fillSlots('Hi {name}!', (k) => (k === 'name' ? 'Ada' : '')); // 'Hi Ada!'
 */
export function fillSlots(template: string, value: (name: string) => string): string {
  let parts = split.get(template);
  if (!parts) {
    parts = template.split(/\{(\w+)\}/);
    split.set(template, parts);
  }
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) out += value(parts[i]) + parts[i + 1];
  return out;
}
